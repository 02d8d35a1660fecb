#!/usr/bin/env bash
# The compatibility suite: the real clients our users have, unchanged, against
# a fresh `b24im serve` over HTTPS with the CA it generated.
#
#   bash compat/run.sh            # builds the release binary if needed
#   DATABASE=postgres://postgres@127.0.0.1:5432/test bash compat/run.sh
#                                 # the same on PostgreSQL: a fresh schema, dropped after (needs psql)
#
# Installs pinned b24pysdk and fast-bitrix24 (compat/requirements.txt) into
# target/compat/venv and @bitrix24/b24jssdk (compat/js/package-lock.json) into
# target/compat/js, reusing both while the pins are unchanged. Needs python3
# (with venv), node >= 20 and npm, and the PyPI and npm registries the first time;
# php-cli with php-curl for the PHP checks (skipped, with a line saying so, without).
# Prints one line per check and "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=target/compat
mkdir -p "$work"

# --- the clients, pinned ---------------------------------------------------
stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }
py_stamp=$(stamp compat/requirements.txt)
if [ "$(cat "$work/venv/.stamp" 2>/dev/null)" != "$py_stamp" ]; then
  echo "installing the Python clients (compat/requirements.txt)..."
  rm -rf "$work/venv"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check -r compat/requirements.txt
  echo "$py_stamp" > "$work/venv/.stamp"
fi
js_stamp=$(stamp compat/js/package.json compat/js/package-lock.json)
if [ "$(cat "$work/js/.stamp" 2>/dev/null)" != "$js_stamp" ]; then
  echo "installing the JS client (compat/js/package-lock.json)..."
  rm -rf "$work/js"
  mkdir -p "$work/js"
  cp compat/js/package.json compat/js/package-lock.json "$work/js/"
  (cd "$work/js" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$js_stamp" > "$work/js/.stamp"
fi
cp compat/b24jssdk.mjs compat/b24jssdk_oauth.mjs "$work/js/"

# --- a fresh server ----------------------------------------------------------
bin=${B24IM_BIN:-target/release/b24im}
if [ -z "${B24IM_BIN:-}" ]; then
  cargo build --release --quiet --bin b24im
fi
data=$(mktemp -d)
out="$data/out"
# Where the server and the CLI keep their data: the directory, and on
# PostgreSQL a fresh schema of $DATABASE.
store=(--data "$data/db")
schema=""
if [ -n "${DATABASE:-}" ]; then
  schema="b24im_compat_$$"
  psql -q "$DATABASE" -c "CREATE SCHEMA $schema"
  case "$DATABASE" in *\?*) sep='&' ;; *) sep='?' ;; esac
  store+=(--database "${DATABASE}${sep}options=-csearch_path%3D${schema}")
  echo "on PostgreSQL (schema $schema)"
fi
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$data"
  [ -z "$schema" ] || psql -q "$DATABASE" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE" || true
}
trap cleanup EXIT
"$bin" serve --listen 127.0.0.1:0 --https-listen 127.0.0.1:0 "${store[@]}" >"$out" 2>"$data/log" &
pid=$!
for _ in $(seq 100); do grep -q "^b24im serving" "$out" 2>/dev/null && break; sleep 0.1; done
grep -q "^b24im serving" "$out" || { echo "the server did not start:"; cat "$out" "$data/log"; exit 1; }
hook=$(grep -o 'https://[^ ]*/rest/1/[a-z0-9]*/' "$out" | head -1)
ca=$(sed -n 's/^HTTPS certificate authority: //p' "$out")

# A second user for the group chat and the private dialog, then 120 more for paging.
"$bin" user add "${store[@]}" --name Second >/dev/null
https_base=${hook%/rest/*}
second_hook=$("$bin" webhook add "${store[@]}" --user 2 --base-url "$https_base")
for i in $(seq 1 120); do "$bin" user add "${store[@]}" --name "Person$i" >/dev/null; done
export B24IM_WEBHOOK=$hook B24IM_SECOND_USER=2 B24IM_USER_COUNT=122 B24IM_SECOND_WEBHOOK=$second_hook
# A local application installed by the administrator, its first access
# token made to expire at once so the OAuth check sees a renewal.
app_out=$("$bin" app add "${store[@]}" --name Compat --scope im,imbot,user 2>/dev/null)
export B24IM_APP_CLIENT_ID=$(sed -n 's/^client_id=//p' <<<"$app_out")
export B24IM_APP_CLIENT_SECRET=$(sed -n 's/^client_secret=//p' <<<"$app_out")
export B24IM_APP_AUTH=$("$bin" app install "${store[@]}" "$B24IM_APP_CLIENT_ID" --user 1 --access-ttl 1 2>/dev/null)
# A second installation, for the JS SDK's own renewal (a renewal retires the refresh token).
export B24IM_APP_AUTH_JS=$("$bin" app install "${store[@]}" "$B24IM_APP_CLIENT_ID" --user 1 --access-ttl 1 2>/dev/null)
# Each client is told to trust the CA exactly as the README says.
export REQUESTS_CA_BUNDLE=$ca SSL_CERT_FILE=$ca NODE_EXTRA_CA_CERTS=$ca

results="$data/results"
: >"$results"
run() {
  local name=$1; shift
  if ! "$@" | tee -a "$results"; then
    echo "FAIL $name: the script exited with an error" | tee -a "$results"
  fi
}
run b24pysdk "$work/venv/bin/python" compat/b24pysdk_check.py
run b24pysdk-oauth "$work/venv/bin/python" compat/oauth_check.py
run fast-bitrix24 "$work/venv/bin/python" compat/fast_bitrix24_check.py
run b24jssdk node "$work/js/b24jssdk.mjs"
run b24jssdk-oauth node "$work/js/b24jssdk_oauth.mjs"
run like_bot.py "$work/venv/bin/python" compat/bot_check.py
# PHP as the docs' examples use it (CRest itself is in no package registry we
# reach; its calls are plain curl like these). .ci/run installs php-cli and
# php-curl; elsewhere the PHP checks say why they did not run.
if php -r 'exit(function_exists("curl_init") ? 0 : 1);' 2>/dev/null; then
  run php "$work/venv/bin/python" compat/php_check.py
elif [ -n "${CI:-}" ]; then
  # .ci/run installs PHP: in CI a missing PHP is a failure, not a skip.
  echo "FAIL php: no php with the curl extension in CI" | tee -a "$results"
else
  echo "PHP checks SKIPPED: no php with the curl extension (apt-get install php-cli php-curl)"
fi

# The README's snippets, run as a user would after pasting them: with the
# variables the server's banner says to export (the line itself, checked
# against what it should say), and for the OAuth snippet a fresh installation.
snippets="$work/js/readme"   # inside the Node project, so `import` finds the SDK
rm -rf "$snippets"
exports=$(sed -n 's/^  export //p' "$out")
case "$exports" in
  "B24IM_URL=http://127.0.0.1:"*" B24IM_HOOK=http://127.0.0.1:"*"/rest/1/"*" B24IM_HTTPS_HOOK=$hook B24IM_CA=$ca") ;;
  *) echo "FAIL README: the banner's export line is '$exports'" | tee -a "$results" ;;
esac
export $exports
export B24IM_APP_AUTH=$("$bin" app install "${store[@]}" "$B24IM_APP_CLIENT_ID" --user 1 2>/dev/null)
if ! names=$(python3 compat/readme_snippets.py README.md "$snippets"); then
  echo "FAIL README: the snippets cannot be run as pasted" | tee -a "$results"
  names=""
fi
for name in $names; do
  case "$name" in
    *.py) runner=("$work/venv/bin/python") ;;
    *.mjs) runner=(node) ;;
    *) echo "FAIL README: $name: no runner for this kind of file" | tee -a "$results"; continue ;;
  esac
  if got=$("${runner[@]}" "$snippets/$name" 2>"$data/snippet.err") && [ "$got" == "$(cat "$snippets/$name.expected")" ]; then
    echo "PASS README: the $name snippet prints what the README shows" | tee -a "$results"
  else
    echo "FAIL README: $name printed: $got $(tail -c 600 "$data/snippet.err")" | tee -a "$results"
  fi
done

passed=$(grep -c '^PASS' "$results" || true)
failed=$(grep -c '^FAIL' "$results" || true)
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
