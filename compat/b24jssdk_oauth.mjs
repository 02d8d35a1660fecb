// @bitrix24/b24jssdk 2.2.0's OAuth client (B24OAuth), unchanged, built from
// the `auth` of ONAPPINSTALL as an application's installation handler gets
// it (`b24im app install` prints the same). Its access token has already
// expired on the server (installed with --access-ttl 1) while the SDK still
// believes it good: the call meets 401 expired_token, the SDK renews the
// token at `server_endpoint`'s /oauth/token/ (b24im itself) and retries.
import { B24OAuth } from '@bitrix24/b24jssdk'

const auth = JSON.parse(process.env.B24IM_APP_AUTH_JS)
let failed = 0

async function check (name, fn) {
  try {
    const outcome = await fn()
    if (outcome === true) {
      console.log(`PASS b24jssdk OAuth: ${name}`)
    } else {
      failed++
      console.log(`FAIL b24jssdk OAuth: ${name}: got ${JSON.stringify(outcome)}`)
    }
  } catch (e) {
    failed++
    console.log(`FAIL b24jssdk OAuth: ${name}: ${e?.code ?? ''} ${e?.message ?? e}`)
  }
}

const expect = (cond, got) => (cond ? true : { unexpected: got })

const renewed = []
const b24 = new B24OAuth(
  {
    applicationToken: auth.application_token,
    userId: Number(auth.user_id),
    memberId: auth.member_id,
    accessToken: auth.access_token,
    refreshToken: auth.refresh_token,
    // The SDK is told the token is good for an hour; the server knows better.
    expires: Math.floor(Date.now() / 1000) + 3600,
    expiresIn: 3600,
    scope: auth.scope,
    domain: auth.domain,
    clientEndpoint: auth.client_endpoint,
    serverEndpoint: auth.server_endpoint,
    status: auth.status
  },
  { clientId: process.env.B24IM_APP_CLIENT_ID, clientSecret: process.env.B24IM_APP_CLIENT_SECRET }
)
b24.setCallbackRefreshAuth(async ({ authData }) => { renewed.push(authData.access_token) })

// Let the installation's one-second token run out.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(auth.expires) * 1000 - Date.now()) + 1500))

await check('a call with an expired token is renewed at /oauth/token/ and retried', async () => {
  const response = await b24.actions.v2.call.make({ method: 'user.current', params: {} })
  if (!response.isSuccess) throw new Error(response.getErrorMessages().join('; '))
  const me = response.getData().result
  return expect(me.ID === '1' && renewed.length === 1 && renewed[0] !== auth.access_token, { id: me.ID, renewed: renewed.length })
})

await check('the renewed token keeps working', async () => {
  const response = await b24.actions.v2.call.make({ method: 'im.chat.add', params: { TITLE: 'oauth js' } })
  if (!response.isSuccess) throw new Error(response.getErrorMessages().join('; '))
  return expect(Number.isInteger(response.getData().result) && renewed.length === 1, response.getData().result)
})

process.exit(0)
