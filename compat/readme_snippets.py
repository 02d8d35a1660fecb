"""Extracts the README's SDK snippets (marked `<!-- compat-snippet: NAME -->`)
and their expected output (`<!-- compat-output: NAME -->`) into a folder.

The snippets take the server's address, webhook and CA from the variables
`serve` prints (`B24IM_HOOK`, `B24IM_HTTPS_HOOK`, ...), so they run as
pasted; one that names an address or the README's example key itself is
refused, since a reader would have to edit it.

    python3 compat/readme_snippets.py README.md OUT_DIR
"""

import re
import sys
from pathlib import Path

README_KEY = "k32t88gf3azpmwv3"

readme, out = sys.argv[1:3]
text = Path(readme).read_text(encoding="utf-8")
out = Path(out)
out.mkdir(parents=True, exist_ok=True)
found = 0
for kind, name, body in re.findall(
    r"<!-- compat-(snippet|output): (\S+) -->\n```[a-z]*\n(.*?)```", text, flags=re.S
):
    target = out / (name if kind == "snippet" else name + ".expected")
    if kind == "snippet":
        for fixed in (README_KEY, "127.0.0.1", "localhost", "b24im-data"):
            if fixed in body:
                sys.exit(f"the README's snippet {name} names {fixed!r}: take it from the variables serve prints")
        found += 1
    target.write_text(body, encoding="utf-8")
if found == 0:
    sys.exit("no compat-snippet markers in " + readme)
print(" ".join(sorted(p.name for p in out.iterdir() if not p.name.endswith(".expected"))))
