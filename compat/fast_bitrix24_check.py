"""fast-bitrix24 1.8.14 unchanged: every call goes through `batch` with query-string
commands and `__order`; HTTPS trusted via SSL_CERT_FILE."""

from fast_bitrix24 import Bitrix
from fast_bitrix24.server_response import ErrorInServerResponseException

from checks import SECOND_USER, USER_COUNT, WEBHOOK, Checks, expect

b = Bitrix(WEBHOOK, verbose=False)
c = Checks("fast-bitrix24")
state = {}


def likes(message_id, dialog):
    # A direct (raw) call answers the whole envelope.
    history = b.call("im.dialog.messages.get", {"DIALOG_ID": dialog, "LIMIT": 50}, raw=True)["result"]
    message = next(m for m in history["messages"] if m["id"] == message_id)
    return message["params"].get("LIKE", []) if message["params"] else []


def error_text(fn):
    try:
        fn()
    except ErrorInServerResponseException as e:
        return str(e)
    return "no error"


def create_chat():
    state["chat"] = b.call("im.chat.add", {"USERS": [SECOND_USER], "TITLE": "fast-bitrix24"})
    return expect(isinstance(state["chat"], int), state["chat"])


def post():
    state["msg"] = b.call("im.message.add", {"DIALOG_ID": f"chat{state['chat']}", "MESSAGE": "hello"})
    return expect(isinstance(state["msg"], int), state["msg"])


chat = lambda: f"chat{state['chat']}"  # noqa: E731
like = lambda action, msg=None: b.call(  # noqa: E731
    "im.message.like", {"MESSAGE_ID": msg or state["msg"], "ACTION": action}
)

c.check("im.chat.add with a second user", create_chat)
c.check("im.message.add", post)
c.check("like plus", lambda: expect(like("plus") is True, like))
c.check("params.LIKE shows the like", lambda: expect(likes(state["msg"], chat()) == [1], likes(state["msg"], chat())))
c.check(
    "plus again raises WITHOUT_CHANGES",
    lambda: expect("WITHOUT_CHANGES" in error_text(lambda: like("plus")), error_text(lambda: like("plus"))),
)
c.check("like minus", lambda: expect(like("minus") is True, "not true"))
c.check("params.LIKE is empty after minus", lambda: expect(likes(state["msg"], chat()) == [], likes(state["msg"], chat())))
c.check("like auto toggles on", lambda: expect(like("auto") is True, "not true"))
c.check("params.LIKE after auto", lambda: expect(likes(state["msg"], chat()) == [1], likes(state["msg"], chat())))
c.check(
    "MESSAGE_ID 0 raises MESSAGE_ID_ERROR",
    lambda: expect("MESSAGE_ID_ERROR" in error_text(lambda: b.call("im.message.like", {"MESSAGE_ID": 0})), "other"),
)


def batch_list():
    ids = [b.call("im.message.add", {"DIALOG_ID": chat(), "MESSAGE": f"m{i}"}) for i in range(3)]
    answers = b.call("im.message.like", [{"MESSAGE_ID": i, "ACTION": "plus"} for i in ids])
    return expect(answers == (True, True, True) and all(likes(i, chat()) == [1] for i in ids), answers)


def batch_with_failure():
    other = b.call("im.message.add", {"DIALOG_ID": chat(), "MESSAGE": "batch"})
    text = error_text(
        lambda: b.call_batch(
            {
                "halt": 0,
                "cmd": {
                    "like": f"im.message.like?MESSAGE_ID={other}&ACTION=plus",
                    "again": f"im.message.like?MESSAGE_ID={other}&ACTION=plus",
                },
            }
        )
    )
    return expect("again" in text and "WITHOUT_CHANGES" in text and likes(other, chat()) == [1], text)


c.check("call() with a list of likes (one batch)", batch_list)
c.check("call_batch with one failing like raises with its result_error", batch_with_failure)


def paging():
    users = b.get_all("user.get")
    ids = {int(u["ID"]) for u in users}
    return expect(len(users) == USER_COUNT and len(ids) == USER_COUNT, len(users))


c.check(f"get_all('user.get') pages through {USER_COUNT} users", paging)


def private_dialog():
    msg = b.call("im.message.add", {"DIALOG_ID": str(SECOND_USER), "MESSAGE": "private"})
    liked = like("plus", msg)
    return expect(liked is True and likes(msg, str(SECOND_USER)) == [1], (liked, likes(msg, str(SECOND_USER))))


c.check("like in a private dialog", private_dialog)
c.done()
