#!/usr/bin/env bash
# The like benchmark: durable likes/s at 64 connections against the same box's
# bare-HTTP ceiling (examples/bare_http.rs: same tokio/axum/hyper stack, constant
# answer). Runs the two alternately, ROUNDS times, and prints the medians and
# their ratio. Needs wrk (Debian: apt-get install wrk). Loopback only.
#
#   bash bench/like.sh                     # 3 rounds of 10 s, 64 connections
#   ROUNDS=5 DURATION=20s bash bench/like.sh
#   RUST_LOG=warn bash bench/like.sh       # without per-request log lines
#   DATABASE=postgres://postgres@127.0.0.1:5432/test bash bench/like.sh
#                                          # on PostgreSQL (a fresh schema, dropped after; needs psql)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
MESSAGES=${MESSAGES:-1000}
BARE_ADDR=127.0.0.1:18181
B24_ADDR=127.0.0.1:18182

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
cargo build --release --bins --example bare_http >/dev/null 2>&1

work=$(mktemp -d)
db_args=()
schema=""
if [ -n "${DATABASE:-}" ]; then
  schema="b24im_bench_$$"
  psql -q "$DATABASE" -c "CREATE SCHEMA $schema"
  case "$DATABASE" in *\?*) sep='&' ;; *) sep='?' ;; esac
  db_args=(--database "${DATABASE}${sep}options=-csearch_path%3D${schema}")
fi
cleanup() {
  kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"
  [ -z "$schema" ] || psql -q "$DATABASE" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE" || true
}
trap cleanup EXIT

target/release/examples/bare_http "$BARE_ADDR" >/dev/null &
target/release/b24im serve --listen "$B24_ADDR" --https-listen off --data "$work/data" "${db_args[@]}" >"$work/out" 2>"$work/log" &
for _ in $(seq 100); do grep -q "b24im serving" "$work/out" 2>/dev/null && break; sleep 0.1; done
hook=$(grep -o 'http://[^ ]*/rest/1/[a-z0-9]*/' "$work/out")

chat=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"TITLE":"bench"}' "${hook}im.chat.add" | sed 's/.*"result":\([0-9]*\).*/\1/')
first=""
for ((b = 0; b < MESSAGES / 50; b++)); do
  cmd=$(for i in $(seq 0 49); do printf '"m%d":"im.message.add?DIALOG_ID=chat%s&MESSAGE=bench%d",' "$i" "$chat" "$i"; done)
  out=$(curl -sf -X POST -H 'Content-Type: application/json' -d "{\"cmd\":{${cmd%,}}}" "${hook}batch")
  [ -n "$first" ] || first=$(echo "$out" | grep -o '"m0":[0-9]*' | head -1 | cut -d: -f2)
done

rate() { grep 'Requests/sec' | awk '{print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bare=(); like=()
for ((r = 1; r <= ROUNDS; r++)); do
  b=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "http://$BARE_ADDR/rest/x" | rate)
  out=$(FIRST=$first COUNT=$MESSAGES wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/like.lua "${hook}im.message.like")
  l=$(echo "$out" | rate)
  bad=$(echo "$out" | grep -o 'Non-2xx or 3xx responses: [0-9]*' | awk '{print $NF}' || true)
  echo "round $r: bare ${b} req/s, likes ${l}/s, non-2xx ${bad:-0}"
  bare+=("$b"); like+=("$l")
done
mb=$(printf '%s\n' "${bare[@]}" | median)
ml=$(printf '%s\n' "${like[@]}" | median)
echo "median bare-HTTP ceiling: $mb req/s"
echo "median durable likes:     $ml likes/s"
awk -v l="$ml" -v b="$mb" 'BEGIN {printf "ratio: %.1f%% of the bare-HTTP ceiling\n", 100 * l / b}'
