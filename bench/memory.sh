#!/usr/bin/env bash
# Memory and cost with a big database (SQLite, the embedded default): 1,000,000 likes stored
# (1,000 users x 1,000 messages) and one message with 10,000 likes. Then, interleaved ROUNDS
# times at CONNS connections: liking fresh messages (no likes yet) against toggling the like of
# the 10,000-like message, and reading 50 messages (50,000 likes in one answer). Prints
# req/s, p50/p99 and b24im's resident memory after every step; writes target/bench/memory.json.
#
#   bash bench/memory.sh
#   ROUNDS=3 SECS=8 CONNS=64 bash bench/memory.sh
#
# The likes are written into the database file directly (python3's sqlite3, while b24im is
# stopped): a million likes through the API would take minutes and measure nothing new.
# Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-8}
CONNS=${CONNS:-64}
out_dir=target/bench
mkdir -p "$out_dir"
jsonl="$out_dir/memory.jsonl"
: >"$jsonl"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
cargo build --release --bins >/dev/null 2>&1

work=$(mktemp -d)
b24=""
cleanup() { [ -z "$b24" ] || kill "$b24" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start() {
  env ${B24_ENV:-} target/release/b24im serve --listen 127.0.0.1:18183 --https-listen off \
    --data "$work/data" >"$work/out" 2>"$work/log" & b24=$!
  for _ in $(seq 100); do grep -q "b24im serving" "$work/out" 2>/dev/null && break; sleep 0.1; done
}
stop() { kill "$b24"; wait "$b24" 2>/dev/null || true; b24=""; }

start
hook=$(grep -o 'http://[^ ]*/rest/1/[a-z0-9]*/' "$work/out" | head -1)
[ -n "$hook" ] || { echo "b24im did not start:"; cat "$work/out" "$work/log"; exit 1; }
chat=$(curl -sf -H 'Content-Type: application/json' -d '{"TITLE":"big"}' "${hook}im.chat.add" | sed 's/.*"result":\([0-9]*\).*/\1/')
stop

echo "seeding: 10,000 users, 2,001 messages, 1,010,000 likes..."
python3 - "$work/data/b24im.sqlite3" "$chat" >"$work/ids" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); chat = int(sys.argv[2]); now = int(time.time())
c = db.cursor()
c.executemany("INSERT INTO users (first_name, last_name, created_at) VALUES (?, ?, ?)",
              ((f"User{i}", "Bench", now) for i in range(10000)))
users = [r[0] for r in c.execute("SELECT id FROM users WHERE last_name = 'Bench' ORDER BY id")]
c.executemany("INSERT INTO chat_members (chat_id, user_id, joined_at) VALUES (?, ?, ?)",
              ((chat, u, now) for u in users))
def messages(n, text):
    c.executemany("INSERT INTO messages (chat_id, author_id, text, created_at) VALUES (?, 1, ?, ?)",
                  ((chat, f"{text}{i}", now) for i in range(n)))
    return [r[0] for r in c.execute("SELECT id FROM messages WHERE text LIKE ? ORDER BY id DESC LIMIT ?", (text + "%", n))][::-1]
fresh = messages(1000, "fresh")          # liked by nobody yet
hot = messages(1, "hot")[0]              # liked by all 10,000 users
liked = messages(1000, "liked")          # each liked by 1,000 users: 1,000,000 likes, the latest page
c.executemany("INSERT INTO reactions (message_id, user_id, reaction, created_at) VALUES (?, ?, 'like', ?)",
              ((hot, u, now) for u in users))
c.executemany("INSERT INTO reactions (message_id, user_id, reaction, created_at) VALUES (?, ?, 'like', ?)",
              ((m, u, now) for m in liked for u in users[:1000]))
db.commit()
n = c.execute("SELECT COUNT(*) FROM reactions").fetchone()[0]
print(fresh[0], hot, n)
PY
read -r fresh hot likes <"$work/ids"
echo "stored likes: $likes; fresh messages from $fresh, the 10,000-like message $hot"

start
mem() { echo "{\"what\":\"$1\",\"rss_kib\":$(ps -o rss= -p "$b24" | tr -d ' '),\"threads\":$(ls /proc/$b24/task | wc -l)}" >>"$jsonl"
        echo "  rss after $1: $(( $(ps -o rss= -p "$b24") / 1024 )) MB"; }
mem start
run() { # name url first count [BODY]
  local r
  r=$(FIRST=$3 COUNT=$4 BODY="${5:-}" wrk -t2 -c"$CONNS" -d"${SECS}s" --latency \
      -s bench/toggle.lua "$2" | grep '^RESULT ' | sed 's/^RESULT //')
  echo "{\"what\":\"$1\",\"conns\":$CONNS,\"round\":$round,${r#\{}" >>"$jsonl"
  echo "  $1 @$CONNS: $r"
}
read_body="{\"DIALOG_ID\":\"chat$chat\",\"LIMIT\":50}"
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round"
  run like-fresh "${hook}im.message.like" "$fresh" 1000; mem like-fresh
  run like-10k-message "${hook}im.message.like" "$hot" 1; mem like-10k-message
  run read-50-with-50k-likes "${hook}im.dialog.messages.get" "$fresh" 1 "$read_body"; mem read-50
done

python3 - "$jsonl" "$out_dir/memory.json" "$likes" <<'PY'
import json, statistics, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
runs = [r for r in rows if "rps" in r]; mem = [r for r in rows if "rss_kib" in r]
print(f"\nstored likes: {sys.argv[3]}")
print(f"{'target':<26}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
summary = []
for w in dict.fromkeys(r["what"] for r in runs):
    v = [r for r in runs if r["what"] == w]
    s = {k: statistics.median(x[k] for x in v) for k in ("rps", "p50_ms", "p99_ms")}
    bad = sum(x["non2xx"] for x in v)
    print(f"{w:<26}{s['rps']:>10.0f}{s['p50_ms']:>9.2f}{s['p99_ms']:>9.2f}{bad:>9}")
    summary.append({"target": w, **s, "non2xx": bad})
print(f"b24im resident memory: start {mem[0]['rss_kib'] // 1024} MB, peak {max(m['rss_kib'] for m in mem) // 1024} MB, "
      f"end {mem[-1]['rss_kib'] // 1024} MB/{mem[-1]['threads']} threads")
json.dump({"date": datetime.date.today().isoformat(), "likes": int(sys.argv[3]), "summary": summary,
           "memory": mem, "runs": runs}, open(sys.argv[2], "w"), indent=1)
print(f"written: {sys.argv[2]}")
PY
