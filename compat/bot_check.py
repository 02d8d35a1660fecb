"""examples/like_bot.py, a bot written for Bitrix24, against b24im: registered
once with imbot.register and once with imbot.v2.Bot.register, it likes and
answers a person's message, and hears when the person likes its answer."""

import os
import select
import socket
import subprocess
import sys
import time

from checks import SECOND_USER, WEBHOOK, Checks, expect, rest

SECOND = os.environ["B24IM_SECOND_WEBHOOK"]  # https://.../rest/2/KEY/
c = Checks("like_bot.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
here = os.path.dirname(os.path.abspath(__file__))
bot_process = subprocess.Popen(
    [sys.executable, os.path.join(here, "..", "examples", "like_bot.py"), f"127.0.0.1:{port}"],
    stdout=subprocess.PIPE,
    text=True,
)
handler = f"http://127.0.0.1:{port}/bot"


def until(fn, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    return fn()


printed = []


def printed_within(seconds, want):
    """The bot's output so far, read until a line is `want` or `seconds` pass."""
    deadline = time.time() + seconds
    while want not in printed and time.time() < deadline:
        ready, _, _ = select.select([bot_process.stdout], [], [], max(0, deadline - time.time()))
        if not ready:
            break
        line = bot_process.stdout.readline()
        if not line:
            break
        printed.append(line.strip())
    return printed


def history(dialog):
    return rest(SECOND, "im.dialog.messages.get", {"DIALOG_ID": dialog, "LIMIT": 50})["result"]


def flow(register, label):
    bot = register()["result"]
    bot = bot["bot"]["id"] if isinstance(bot, dict) else bot
    sent = rest(SECOND, "im.message.add", {"DIALOG_ID": str(bot), "MESSAGE": f"hello {label}"})["result"]

    def liked_and_answered():
        h = history(str(bot))
        mine = next((m for m in h["messages"] if m["id"] == sent), None)
        answer = next((m for m in h["messages"] if m["author_id"] == bot and m["text"] == "Liked it!"), None)
        likes = ((mine or {}).get("params") or {}).get("LIKE", [])
        return answer if bot in likes and answer else None

    answer = until(liked_and_answered)
    c.check(f"{label}: the bot liked the message and answered", lambda: expect(answer is not None, history(str(bot))))
    return bot, answer, sent


v1_bot, _, _ = flow(
    lambda: rest(WEBHOOK, "imbot.register", {
        "CODE": "likebot", "EVENT_HANDLER": handler, "PROPERTIES": {"NAME": "LikeBot"}, "CLIENT_ID": "compat",
    }),
    "imbot.register",
)
v2_bot, answer, v2_sent = flow(
    lambda: rest(WEBHOOK, "imbot.v2.Bot.register", {"fields": {
        "code": "likebot2", "botToken": "compat-token", "properties": {"name": "LikeBot2"},
        "eventMode": "webhook", "webhookUrl": handler,
    }}),
    "imbot.v2.Bot.register",
)
if answer:
    rest(SECOND, "im.message.like", {"MESSAGE_ID": answer["id"], "ACTION": "plus"})
    want = f"reaction like add by user {SECOND_USER} on message {answer['id']}"
    c.check("the v2 bot hears the person like its answer", lambda: expect(want in printed_within(10, want), printed))
    said = f"bot {v2_bot} liked message {v2_sent} and answered with message {answer['id']}"
    c.check("the bot prints the id of its answer", lambda: expect(said in printed, printed))
    c.check("the bot says where it listens", lambda: expect(printed[0].startswith("like_bot listening: register " + handler), printed))
bot_process.kill()
c.done()
