#!/usr/bin/env bash
# The benchmark: in one interleaved run, the bare-HTTP ceiling (examples/bare_http), b24im's
# durable im.message.like and its 50-message im.dialog.messages.get, optionally the minimal
# group-commit anchor (../shared/bench/anchor), at each connection count, ROUNDS times.
# Prints one table (medians, p50/p99, % of the bare ceiling, b24im's resident memory and
# threads before and after) and writes every measurement as JSON.
#
#   bash bench/run.sh                           # 3 rounds x 8 s at 1, 16, 64 connections
#   ROUNDS=5 SECS=10 CONNS="64" bash bench/run.sh
#   ANCHOR=1 bash bench/run.sh                  # also the anchor (built from ../shared/bench/anchor)
#   DATABASE=postgres://postgres@127.0.0.1:5432/test bash bench/run.sh   # b24im on PostgreSQL,
#       and beside it pgbench with a comparable transaction per like (BEGIN; SELECT 1;
#       INSERT ... ON CONFLICT DO NOTHING; COMMIT) at the same connection counts
#   B24_ENV="RUST_LOG=warn" bash bench/run.sh   # extra environment for b24im
#   B24_BIN=/tmp/other/b24im bash bench/run.sh  # another b24im binary (A/B runs)
#
# Needs wrk (apt-get install wrk). Loopback only; every loop is bounded by ROUNDS x SECS.
# Results: target/bench/results.json (and the table on stdout).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-8}
CONNS=${CONNS:-"1 16 64"}
out_dir=target/bench
mkdir -p "$out_dir"
jsonl="$out_dir/results.jsonl"
: >"$jsonl"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
cargo build --release --bins --example bare_http >/dev/null 2>&1
anchor_bin=""
if [ -n "${ANCHOR:-}" ]; then
  src=${ANCHOR_SRC:-../shared/bench/anchor}
  rm -rf target/anchor-src && cp -r "$src" target/anchor-src && chmod -R u+w target/anchor-src
  (cd target/anchor-src && cargo build --release --quiet)
  anchor_bin=target/anchor-src/target/release/anchor
fi

work=$(mktemp -d)
schema=""
db_args=()
if [ -n "${DATABASE:-}" ]; then
  schema="b24im_bench_$$"
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

target/release/examples/bare_http 127.0.0.1:18181 >/dev/null 2>&1 & pids+=($!)
if [ -n "$anchor_bin" ]; then
  ANCHOR_PORT=18180 "$anchor_bin" group "$work/anchor.db" full >/dev/null 2>&1 & pids+=($!)
fi
env ${B24_ENV:-} "${B24_BIN:-target/release/b24im}" serve --listen 127.0.0.1:18182 --https-listen off \
  --data "$work/data" "${db_args[@]}" >"$work/out" 2>"$work/log" & b24=$!; pids+=($b24)
for _ in $(seq 100); do grep -q "b24im serving" "$work/out" 2>/dev/null && break; sleep 0.1; done
hook=$(grep -o 'http://[^ ]*/rest/1/[a-z0-9]*/' "$work/out" | head -1)
[ -n "$hook" ] || { echo "b24im did not start:"; cat "$work/out" "$work/log"; exit 1; }

mem() { echo "{\"what\":\"b24im-$1\",\"rss_kib\":$(ps -o rss= -p "$b24" | tr -d ' '),\"threads\":$(ls /proc/$b24/task | wc -l)}" >>"$jsonl"; }
mem start
chat=$(curl -sf -H 'Content-Type: application/json' -d '{"TITLE":"bench"}' "${hook}im.chat.add" | sed 's/.*"result":\([0-9]*\).*/\1/')
first=""
for ((b = 0; b < 20; b++)); do
  cmd=$(for i in $(seq 0 49); do printf '"m%d":"im.message.add?DIALOG_ID=chat%s&MESSAGE=bench%d",' "$i" "$chat" "$i"; done)
  o=$(curl -sf -H 'Content-Type: application/json' -d "{\"cmd\":{${cmd%,}}}" "${hook}batch")
  [ -n "$first" ] || first=$(echo "$o" | grep -o '"m0":[0-9]*' | head -1 | cut -d: -f2)
done
mem loaded

pgb() { # conns: pgbench's per-transaction inserts on the same database, same clients
  local tps lat
  [ -n "$schema" ] && command -v pgbench >/dev/null || return 0
  out=$(PGOPTIONS="-csearch_path=$schema" pgbench -n -M prepared -c "$1" -j "$(( $1 < 2 ? 1 : 2 ))" \
        -T "$SECS" -f "$work/pgbench.sql" "$DATABASE" 2>&1)
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
  lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' | head -1)
  [ -n "$tps" ] || { echo "  pgbench failed: $out"; return 0; }
  echo "{\"what\":\"pgbench\",\"conns\":$1,\"round\":$round,\"rps\":$tps,\"p50_ms\":${lat:-0},\"p99_ms\":-1,\"non2xx\":0,\"errors\":0}" >>"$jsonl"
  echo "  pgbench @$1: $tps tps, average latency ${lat} ms"
}
if [ -n "$schema" ]; then
  psql -q "$DATABASE" -c "CREATE TABLE $schema.pgbench_likes (message_id bigint, user_id bigint, PRIMARY KEY (message_id, user_id))"
  printf '%s\n' '\set m random(1, 1000)' '\set u random(1, 1000)' 'BEGIN;' 'SELECT 1;' \
    'INSERT INTO pgbench_likes VALUES (:m, :u) ON CONFLICT DO NOTHING;' 'COMMIT;' >"$work/pgbench.sql"
fi

run() { # name url conns [BODY]
  local r
  r=$(FIRST=$first COUNT=1000 BODY="${4:-}" wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${SECS}s" --latency \
      -s bench/toggle.lua "$2" | grep '^RESULT ' | sed 's/^RESULT //')
  echo "{\"what\":\"$1\",\"conns\":$3,\"round\":$round,${r#\{}" >>"$jsonl"
  echo "  $1 @$3: $r"
}
read_body="{\"DIALOG_ID\":\"chat$chat\",\"LIMIT\":50}"
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round"
  for c in $CONNS; do
    run bare http://127.0.0.1:18181/rest/1/x/im.message.like "$c"
    [ -z "$anchor_bin" ] || run anchor-group-full http://127.0.0.1:18180/rest/1/x/im.message.like "$c"
    run like "${hook}im.message.like" "$c"
    pgb "$c"
    run read-50 "${hook}im.dialog.messages.get" "$c" "$read_body"
    mem after-round
  done
done
mem end

python3 - "$jsonl" "$out_dir/results.json" <<'PY'
import json, statistics, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
runs = [r for r in rows if "rps" in r]
mem = [r for r in rows if "rss_kib" in r]
table = {}
for r in runs:
    table.setdefault((r["what"], r["conns"]), []).append(r)
med = lambda xs: statistics.median(xs)
bare = {c: med([x["rps"] for x in v]) for (w, c), v in table.items() if w == "bare"}
print(f"\n{'target':<18}{'conns':>6}{'req/s':>11}{'% bare':>8}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
summary = []
for (w, c), v in sorted(table.items(), key=lambda kv: (kv[0][1], ["bare", "anchor-group-full", "like", "pgbench", "read-50"].index(kv[0][0]))):
    rps = med([x["rps"] for x in v]); p50 = med([x["p50_ms"] for x in v]); p99 = med([x["p99_ms"] for x in v])
    pct = 100 * rps / bare[c] if bare.get(c) else float("nan")
    bad = sum(x["non2xx"] for x in v)
    p99s = f"{p99:>9.2f}" if p99 >= 0 else f"{'-':>9}"
    print(f"{w:<18}{c:>6}{rps:>11.0f}{pct:>7.1f}%{p50:>9.2f}{p99s}{bad:>9}")
    summary.append({"target": w, "conns": c, "rps": rps, "pct_of_bare": pct, "p50_ms": p50, "p99_ms": p99, "non2xx": bad, "rounds": len(v)})
for c in sorted({c for (w, c) in table}):
    if ("like", c) in table and ("pgbench", c) in table:
        ratio = med([x["rps"] for x in table[("like", c)]]) / med([x["rps"] for x in table[("pgbench", c)]])
        print(f"likes / pgbench transactions @{c}: {ratio:.2f}x")
        summary.append({"target": "like/pgbench", "conns": c, "ratio": ratio})
peak = max(m["rss_kib"] for m in mem)
print("\nb24im resident memory: " + ", ".join(f"{m['what'][6:]} {m['rss_kib'] // 1024} MB/{m['threads']} threads" for m in mem if m["what"] != "b24im-after-round")
      + f"; peak {peak // 1024} MB")
json.dump({"date": datetime.date.today().isoformat(), "summary": summary, "memory": mem, "runs": runs},
          open(sys.argv[2], "w"), indent=1)
print(f"written: {sys.argv[2]}")
PY
