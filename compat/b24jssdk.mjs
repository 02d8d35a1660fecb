// @bitrix24/b24jssdk 2.2.0, the official JS SDK, unchanged: B24Hook from the
// https webhook URL (it refuses http://), trusting b24im's CA via NODE_EXTRA_CA_CERTS.
import { B24Hook } from '@bitrix24/b24jssdk'

const WEBHOOK = process.env.B24IM_WEBHOOK
const SECOND_USER = Number(process.env.B24IM_SECOND_USER)
const USER_COUNT = Number(process.env.B24IM_USER_COUNT)

const b24 = B24Hook.fromWebhookUrl(WEBHOOK)
let failed = 0

async function check (name, fn) {
  try {
    const outcome = await fn()
    if (outcome === true) {
      console.log(`PASS b24jssdk: ${name}`)
    } else {
      failed++
      console.log(`FAIL b24jssdk: ${name}: got ${JSON.stringify(outcome)}`)
    }
  } catch (e) {
    failed++
    console.log(`FAIL b24jssdk: ${name}: ${e?.code ?? ''} ${e?.message ?? e}`)
  }
}

const expect = (cond, got) => (cond ? true : { unexpected: got })

async function call (method, params) {
  const response = await b24.actions.v2.call.make({ method, params })
  if (!response.isSuccess) throw new Error(response.getErrorMessages().join('; '))
  return response.getData().result
}

async function errorCode (method, params) {
  try {
    await call(method, params)
    return 'no error'
  } catch (e) {
    return e.code
  }
}

async function likes (messageId, dialog) {
  const history = await call('im.dialog.messages.get', { DIALOG_ID: dialog, LIMIT: 50 })
  const message = history.messages.find((m) => m.id === messageId)
  return (message.params && message.params.LIKE) || []
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
const state = {}
const chat = () => `chat${state.chat}`

await check('im.chat.add with a second user', async () => {
  state.chat = await call('im.chat.add', { USERS: [SECOND_USER], TITLE: 'b24jssdk' })
  return expect(Number.isInteger(state.chat), state.chat)
})
await check('im.message.add', async () => {
  state.msg = await call('im.message.add', { DIALOG_ID: chat(), MESSAGE: 'hello' })
  return expect(Number.isInteger(state.msg), state.msg)
})
await check('like plus', async () =>
  expect((await call('im.message.like', { MESSAGE_ID: state.msg, ACTION: 'plus' })) === true, 'not true'))
await check('params.LIKE shows the like', async () => {
  const l = await likes(state.msg, chat())
  return expect(same(l, [1]), l)
})
await check('plus again throws WITHOUT_CHANGES', async () => {
  const code = await errorCode('im.message.like', { MESSAGE_ID: state.msg, ACTION: 'plus' })
  return expect(code === 'WITHOUT_CHANGES', code)
})
await check('like minus', async () =>
  expect((await call('im.message.like', { MESSAGE_ID: state.msg, ACTION: 'minus' })) === true, 'not true'))
await check('params.LIKE is empty after minus', async () => {
  const l = await likes(state.msg, chat())
  return expect(same(l, []), l)
})
await check('like auto toggles on', async () =>
  expect((await call('im.message.like', { MESSAGE_ID: state.msg, ACTION: 'auto' })) === true, 'not true'))
await check('params.LIKE after auto', async () => {
  const l = await likes(state.msg, chat())
  return expect(same(l, [1]), l)
})
await check('MESSAGE_ID 0 throws MESSAGE_ID_ERROR', async () => {
  const code = await errorCode('im.message.like', { MESSAGE_ID: 0 })
  return expect(code === 'MESSAGE_ID_ERROR', code)
})

await check('batch (object calls, no halt): one like, one WITHOUT_CHANGES', async () => {
  const other = await call('im.message.add', { DIALOG_ID: chat(), MESSAGE: 'batch' })
  const response = await b24.actions.v2.batch.make({
    calls: {
      like: ['im.message.like', { MESSAGE_ID: other, ACTION: 'plus' }],
      again: ['im.message.like', { MESSAGE_ID: other, ACTION: 'plus' }]
    },
    options: { isHaltOnError: false, returnAjaxResult: true }
  })
  const data = response.getData()
  const like = data.like
  const again = data.again
  const ok = like.isSuccess && like.getData().result === true
  const code = again.isSuccess ? 'no error' : again.getErrors().next().value?.code
  return expect(ok && code === 'WITHOUT_CHANGES', { ok, code })
})

await check('batch (array calls, halt): likes answer by position', async () => {
  const a = await call('im.message.add', { DIALOG_ID: chat(), MESSAGE: 'a' })
  const b = await call('im.message.add', { DIALOG_ID: chat(), MESSAGE: 'b' })
  const response = await b24.actions.v2.batch.make({
    calls: [
      ['im.message.like', { MESSAGE_ID: a, ACTION: 'plus' }],
      ['im.message.like', { MESSAGE_ID: b, ACTION: 'plus' }]
    ],
    options: { isHaltOnError: true, returnAjaxResult: false }
  })
  const data = response.getData()
  return expect(response.isSuccess && same(data, [true, true]), data)
})

await check(`actions.v2.callList pages through ${USER_COUNT} users by ID`, async () => {
  const response = await b24.actions.v2.callList.make({ method: 'user.get', params: {} })
  const users = response.getData()
  const ids = new Set(users.map((u) => Number(u.ID)))
  return expect(users.length === USER_COUNT && ids.size === USER_COUNT, users.length)
})

await check(`callListMethod pages through ${USER_COUNT} users by next`, async () => {
  const response = await b24.callListMethod('user.get', {})
  const users = response.getData()
  return expect(users.length === USER_COUNT, users.length)
})

await check('like in a private dialog', async () => {
  const msg = await call('im.message.add', { DIALOG_ID: String(SECOND_USER), MESSAGE: 'private' })
  const liked = await call('im.message.like', { MESSAGE_ID: msg, ACTION: 'plus' })
  const l = await likes(msg, String(SECOND_USER))
  return expect(liked === true && same(l, [1]), { liked, l })
})

process.exit(0)
