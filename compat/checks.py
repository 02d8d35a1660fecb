"""What every compatibility script shares: the environment run.sh sets, and
one PASS/FAIL line per check."""

import json
import os
import ssl
import sys
import traceback
import urllib.error
import urllib.request
from urllib.parse import urlsplit

WEBHOOK = os.environ["B24IM_WEBHOOK"]  # https://127.0.0.1:PORT/rest/1/KEY/
SECOND_USER = int(os.environ["B24IM_SECOND_USER"])
USER_COUNT = int(os.environ["B24IM_USER_COUNT"])


def webhook_parts():
    """(domain with port, "USER_ID/KEY") as b24pysdk wants them."""
    url = urlsplit(WEBHOOK)
    path = url.path.strip("/").split("/")  # rest, USER_ID, KEY
    return url.netloc, f"{path[1]}/{path[2]}"


class Checks:
    def __init__(self, client):
        self.client = client
        self.failed = 0

    def check(self, name, fn):
        """Runs fn(); anything but `True` (see `expect`), or an exception, is a failure."""
        try:
            outcome = fn()
        except Exception as e:  # the check failed, whatever the client raised
            self.failed += 1
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            print(f"FAIL {self.client}: {name}: {detail}", flush=True)
            return
        if outcome is True:
            print(f"PASS {self.client}: {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {self.client}: {name}: got {outcome!r}", flush=True)

    def done(self):
        sys.exit(0)


def expect(cond, got):
    """`True` when cond holds, else what to report (never `True` itself)."""
    return True if cond else ("unexpected", got)


def rest(hook, method, params):
    """POSTs JSON to a webhook over HTTPS (the suite's CA) and answers the
    decoded body, error answers included: what a plain client sees."""
    tls = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    req = urllib.request.Request(
        hook + method, data=json.dumps(params).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10, context=tls) as res:
            return json.load(res)
    except urllib.error.HTTPError as e:
        return json.load(e)
