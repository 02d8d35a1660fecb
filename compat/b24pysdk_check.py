"""b24pysdk 1.3.2, the official Python SDK, unchanged: webhook client over HTTPS
(it builds https:// URLs only), trusting b24im's CA via REQUESTS_CA_BUNDLE."""

from b24pysdk import BitrixWebhook, Client
from b24pysdk.errors import BitrixAPIAccessDenied, BitrixAPIBadRequest
from b24pysdk.schemas.app import AppInfoWebhook

from checks import SECOND_USER, USER_COUNT, Checks, expect, webhook_parts

domain, token = webhook_parts()
client = Client(BitrixWebhook(domain=domain, webhook_token=token))
c = Checks("b24pysdk")
state = {}


def likes(message_id, dialog):
    history = client.im.dialog.messages.get(dialog, limit=50).result
    message = next(m for m in history["messages"] if m["id"] == message_id)
    return message["params"].get("LIKE", []) if message["params"] else []


def error_code(call):
    try:
        call()
    except BitrixAPIBadRequest as e:
        return e.error
    return "no error"


def create_chat():
    state["chat"] = client.im.chat.add(users=[SECOND_USER], title="b24pysdk").result
    return expect(isinstance(state["chat"], int), state["chat"])


def post():
    state["msg"] = client.im.message.add(f"chat{state['chat']}", message="hello").result
    return expect(isinstance(state["msg"], int), state["msg"])


chat = lambda: f"chat{state['chat']}"  # noqa: E731

c.check("im.chat.add with a second user", create_chat)
c.check("im.message.add", post)
c.check("like plus", lambda: expect(client.im.message.like(state["msg"], action="plus").result is True, "not true"))
c.check("params.LIKE shows the like", lambda: expect(likes(state["msg"], chat()) == [1], likes(state["msg"], chat())))
c.check(
    "plus again raises WITHOUT_CHANGES",
    lambda: expect(error_code(lambda: client.im.message.like(state["msg"], action="plus").result) == "WITHOUT_CHANGES", "other"),
)
c.check("like minus", lambda: expect(client.im.message.like(state["msg"], action="minus").result is True, "not true"))
c.check("params.LIKE is empty after minus", lambda: expect(likes(state["msg"], chat()) == [], likes(state["msg"], chat())))
c.check("like auto toggles on", lambda: expect(client.im.message.like(state["msg"], action="auto").result is True, "not true"))
c.check("params.LIKE after auto", lambda: expect(likes(state["msg"], chat()) == [1], likes(state["msg"], chat())))
c.check(
    "MESSAGE_ID 0 raises MESSAGE_ID_ERROR",
    lambda: expect(error_code(lambda: client.im.message.like(0).result) == "MESSAGE_ID_ERROR", "other"),
)


def batch():
    other = client.im.message.add(chat(), message="batch").result
    answer = client.call_batch(
        {
            "like": client.im.message.like(other, action="plus"),
            "again": client.im.message.like(other, action="plus"),
        },
        halt=False,
    ).result
    ok = answer.result.get("like") is True
    err = answer.result_error.get("again", {})
    code = err.get("error") if isinstance(err, dict) else err
    return expect(ok and code == "WITHOUT_CHANGES" and "again" not in answer.result, answer)


c.check("call_batch: one like, one WITHOUT_CHANGES in result_error", batch)


def paging():
    users = list(client.user.get().as_list().result)
    return expect(len(users) == USER_COUNT, len(users))


def paging_fast():
    users = list(client.user.get().as_list_fast().result)
    ids = [int(u["ID"]) for u in users]
    return expect(len(ids) == USER_COUNT and len(set(ids)) == USER_COUNT, len(ids))


c.check(f"user.get as_list pages through {USER_COUNT} users", paging)
c.check(f"user.get as_list_fast pages through {USER_COUNT} users by ID", paging_fast)


def private_dialog():
    msg = client.im.message.add(str(SECOND_USER), message="private").result
    liked = client.im.message.like(msg, action="plus").result
    return expect(liked is True and likes(msg, str(SECOND_USER)) == [1], (liked, likes(msg, str(SECOND_USER))))


c.check("like in a private dialog", private_dialog)


def notify():
    sent = client.im.notify.personal.add(1, "b24pysdk says hi", tag="T1", client_id="compat").result
    system = client.im.notify.system.add(SECOND_USER, "system notice").result
    got = client.im.notify.get().result
    ids = [n["id"] for n in got["notifications"]]
    read = client.im.notify.read(sent, only_current=True).result
    everything = client.im.notify.read.all().result
    counters = client.im.counters.get().result
    return expect(
        isinstance(sent, int)
        and isinstance(system, int)
        and sent in ids
        and got["total_unread_count"] >= 1
        and read is True
        and everything == {"result": True, "newCounter": 0}
        and counters["TYPE"]["NOTIFY"] == 0,
        (sent, system, got, read, everything, counters["TYPE"]),
    )


c.check("im.notify.personal.add, .system.add, .get, .read, .read.all", notify)


def departments():
    got = client.im.department.get([1], user_data=False).result
    found = client.im.search.department.list("My").result
    employees = client.im.department.employees.get([1]).result
    return expect(
        got[0]["id"] == 1
        and got[0]["full_name"] == "My Company"
        and [d["id"] for d in found] == [1]
        and 1 in employees["1"],
        (got, found, employees),
    )


c.check("im.department.get, im.search.department.list, employees.get", departments)


def search():
    me = client.im.user.get().result
    found = client.im.search.user.list(me["first_name"][:3]).result
    added = client.im.search.last.add(chat()).result
    last = client.im.search.last.get().result
    return expect(
        str(me["id"]) in found and added is True and last[0]["id"] == chat(),
        (found, added, last),
    )


c.check("im.search.user.list, im.search.last.add/get", search)


def files():
    import base64
    import os
    import ssl
    import urllib.request

    content = b"b24pysdk file"
    fields = {"name": "note.txt", "content": base64.b64encode(content).decode(), "message": "a file"}
    sent = client.im.v2.file.upload(chat(), fields).result
    link = client.im.v2.file.download(chat(), sent["file"]["id"]).result["downloadUrl"]
    tls = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))
    with urllib.request.urlopen(link, timeout=10, context=tls) as res:
        body = res.read()
    return expect(sent["file"]["name"] == "note.txt" and body == content, (sent, body))


c.check("im.v2.File.upload, im.v2.File.download and the link", files)
c.check(
    "user.fields",
    lambda: expect(client.user.fields().result.get("UF_DEPARTMENT") == "Units", client.user.fields().result),
)


def app_info_webhook():
    # A webhook's app.info is its scopes and the license, read as AppInfoWebhook.
    info = client.app.info().value
    return expect(isinstance(info, AppInfoWebhook) and info.license == "en_selfhosted" and "im" in info.scope, info)


def admin_and_access():
    admin = client.user.admin().result
    access = client.user.access(["AU", "G2"]).result
    names = client.access.name(["G2", "AU"]).result
    return expect(
        admin is True and access is True and names["G2"]["name"] == "All visitors" and set(names) == {"G2", "AU"},
        (admin, access, names),
    )


def option_needs_an_application():
    # The SDK's own live test: a webhook's app.option.get is 403 ACCESS_DENIED.
    try:
        client.app.option.get(option="nonexistent_option").result
    except BitrixAPIAccessDenied as e:
        return expect(e.status_code == 403 and e.error == "ACCESS_DENIED", (e.status_code, e.error))
    return "no error"


c.check("app.info through a webhook", app_info_webhook)
c.check("user.admin, user.access, access.name", admin_and_access)
c.check("app.option.get through a webhook raises BitrixAPIAccessDenied", option_needs_an_application)
c.done()
