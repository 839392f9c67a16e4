// The wopr-relay (issue 5 "wopr-relay"): the client through the relay's unix socket to the
// double on TCP works end to end, and everything the client never sends is refused before it
// reaches WOPR: other paths, other sessions, pipelined requests, upgrades, big bodies.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from 'node:net'
import { join } from 'node:path'
import { WoprClient } from '../../../src/wopr/client.ts'
import { WoprError } from '../../../src/wopr/errors.ts'
import { Outbox, type OutboxEvent } from '../../../src/wopr/outbox.ts'
import { checkRelayRequest, startWoprRelay, type RelayAuditLine, type WoprRelayOptions } from '../../../src/wopr/relay.ts'
import { modeOf } from '../../support/temp-dirs.ts'
import { dataDir, deliverAll, FakeClock, raw, startDouble, stopAll, track, woprDir } from '../../support/wopr-fixtures.ts'

test.after(stopAll)

const FRIEND = 'friend-p2p-alice-3f9a1c'
const FROM = 'p2p:MCowBQYDK2VwAyEAalice'

async function setup(opts: Partial<WoprRelayOptions> = {}) {
  const { double, tokenFile } = await startDouble('tcp')
  const listenPath = join(woprDir().dir, 'relay.sock')
  const audit: RelayAuditLine[] = []
  const upstream = double.address as { host: string; port: number }
  const relay = await startWoprRelay({ listenPath, upstream, audit: (l) => audit.push(l), ...opts })
  track({ stop: () => relay.close() })
  const client = new WoprClient({ endpoint: { socketPath: listenPath }, tokenFile })
  return { double, tokenFile, listenPath, relay, client, audit, auth: `Bearer ${double.token}` }
}

async function rejection(p: Promise<unknown>): Promise<WoprError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof WoprError)) throw err ?? new Error('the call succeeded')
  return err
}

test('the gate: exactly the four request shapes the client makes, only for friend sessions', () => {
  const allowed: Array<[string, string]> = [
    ['GET', '/health'],
    ['GET', '/ready'],
    ['POST', `/sessions/${FRIEND}/log`],
    ['GET', `/sessions/${FRIEND}/conversation?limit=50`],
    ['GET', `/sessions/${FRIEND}/conversation`],
  ]
  for (const [method, target] of allowed) assert.ok(checkRelayRequest(method, target).ok, `${method} ${target}`)
  const denied: Array<[string, string]> = [
    ['POST', `/sessions/${FRIEND}/inject`],
    ['POST', '/v1/chat/completions'],
    ['GET', '/sessions'],
    ['GET', `/sessions/${FRIEND}`],
    ['POST', '/sessions'],
    ['POST', '/sessions/main/log'],
    ['POST', '/sessions/friend-p2p-..-x/log'],
    ['POST', '/sessions/friend-p2p-a%2F..%2Fmain/log'],
    ['GET', `/sessions/${FRIEND}/log`],
    ['POST', `/sessions/${FRIEND}/conversation`],
    ['POST', `/sessions/${FRIEND}/log?x=1`],
    ['GET', `/sessions/${FRIEND}/conversation?limit=0`],
    ['GET', `/sessions/${FRIEND}/conversation?limit=5&x=1`],
    ['GET', `/sessions/${FRIEND}/conversation?limit=5#`],
    ['GET', '/health/'],
    ['GET', '//health'],
    ['GET', 'http://wopr/health'],
    ['DELETE', `/sessions/${FRIEND}`],
    ['POST', `/sessions/${FRIEND}/log\n`],
  ]
  for (const [method, target] of denied) {
    const v = checkRelayRequest(method, target)
    assert.equal(v.ok ? 'ok' : v.reason, 'WOPR_RELAY_DENIED', `${method} ${JSON.stringify(target)}`)
  }
  assert.ok(checkRelayRequest('POST', '/sessions/main/log', '').ok, "prefix '' allows any WOPR-safe session")
})

test('client → relay socket (0600) → WOPR on TCP: log, read back, health; each request audited', async () => {
  const { client, double, listenPath, audit } = await setup()
  assert.is(modeOf(listenPath), 0o600)
  await client.log(FRIEND, 'through the relay', FROM)
  assert.equal((await client.conversation(FRIEND, 5)).entries.map((e) => [e.from, e.content]), [[FROM, 'through the relay']])
  await client.health()
  assert.equal(double.conversation(FRIEND).length, 1)
  assert.equal(audit.map((l) => [l.verdict, l.status, l.method]), [['allow', 200, 'POST'], ['allow', 200, 'GET'], ['allow', 200, 'GET']])
})

test('with --token-file the relay adds WOPR\'s token: a client with no token file is served, a forged bearer is replaced', async () => {
  const { double, tokenFile, listenPath } = await setup()
  const holding = await startWoprRelay({ listenPath: `${listenPath}.holding`, upstream: double.address as { host: string; port: number }, tokenFile, audit: () => undefined })
  track({ stop: () => holding.close() })
  const tokenless = new WoprClient({ endpoint: { socketPath: `${listenPath}.holding` }, tokenFile: '' })
  await tokenless.log(FRIEND, 'the sidecar holds no token', FROM)
  assert.equal(double.conversation(FRIEND).map((e) => e.content), ['the sidecar holds no token'])
  const forged = await raw({ socketPath: `${listenPath}.holding` }, 'POST', `/sessions/${FRIEND}/log`, { auth: `Bearer ${'0'.repeat(64)}`, body: JSON.stringify({ message: 'forged bearer', from: FROM }) })
  assert.is(forged.status, 200, 'the relay sends its own token, not the client\'s')
  const missing = await startWoprRelay({ listenPath: `${listenPath}.missing`, upstream: double.address as { host: string; port: number }, tokenFile: `${tokenFile}.gone`, audit: () => undefined })
  track({ stop: () => missing.close() })
  const err = await rejection(new WoprClient({ endpoint: { socketPath: `${listenPath}.missing` }, tokenFile: '' }).log(FRIEND, 'x', FROM))
  assert.is(err.code, 'WOPR_TOKEN_FILE')
})

test('refused before WOPR: /inject, /v1, other sessions; the double never sees them', async () => {
  const { double, listenPath, auth, audit } = await setup()
  const relay = { socketPath: listenPath }
  for (const [method, path] of [['POST', `/sessions/${FRIEND}/inject`], ['POST', '/v1/chat/completions'], ['POST', '/sessions/main/log'], ['GET', '/sessions']]) {
    const r = await raw(relay, method!, path!, { auth, body: method === 'POST' ? '{"message":"x"}' : undefined })
    assert.is(r.status, 403, path)
    assert.is((r.json as { reason: string }).reason, 'WOPR_RELAY_DENIED')
  }
  assert.equal(double.requests, [])
  assert.ok(audit.every((l) => l.verdict === 'refuse' && l.reason === 'WOPR_RELAY_DENIED'))
})

test('a request pipelined behind an allowed one never reaches WOPR: one request per connection', async () => {
  const { double, listenPath } = await setup()
  const both = `GET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /sessions/${FRIEND}/inject HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`
  const reply = await new Promise<string>((resolve) => {
    let text = ''
    const s = connect(listenPath, () => s.write(both))
    s.setEncoding('utf8').on('data', (c: string) => (text += c))
    s.on('close', () => resolve(text))
  })
  assert.match(reply, /^HTTP\/1\.1 200 /)
  assert.is(reply.match(/HTTP\/1\.1 /g)?.length, 1)
  assert.equal(double.requests.map((r) => r.path), ['/health'])
})

test('upgrades are refused', async () => {
  const { double, listenPath } = await setup()
  const reply = await new Promise<string>((resolve) => {
    let text = ''
    const s = connect(listenPath, () => s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'))
    s.setEncoding('utf8').on('data', (c: string) => (text += c))
    s.on('close', () => resolve(text))
  })
  assert.match(reply, /^HTTP\/1\.1 403 [^]*WOPR_RELAY_DENIED/)
  assert.equal(double.requests, [])
})

test('WOPR down behind the relay: WOPR_UNREACHABLE, not sent; 429 passes through with Retry-After', async () => {
  const { double, client, listenPath, auth } = await setup()
  await double.stop()
  const down = await rejection(client.log(FRIEND, 'x', FROM))
  assert.equal([down.code, down.status, down.maybeDelivered], ['WOPR_UNREACHABLE', 502, false])
  await double.listen()
  for (let i = 0; i < 60; i++) await raw({ socketPath: listenPath }, 'GET', `/sessions/${FRIEND}/conversation?limit=1`, { auth })
  const limited = await rejection(client.log(FRIEND, 'x', FROM))
  assert.equal([limited.code, limited.retryAfterMs], ['WOPR_RATE_LIMITED', 60_000])
})

test('WOPR holding a stored log past the relay timeout: 504 WOPR_TIMEOUT, in doubt', async () => {
  const { double, client } = await setup({ upstreamTimeoutMs: 100 })
  double.failNext(1, 'hang-after-store')
  const err = await rejection(client.log(FRIEND, 'x', FROM))
  assert.equal([err.code, err.status, err.maybeDelivered], ['WOPR_TIMEOUT', 504, true])
})

test('bodies over the cap: 413 WOPR_RELAY_BODY_TOO_LARGE', async () => {
  const { double, client } = await setup({ bodyCap: 1024 })
  const err = await rejection(client.log(FRIEND, 'x'.repeat(2000), FROM))
  assert.equal([err.code, err.status], ['WOPR_RELAY_BODY_TOO_LARGE', 413])
  assert.equal(double.requests, [])
})

test('connections past the limit get 503 WOPR_RELAY_BUSY; service resumes when they close', async () => {
  const { client, listenPath } = await setup({ maxConnections: 2 })
  const idle = await Promise.all([0, 1].map(() => new Promise<ReturnType<typeof connect>>((resolve) => {
    const s = connect(listenPath, () => resolve(s))
  })))
  const busy = await rejection(client.health())
  assert.equal([busy.code, busy.status], ['WOPR_RELAY_BUSY', 503])
  for (const s of idle) s.destroy()
  for (let i = 0; ; i++) {
    const ok = await client.health().then(() => true, () => false)
    if (ok) break
    if (i > 200) throw new Error('the relay never freed its connection slots')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
})

test('outbox through the relay: a session the relay refuses is dropped with its reason; the next entry still goes', async () => {
  const { client, double } = await setup()
  const clock = new FakeClock()
  const events: OutboxEvent[] = []
  const outbox = Outbox.open({ dataDir: dataDir(), client, clock, random: () => 0, onEvent: (e) => events.push(e) })
  track({ stop: () => outbox.close() })
  outbox.start()
  outbox.enqueue({ session: 'owner-main', from: FROM, message: 'not for a friend session' })
  outbox.enqueue({ session: FRIEND, from: FROM, message: 'fine' })
  await deliverAll(outbox, clock)
  assert.equal(events.map((e) => e.type), ['rejected', 'delivered'])
  assert.equal(events[0], { type: 'rejected', id: 1, session: 'owner-main', reason: 'WOPR_RELAY_DENIED' })
  assert.equal(double.conversation(FRIEND).map((e) => e.content), ['fine'])
  assert.equal(double.conversation('owner-main'), [])
  assert.is(outbox.status().rejected, 1)
})

test.run()
