"""Event delivery latency: from b24im answering im.message.add (a user writing to a chat-bot in
a private dialog) to the bot's handler receiving the ONIMBOTMESSAGEADD POST for that message.

A threaded HTTP handler on a free loopback port records time.perf_counter() as each POST
arrives and answers 200 at once. A bot (imbot.register, TYPE B) gets it as EVENT_HANDLER; then
the webhook's user sends COUNT messages to the bot, GAP ms apart, one at a time over one
keep-alive connection, noting perf_counter() when each answer arrives and the message id it
returns. Deliveries are matched to messages by data[PARAMS][MESSAGE_ID]; stragglers get up to
--wait seconds. Latency = arrival - answer; it can be negative (delivery beats the answer).

    python3 bench/events.py --webhook http://127.0.0.1:18192/rest/1/TOKEN/ [--count 300]
        [--gap-ms 10] [--wait 5] [--out target/bench/events.json]

bench/events.sh starts a server and runs this. Standard library only. Exits 1 if any message
was not delivered (or an im.message.add failed).
"""

import argparse
import datetime
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Deliveries:
    """What the handler heard: MESSAGE_ID -> arrival times, and a count per event."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = {}  # message id -> [perf_counter(), ...] (more than one: a redelivery)
        self.events = {}  # event name -> posts
        self.bad = []  # posts that could not be read
        self.changed = threading.Condition(self.lock)

    def add(self, at, form):
        with self.lock:
            event = form.get("event", "")
            self.events[event] = self.events.get(event, 0) + 1
            if event == "ONIMBOTMESSAGEADD":
                mid = form.get("data[PARAMS][MESSAGE_ID]", "")
                if mid.isdigit():
                    self.arrivals.setdefault(int(mid), []).append(at)
                else:
                    self.bad.append(form)
            self.changed.notify_all()

    def wait_for(self, ids, seconds):
        """Waits until every id in ids was delivered, or seconds pass."""
        end = time.monotonic() + seconds
        with self.lock:
            while not all(i in self.arrivals for i in ids):
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(left)


def handler_class(deliveries):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real handler behind a web server
        disable_nagle_algorithm = True

        def do_POST(self):
            at = time.perf_counter()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            try:
                form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            except UnicodeDecodeError:
                form = {}
            deliveries.add(at, form)

        def log_message(self, *args):
            pass

    return Handler


class Rest:
    """REST calls over one keep-alive connection to the webhook URL."""

    def __init__(self, webhook):
        url = urllib.parse.urlsplit(webhook)
        if url.scheme != "http":
            sys.exit(f"only http:// webhooks: {webhook}")
        self.path = url.path if url.path.endswith("/") else url.path + "/"
        self.conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)

    def call(self, method, params):
        """Returns (HTTP status, decoded answer, perf_counter() when the answer arrived)."""
        body = json.dumps(params).encode()
        self.conn.request("POST", self.path + method, body,
                          {"Content-Type": "application/json"})
        res = self.conn.getresponse()
        at = time.perf_counter()
        raw = res.read()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = {"raw": raw.decode(errors="replace")}
        return res.status, answer, at


def percentile(sorted_xs, q):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_xs:
        return float("nan")
    k = max(0, min(len(sorted_xs) - 1, -(-q * len(sorted_xs) // 100) - 1))
    return sorted_xs[int(k)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--webhook", required=True, help="an admin webhook URL, .../rest/1/TOKEN/")
    ap.add_argument("--count", type=int, default=300, help="messages to send (300)")
    ap.add_argument("--gap-ms", type=float, default=10, help="pause between messages (10 ms)")
    ap.add_argument("--wait", type=float, default=5, help="seconds to wait for stragglers (5)")
    ap.add_argument("--out", default="target/bench/events.json", help="where the JSON goes")
    args = ap.parse_args()

    deliveries = Deliveries()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(deliveries))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler_url = f"http://127.0.0.1:{server.server_address[1]}/bot"

    rest = Rest(args.webhook)
    code = f"bench_events_{os.getpid()}_{int(time.time())}"
    status, answer, _ = rest.call("imbot.register", {
        "CODE": code, "TYPE": "B", "EVENT_HANDLER": handler_url, "OPENLINE": "N",
        "PROPERTIES": {"NAME": "EventBench"}, "CLIENT_ID": "bench_events",
    })
    bot = answer.get("result")
    if status != 200 or not isinstance(bot, int):
        sys.exit(f"imbot.register failed: HTTP {status} {answer}")

    sent = {}  # message id -> perf_counter() of the answer
    rtts = []  # im.message.add round trips, ms
    failures = []  # (i, status, answer)
    gap = args.gap_ms / 1000
    started = time.perf_counter()
    for i in range(args.count):
        t0 = time.perf_counter()
        status, answer, at = rest.call("im.message.add", {"DIALOG_ID": str(bot), "MESSAGE": f"m{i}"})
        mid = answer.get("result")
        if status == 200 and isinstance(mid, int):
            sent[mid] = at
            rtts.append((at - t0) * 1000)
        else:
            failures.append({"i": i, "status": status, "answer": answer})
        time.sleep(max(0.0, gap - (time.perf_counter() - at)) if gap else 0)
    sending_s = time.perf_counter() - started
    deliveries.wait_for(list(sent), args.wait)
    server.shutdown()

    with deliveries.lock:
        arrivals = {m: list(ts) for m, ts in deliveries.arrivals.items()}
        events = dict(deliveries.events)
        unreadable = len(deliveries.bad)
    # Latency of the first arrival of each message that was answered; later ones are redeliveries.
    lat = {m: (arrivals[m][0] - at) * 1000 for m, at in sent.items() if m in arrivals}
    xs = sorted(lat.values())
    missing = sorted(m for m in sent if m not in arrivals)
    duplicates = sum(len(ts) - 1 for m, ts in arrivals.items() if m in sent)
    strangers = sorted(m for m in arrivals if m not in sent)
    rtts.sort()

    stats = {
        "p50_ms": percentile(xs, 50), "p90_ms": percentile(xs, 90), "p99_ms": percentile(xs, 99),
        "max_ms": xs[-1] if xs else float("nan"), "min_ms": xs[0] if xs else float("nan"),
        "mean_ms": statistics.fmean(xs) if xs else float("nan"),
        "negative": sum(1 for x in xs if x < 0),
    }
    print(f"event delivery latency (handler arrival - im.message.add answer), "
          f"{args.count} messages {args.gap_ms:g} ms apart, bot {bot}")
    print(f"  sent {len(sent)} (failed {len(failures)}), delivered {len(lat)}, "
          f"missing {len(missing)}, redelivered {duplicates}")
    if xs:
        print(f"  p50 {stats['p50_ms']:.2f} ms  p90 {stats['p90_ms']:.2f} ms  "
              f"p99 {stats['p99_ms']:.2f} ms  max {stats['max_ms']:.2f} ms  "
              f"(min {stats['min_ms']:.2f} ms, {stats['negative']} negative, "
              f"mean {stats['mean_ms']:.2f} ms)")
    if rtts:
        print(f"  im.message.add round trip: p50 {percentile(rtts, 50):.2f} ms  "
              f"p99 {percentile(rtts, 99):.2f} ms  max {rtts[-1]:.2f} ms")
    print(f"  events heard: " + ", ".join(f"{k or '?'} {v}" for k, v in sorted(events.items())))
    for f in failures[:5]:
        print(f"  im.message.add #{f['i']} failed: HTTP {f['status']} {f['answer']}")
    if missing:
        print(f"  not delivered within {args.wait:g} s: message ids {missing[:20]}"
              + (" ..." if len(missing) > 20 else ""))
    if strangers or unreadable:
        print(f"  unmatched ONIMBOTMESSAGEADD: ids {strangers[:20]}, unreadable {unreadable}")

    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "count": args.count, "gap_ms": args.gap_ms, "bot": bot,
            "sent": len(sent), "failed": failures, "delivered": len(lat),
            "missing": missing, "redelivered": duplicates, "unmatched": strangers,
            "events": events, "sending_s": sending_s, **stats,
            "add_rtt_p50_ms": percentile(rtts, 50), "add_rtt_p99_ms": percentile(rtts, 99),
            "latencies_ms": [lat[m] for m in sorted(lat)],  # in message id (sending) order
        }, fh, indent=1)
    print(f"written: {args.out}")
    return 0 if len(sent) == args.count and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
