#!/usr/bin/env bash
# Event delivery latency: the time from b24im answering im.message.add (a user writing to a
# chat-bot in a private dialog) to the bot's handler receiving the ONIMBOTMESSAGEADD POST for
# that message. Starts b24im on a fresh data directory (or a fresh PostgreSQL schema), then
# bench/events.py registers a bot whose handler (on a free loopback port) answers at once, sends
# COUNT messages to it one at a time, GAP ms apart, and prints count sent and delivered, p50,
# p90, p99, max and min of (arrival - answer).
#
#   bash bench/events.sh                        # 300 messages, 10 ms apart, on SQLite
#   COUNT=1000 GAP=0 bash bench/events.sh
#   DATABASE=postgres://postgres@127.0.0.1:5432/test bash bench/events.sh   # on PostgreSQL
#   B24_ENV="RUST_LOG=warn" bash bench/events.sh  # extra environment for b24im
#   B24_BIN=/tmp/other/b24im bash bench/events.sh # another b24im binary (no build)
#
# Needs python3 (standard library only). Loopback only. Exits non-zero if a message was not
# delivered within 5 s. Results: target/bench/events.json (and the figures on stdout).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-300}
GAP=${GAP:-10}
PORT=${PORT:-18192}
mkdir -p target/bench

if [ -z "${B24_BIN:-}" ]; then
  cargo build --release --bins >target/bench/events-build.log 2>&1 \
    || { cat target/bench/events-build.log; exit 1; }
fi

work=$(mktemp -d)
schema=""
db_args=()
if [ -n "${DATABASE:-}" ]; then
  schema="b24im_events_$$"
  psql -q "$DATABASE" -c "CREATE SCHEMA $schema"
  case "$DATABASE" in *\?*) sep='&' ;; *) sep='?' ;; esac
  db_args=(--database "${DATABASE}${sep}options=-csearch_path%3D${schema}")
fi
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"
  [ -z "$schema" ] || psql -q "$DATABASE" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE" || true
}
trap cleanup EXIT

env ${B24_ENV:-} "${B24_BIN:-target/release/b24im}" serve --listen "127.0.0.1:$PORT" --https-listen off \
  --data "$work/data" "${db_args[@]}" >"$work/out" 2>"$work/log" & pids+=($!)
for _ in $(seq 100); do grep -q "b24im serving" "$work/out" 2>/dev/null && break; sleep 0.1; done
hook=$(grep -o 'http://[^ ]*/rest/1/[a-z0-9]*/' "$work/out" | head -1)
[ -n "$hook" ] || { echo "b24im did not start:"; cat "$work/out" "$work/log"; exit 1; }
for _ in $(seq 50); do curl -sf -o /dev/null "${hook}server.time" && break; sleep 0.1; done

echo "$("${B24_BIN:-target/release/b24im}" --version) on ${schema:+PostgreSQL, schema }${schema:-SQLite}"
status=0
python3 bench/events.py --webhook "$hook" --count "$COUNT" --gap-ms "$GAP" \
  --out target/bench/events.json || status=$?
# Anything odd b24im logged: error answers, failed deliveries, warnings.
odd=$(grep -E 'status=[45][0-9][0-9]|WARN|ERROR' "$work/log" || true)
[ -z "$odd" ] || { echo "b24im logged $(echo "$odd" | wc -l) odd lines, the first:"; echo "$odd" | head -5; }
exit $status
