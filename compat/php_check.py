"""PHP, as Bitrix24's PHP examples use it: compat/php/webhook.php (plain curl
to a webhook, JSON and PHP forms) and compat/php/like_bot.php (a chat-bot
handler under `php -S` that likes the message it was sent with the `auth`
the event handed it: the founding page's flow)."""

import json
import os
import socket
import subprocess
import tempfile
import time

from checks import SECOND_USER, WEBHOOK, Checks, expect, rest

SECOND = os.environ["B24IM_SECOND_WEBHOOK"]  # https://.../rest/2/KEY/
here = os.path.dirname(os.path.abspath(__file__))
c = Checks("php")


def webhook_call():
    out = subprocess.run(
        ["php", os.path.join(here, "php", "webhook.php")],
        capture_output=True, text=True, timeout=60,
    )
    want = "200 true\n400 WITHOUT_CHANGES\n[1]\n"
    return expect(out.returncode == 0 and out.stdout == want, (out.stdout, out.stderr[-600:]))


c.check("plain curl to the https webhook: like, WITHOUT_CHANGES, params.LIKE", webhook_call)

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
log = tempfile.NamedTemporaryFile(prefix="b24im-php-", suffix=".log", delete=False).name
server = subprocess.Popen(
    ["php", "-S", f"127.0.0.1:{port}", os.path.join(here, "php", "like_bot.php")],
    env={**os.environ, "B24IM_PHP_LOG": log},
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)


def entries():
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def until(fn, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    return fn()


try:
    # Wait until `php -S` accepts connections.
    until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10)
    bot = rest(WEBHOOK, "imbot.register", {
        "CODE": "phpbot", "EVENT_HANDLER": f"http://127.0.0.1:{port}/", "PROPERTIES": {"NAME": "PhpBot"},
        "CLIENT_ID": "php-compat",
    })["result"]
    sent = rest(SECOND, "im.message.add", {"DIALOG_ID": str(bot), "MESSAGE": "hello PHP"})["result"]
    liked = until(lambda: next((e for e in entries() if e["title"] == "im.message.like"), None))

    c.check(
        "the handler's restCommand('im.message.like', ..., $_REQUEST['auth']) answers true",
        lambda: expect(liked and liked["data"]["response"].get("result") is True
                       and liked["data"]["MESSAGE_ID"] == str(sent), liked),
    )

    def history():
        return rest(SECOND, "im.dialog.messages.get", {"DIALOG_ID": str(bot), "LIMIT": 50})["result"]["messages"]

    def like_shown():
        mine = next((m for m in history() if m["id"] == sent), {})
        return (mine.get("params") or {}).get("LIKE") == [SECOND_USER]

    c.check("the like shows in params.LIKE", lambda: expect(until(like_shown), history()))
    c.check(
        "the handler's imbot.message.add answer arrives",
        lambda: expect(until(lambda: any(m["text"] == "Liked it, from PHP" for m in history())), history()),
    )
finally:
    server.kill()
    os.unlink(log)
c.done()
