"""A chat-bot written for Bitrix24, run against b24im unchanged.

It answers the events Bitrix24 POSTs (form-encoded, read here with nothing
but the standard library):

- ONIMBOTMESSAGEADD (a bot made with imbot.register) and ONIMBOTV2MESSAGEADD
  (imbot.v2.Bot.register, webhook mode): it likes the message and replies,
  calling back with the access token the event handed it;
- ONIMBOTV2REACTIONCHANGE: somebody reacted to one of its messages; it prints
  one line per reaction.

    python3 examples/like_bot.py 127.0.0.1:9000

It prints where it listens, a line for each message it likes and answers
(with its answer's id, to like it back), and a line for each reaction.

Register it (the README's "Chat-bots and events" shows both ways), then write
to it.
"""

import json
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer


def call(endpoint, method, params, token):
    """A REST call back to the portal, as the bot."""
    body = json.dumps({**params, "auth": token}).encode()
    req = urllib.request.Request(
        endpoint + method, data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)


def answered(bot, message, answer):
    print(f"bot {bot} liked message {message} and answered with message {answer}", flush=True)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        event = form.get("event", "")
        if event == "ONIMBOTMESSAGEADD":
            bot = next(k.split("[")[2].rstrip("]") for k in form if k.startswith("data[BOT]["))
            auth = f"data[BOT][{bot}]"
            token = form[f"{auth}[access_token]"]
            endpoint = form[f"{auth}[client_endpoint]"]
            message = form["data[PARAMS][MESSAGE_ID]"]
            call(endpoint, "imbot.message.like",
                 {"BOT_ID": bot, "MESSAGE_ID": message, "ACTION": "plus"}, token)
            answer = call(endpoint, "imbot.message.add",
                          {"BOT_ID": bot, "DIALOG_ID": form["data[PARAMS][DIALOG_ID]"],
                           "MESSAGE": "Liked it!"}, token)["result"]
            answered(bot, message, answer)
        elif event == "ONIMBOTV2MESSAGEADD":
            bot = form["data[bot][id]"]
            token = form["data[bot][auth][access_token]"]
            endpoint = form["data[bot][auth][client_endpoint]"]
            message = form["data[message][id]"]
            call(endpoint, "imbot.v2.Chat.Message.Reaction.add",
                 {"botId": bot, "messageId": message, "reaction": "like"}, token)
            answer = call(endpoint, "imbot.v2.Chat.Message.send",
                          {"botId": bot, "dialogId": form["data[chat][dialogId]"],
                           "fields": {"message": "Liked it!"}}, token)["result"]["id"]
            answered(bot, message, answer)
        elif event == "ONIMBOTV2REACTIONCHANGE":
            print(
                f"reaction {form['data[reaction]']} {form['data[action]']}"
                f" by user {form['data[user][id]']} on message {form['data[message][id]']}",
                flush=True,
            )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    host, port = sys.argv[1].rsplit(":", 1)
    server = HTTPServer((host, int(port)), Handler)
    print(f"like_bot listening: register http://{host}:{port}/bot as the bot's handler", flush=True)
    server.serve_forever()
