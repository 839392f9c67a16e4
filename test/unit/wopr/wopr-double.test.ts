// The WOPR double itself, over raw HTTP (WOPR-API.md "What a WOPR test double must do to be
// honest"): if it drifted from WOPR's statuses and bodies, every client and outbox test built
// on it would prove the wrong thing.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { WoprDouble } from '../../doubles/wopr-double.ts'
import { FakeClock, raw, startDouble, stopAll, track, woprDir } from '../../support/wopr-fixtures.ts'

test.after(stopAll)

test('creates a 64-hex token file 0600 when none exists, and reuses an existing one', async () => {
  const { socketPath, tokenFile } = woprDir()
  const first = track(await WoprDouble.start({ listen: { socketPath }, tokenFile }))
  assert.match(readFileSync(tokenFile, 'utf8'), /^[0-9a-f]{64}$/)
  assert.is(statSync(tokenFile).mode & 0o777, 0o600)
  await first.stop()
  const again = track(await WoprDouble.start({ listen: { socketPath }, tokenFile }))
  assert.is(again.token, first.token)
  await again.stop()
})

test('refuses to start on a token file that is not 64 hex', async () => {
  const { socketPath, tokenFile } = woprDir()
  writeFileSync(tokenFile, 'not-a-token', { mode: 0o600 })
  let failed = false
  await WoprDouble.start({ listen: { socketPath }, tokenFile }).catch(() => (failed = true))
  assert.ok(failed)
})

test('401 bodies: no or malformed header vs wrong token; health, ready and / need none', async () => {
  const { double, endpoint } = await startDouble('unix')
  const missing = { error: 'Missing or invalid Authorization header' }
  assert.equal((await raw(endpoint, 'GET', '/sessions')).json, missing)
  assert.equal((await raw(endpoint, 'GET', '/sessions', { auth: `Basic ${double.token}` })).json, missing)
  const wrong = await raw(endpoint, 'GET', '/sessions', { auth: `Bearer ${'0'.repeat(64)}` })
  assert.is(wrong.status, 401)
  assert.equal(wrong.json, { error: 'Invalid token' })
  assert.equal((await raw(endpoint, 'GET', '/health')).json, { status: 'ok' })
  assert.is((await raw(endpoint, 'GET', '/ready')).status, 200)
  double.setReady(false)
  const notReady = await raw(endpoint, 'GET', '/ready')
  assert.is(notReady.status, 503)
  assert.is((notReady.json as { ready: boolean }).ready, false)
  assert.is((await raw(endpoint, 'GET', '/')).status, 200)
  await double.stop()
})

test('session names: 400 "Invalid session name" for ., .., a..b, encoded / and spaces', async () => {
  const { double, endpoint } = await startDouble('unix')
  const auth = `Bearer ${double.token}`
  for (const name of ['.', '..', 'a..b', '%2e%2e', 'a%2Fb', 'a%20b', '%C3%A4', '%ZZ']) {
    const r = await raw(endpoint, 'POST', `/sessions/${name}/log`, { auth, body: '{"message":"x"}' })
    assert.is(r.status, 400, name)
    assert.equal(r.json, { error: 'Invalid session name' }, name)
  }
  assert.is((await raw(endpoint, 'POST', '/sessions/a.b_c-D9/log', { auth, body: '{"message":"x"}' })).status, 200)
  assert.equal(double.requests.filter((r) => r.status === 200).length, 1)
  await double.stop()
})

test('log stores {ts, from, senderId: null, content, type} and conversation reads back oldest first', async () => {
  const clock = new FakeClock()
  const { double, endpoint } = await startDouble('tcp', { now: clock.now })
  const auth = `Bearer ${double.token}`
  const logged = await raw(endpoint, 'POST', '/sessions/s1/log', { auth, body: JSON.stringify({ message: 'one', from: 'p2p:K' }) })
  assert.equal(logged.json, { session: 's1', logged: true })
  await raw(endpoint, 'POST', '/sessions/s1/log', { auth, body: JSON.stringify({ message: 'two' }) })
  await raw(endpoint, 'POST', '/sessions/s1/log', { auth, body: JSON.stringify({ message: 'three', from: 'p2p:K' }) })
  const all = await raw(endpoint, 'GET', '/sessions/s1/conversation', { auth })
  const entry = (content: string, from: string) => ({ ts: clock.now(), from, senderId: null, content, type: 'message' })
  assert.equal(all.json, { name: 's1', entries: [entry('one', 'p2p:K'), entry('two', 'api'), entry('three', 'p2p:K')], count: 3 })
  const last2 = (await raw(endpoint, 'GET', '/sessions/s1/conversation?limit=2', { auth })).json as { entries: Array<{ content: string }> }
  assert.equal(last2.entries.map((e) => e.content), ['two', 'three'])
  assert.equal(await raw(endpoint, 'GET', '/sessions/unknown/conversation?limit=5', { auth }).then((r) => r.json), { name: 'unknown', entries: [], count: 0 })
  await double.stop()
})

test('log: empty message → 400 "Message is required"; a body that is not JSON → 500', async () => {
  const { double, endpoint } = await startDouble('unix')
  const auth = `Bearer ${double.token}`
  const empty = await raw(endpoint, 'POST', '/sessions/s/log', { auth, body: '{"message":""}' })
  assert.is(empty.status, 400)
  assert.equal(empty.json, { error: 'Message is required' })
  const notJson = await raw(endpoint, 'POST', '/sessions/s/log', { auth, body: '{' })
  assert.is(notJson.status, 500)
  assert.equal(notJson.json, { error: 'Internal server error' })
  await double.stop()
})

test('sessions: list, get (404 when unknown), create 201', async () => {
  const { double, endpoint } = await startDouble('unix')
  const auth = `Bearer ${double.token}`
  assert.equal((await raw(endpoint, 'GET', '/sessions', { auth })).json, { sessions: [] })
  assert.equal((await raw(endpoint, 'GET', '/sessions/nope', { auth })).json, { error: 'Session not found' })
  const created = await raw(endpoint, 'POST', '/sessions', { auth, body: '{"name":"main","context":"hi"}' })
  assert.is(created.status, 201)
  assert.equal(created.json, { name: 'main', context: 'hi', created: true })
  const got = (await raw(endpoint, 'GET', '/sessions/main', { auth })).json as { name: string; context: string }
  assert.equal([got.name, got.context], ['main', 'hi'])
  const list = (await raw(endpoint, 'GET', '/sessions', { auth })).json as { sessions: Array<{ name: string }> }
  assert.equal(list.sessions.map((s) => s.name), ['main'])
  assert.is((await raw(endpoint, 'POST', '/sessions', { auth, body: '{}' })).status, 400)
  await double.stop()
})

test('429 after 60 requests per 60 s per Authorization value, with Retry-After: 60; health exempt; the window resets', async () => {
  const clock = new FakeClock()
  const { double, endpoint } = await startDouble('unix', { now: clock.now })
  const auth = `Bearer ${double.token}`
  for (let i = 0; i < 60; i++) assert.is((await raw(endpoint, 'GET', '/sessions', { auth })).status, 200)
  const limited = await raw(endpoint, 'GET', '/sessions', { auth })
  assert.is(limited.status, 429)
  assert.is(limited.headers['retry-after'], '60')
  assert.equal(limited.json, { error: 'Too many requests', retryAfter: 60 })
  assert.is((await raw(endpoint, 'GET', '/health')).status, 200)
  // Another Authorization value has its own budget, even a wrong one (the limiter runs before auth).
  assert.is((await raw(endpoint, 'GET', '/sessions', { auth: 'Bearer other' })).status, 401)
  clock.setTimeout(() => undefined, 60_000)
  clock.fire()
  assert.is((await raw(endpoint, 'GET', '/sessions', { auth })).status, 200)
  await double.stop()
})

test('it runs no model: /inject and /v1/* answer 501 and are recorded', async () => {
  const { double, endpoint } = await startDouble('unix')
  const auth = `Bearer ${double.token}`
  assert.is((await raw(endpoint, 'POST', '/sessions/s/inject', { auth, body: '{"message":"x"}' })).status, 501)
  assert.is((await raw(endpoint, 'POST', '/v1/chat/completions', { auth, body: '{}' })).status, 501)
  assert.equal(double.requests.map((r) => r.path), ['/sessions/s/inject', '/v1/chat/completions'])
  assert.equal(double.conversation('s'), [])
  await double.stop()
})

test('failNext: 500 bodies, then normal service; stop removes the socket file and restart keeps sessions', async () => {
  const { double, endpoint, tokenFile } = await startDouble('unix')
  const auth = `Bearer ${double.token}`
  double.failNext(1, 'error', { after: 1 })
  assert.is((await raw(endpoint, 'POST', '/sessions/s/log', { auth, body: '{"message":"a"}' })).status, 200)
  const failed = await raw(endpoint, 'POST', '/sessions/s/log', { auth, body: '{"message":"b"}' })
  assert.equal([failed.status, failed.json], [500, { error: 'Internal server error' }])
  await double.stop()
  let refused = ''
  await raw(endpoint, 'GET', '/health').catch((e: NodeJS.ErrnoException) => (refused = e.code ?? ''))
  assert.is(refused, 'ENOENT')
  await double.listen()
  assert.equal(double.conversation('s').map((e) => e.content), ['a'])
  assert.is(readFileSync(tokenFile, 'utf8'), double.token)
  await double.stop()
})

test.run()
