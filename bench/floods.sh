#!/usr/bin/env bash
# What a hostile client costs the others (docs/security.md), on the release binary with its
# default limits (SQLite):
#
# 1. Worst-case batches: a chat with 50 messages of 20,000 characters; each batch is 50 reads
#    of that page (about 50 MB of answer without the batch answer bound). ROUNDS times, four
#    such batches at once; b24im's peak resident memory (VmHWM) and each answer's size.
# 2. A flood from one address: FLOOD connections from 127.0.0.1 that never send a byte; a
#    client at another address (127.0.0.2) calls server.time PROBES times meanwhile: its
#    latencies, against the same calls without the flood.
#
#   bash bench/floods.sh
#   ROUNDS=5 FLOOD=4000 bash bench/floods.sh
#   B24IM_BIN=/path/to/an/older/b24im bash bench/floods.sh     # the same against another build
#
# Prints one line per measure and writes target/bench/floods.json. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
FLOOD=${FLOOD:-2000}
PROBES=${PROBES:-50}
out_dir=target/bench
mkdir -p "$out_dir"
bin=${B24IM_BIN:-target/release/b24im}   # another binary: B24IM_BIN=... (an A/B)
[ -n "${B24IM_BIN:-}" ] || cargo build --release --bins >/dev/null 2>&1
ulimit -n 65536 2>/dev/null || true

work=$(mktemp -d)
b24=""
cleanup() { [ -z "$b24" ] || kill "$b24" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$bin" serve --listen 127.0.0.1:18184 --https-listen off --data "$work/data" \
  >"$work/out" 2>"$work/log" & b24=$!
for _ in $(seq 100); do grep -q "b24im serving" "$work/out" 2>/dev/null && break; sleep 0.1; done
hook=$(grep -o 'http://[^ ]*/rest/1/[a-z0-9]*/' "$work/out" | head -1)
[ -n "$hook" ] || { echo "b24im did not start:"; cat "$work/out" "$work/log"; exit 1; }

python3 - "$hook" "$b24" "$ROUNDS" "$FLOOD" "$PROBES" "$out_dir/floods.json" <<'PY'
import json, socket, statistics, sys, threading, time, urllib.request, datetime

hook, pid, rounds, flood, probes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

def call(method, params, source=None):
    body = json.dumps(params).encode()
    req = urllib.request.Request(hook + method, data=body, headers={"Content-Type": "application/json"})
    if source is None:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.read()
    # From another loopback address: a plain HTTP/1.1 request over a bound socket.
    host, port = hook.split("//")[1].split("/")[0].split(":")
    path = "/" + hook.split("//")[1].split("/", 1)[1] + method
    s = socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0))
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return data

def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1]) // 1024
    return 0

chat = json.loads(call("im.chat.add", {"TITLE": "floods"}))["result"]
for _ in range(50):
    call("im.message.add", {"DIALOG_ID": f"chat{chat}", "MESSAGE": "x" * 20000})
cmd = {f"r{i}": f"im.dialog.messages.get?DIALOG_ID=chat{chat}&LIMIT=50" for i in range(50)}
rss_before = status(pid, "VmRSS:")
sizes = []
def batch():
    sizes.append(len(call("batch", {"cmd": cmd})))
for _ in range(rounds):
    threads = [threading.Thread(target=batch) for _ in range(4)]
    [t.start() for t in threads]; [t.join() for t in threads]
peak = status(pid, "VmHWM:")
print(f"worst-case batches: {rounds} x 4 at once, answers {min(sizes)}-{max(sizes)} bytes; "
      f"b24im resident {rss_before} MB before, peak {peak} MB")

def probe(n):
    took = []
    for _ in range(n):
        t = time.perf_counter()
        answer = call("server.time", {}, source="127.0.0.2")
        assert b" 200 " in answer.split(b"\r\n")[0], answer[:200]
        took.append((time.perf_counter() - t) * 1000)
    return took
quiet = probe(probes)
host, port = hook.split("//")[1].split("/")[0].split(":")
opened, socks = 0, []
for _ in range(flood):
    try:
        socks.append(socket.create_connection((host, int(port)), timeout=2)); opened += 1
    except OSError:
        pass
flooded = probe(probes)
for s in socks:
    s.close()
def q(v, p): return sorted(v)[min(len(v) - 1, int(len(v) * p))]
print(f"a client at 127.0.0.2, {probes} calls: p50 {statistics.median(quiet):.2f} ms, max {max(quiet):.2f} ms alone; "
      f"p50 {statistics.median(flooded):.2f} ms, p99 {q(flooded, 0.99):.2f} ms, max {max(flooded):.2f} ms "
      f"beside {opened} idle connections from 127.0.0.1")
json.dump({"date": datetime.date.today().isoformat(),
           "batches": {"rounds": rounds, "at_once": 4, "answer_bytes": [min(sizes), max(sizes)],
                       "rss_before_mb": rss_before, "peak_rss_mb": peak},
           "flood": {"idle_connections": opened, "probes": probes,
                     "alone_ms": {"p50": statistics.median(quiet), "max": max(quiet)},
                     "flooded_ms": {"p50": statistics.median(flooded), "p99": q(flooded, 0.99), "max": max(flooded)}}},
          open(out, "w"), indent=1)
print(f"written: {out}")
PY
