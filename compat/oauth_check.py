"""b24pysdk 1.3.2's OAuth client against a b24im local application: the
installation's tokens (`b24im app install`, printed as ONAPPINSTALL's
`auth`), a REST call that meets an expired access token, the SDK's own
renewal through /oauth/token/ and its retry, and app.info from the
authorization server.

b24pysdk hard-codes Bitrix24's authorization server
(https://oauth.bitrix24.tech); an application that talks to b24im points
the SDK's two OAuth URLs at b24im instead, which is the one line set here
(and shown in the README). Nothing else is patched."""

import json
import os
import time

from b24pysdk import BitrixAppLocal, BitrixTokenLocal, Client
from b24pysdk.api.requesters import BitrixOAuthRequester

from checks import Checks, expect, webhook_parts

domain, _ = webhook_parts()
BitrixOAuthRequester._OAUTH_TOKEN_URL = f"https://{domain}/oauth/token/"
BitrixOAuthRequester._APP_INFO_URL = f"https://{domain}/rest/app.info/"

auth = json.loads(os.environ["B24IM_APP_AUTH"])
app = BitrixAppLocal(
    domain=domain,
    client_id=os.environ["B24IM_APP_CLIENT_ID"],
    client_secret=os.environ["B24IM_APP_CLIENT_SECRET"],
)
# No `expires` given: the SDK learns that the token expired from the server.
token = BitrixTokenLocal(auth_token=auth["access_token"], refresh_token=auth["refresh_token"], bitrix_app=app)
client = Client(token)
c = Checks("b24pysdk OAuth")

# The installation's access token was made to live 1 second.
time.sleep(max(0, int(auth["expires"]) - time.time()) + 1.5)


def renewed_on_expiry():
    me = client.user.current().result
    return expect(
        me["ID"] == "1" and token.auth_token != auth["access_token"] and token.refresh_token != auth["refresh_token"],
        (me.get("ID"), token.auth_token == auth["access_token"]),
    )


def refresh_again():
    before = token.auth_token
    token.refresh_and_set_oauth_token()
    like_target = client.im.chat.add(title="oauth").result
    return expect(token.auth_token != before and isinstance(like_target, int), like_target)


def app_info():
    info = app.get_app_info(token.auth_token).result
    return expect(
        info.client_id == app.client_id and info.user_id == 1 and info.install.installed and "im" in info.scope,
        info,
    )


def options():
    # The SDK's option tests (oauth_only): set, then read back.
    app_set = client.app.option.set(options={"b24im": {"n": 1, "s": "x"}}).result
    app_get = client.app.option.get(option="b24im").result
    user_set = client.user.option.set(options={"theme": "dark"}).result
    user_get = client.user.option.get(option="theme").result
    return expect(
        app_set is True and app_get == {"n": 1, "s": "x"} and user_set is True and user_get == "dark",
        (app_set, app_get, user_set, user_get),
    )


c.check("an expired token is renewed through /oauth/token/ and the call retried", renewed_on_expiry)
c.check("refresh_and_set_oauth_token hands out a working pair", refresh_again)
c.check("app.info from the authorization server", app_info)
c.check("app.option.set|get, user.option.set|get", options)
c.done()
