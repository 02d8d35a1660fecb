"""Extracts the README's SDK snippets (marked `<!-- compat-snippet: NAME -->`)
and their expected output (`<!-- compat-output: NAME -->`) into a folder, with
the README's example address and webhook key replaced by the test server's.

    python3 compat/readme_snippets.py README.md OUT_DIR HOST:PORT KEY
"""

import re
import sys
from pathlib import Path

README_HOST = "127.0.0.1:8443"
README_KEY = "k32t88gf3azpmwv3"

readme, out, host, key = sys.argv[1:5]
text = Path(readme).read_text(encoding="utf-8")
out = Path(out)
out.mkdir(parents=True, exist_ok=True)
found = 0
for kind, name, body in re.findall(
    r"<!-- compat-(snippet|output): (\S+) -->\n```[a-z]*\n(.*?)```", text, flags=re.S
):
    target = out / (name if kind == "snippet" else name + ".expected")
    if kind == "snippet":
        body = body.replace(README_HOST, host).replace(README_KEY, key)
        found += 1
    target.write_text(body, encoding="utf-8")
if found == 0:
    sys.exit("no compat-snippet markers in " + readme)
print(" ".join(sorted(p.name for p in out.iterdir() if not p.name.endswith(".expected"))))
