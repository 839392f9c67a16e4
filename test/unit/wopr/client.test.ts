// The WOPR client against the honest double, over a unix socket and over TCP (issue 5
// "Proof": 401, 429 with Retry-After, 500, socket missing, WOPR restarting), and the promise
// that peer text can never reach /inject or /v1/*: the client has no way to ask for them.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseWoprEndpoint, WoprClient, type WoprEndpoint } from '../../../src/wopr/client.ts'
import { WoprError, type WoprReason } from '../../../src/wopr/errors.ts'
import { readTokenFile } from '../../../src/wopr/token-file.ts'
import type { WoprDouble } from '../../doubles/wopr-double.ts'
import { raw, startDouble, stopAll, woprDir } from '../../support/wopr-fixtures.ts'

test.after(stopAll)

const SESSION = 'friend-p2p-alice-3f9a1c'
const FROM = 'p2p:MCowBQYDK2VwAyEAalice'
const seen: WoprDouble[] = []

async function setup(transport: 'unix' | 'tcp', timeoutMs?: number) {
  const d = await startDouble(transport)
  seen.push(d.double)
  const client = new WoprClient({ endpoint: d.endpoint, tokenFile: d.tokenFile, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
  return { ...d, client }
}

/** The WoprError a call rejects with; anything else (or success) fails the test. */
async function failure(p: Promise<unknown>, code: WoprReason): Promise<WoprError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof WoprError)) throw err ?? new Error(`expected ${code}, the call succeeded`)
  assert.is(err.code, code, err.message)
  return err
}

for (const transport of ['unix', 'tcp'] as const) {
  test(`${transport}: log, then read back oldest first; health needs no token`, async () => {
    const { client, double } = await setup(transport)
    await client.log(SESSION, 'hello', FROM)
    await client.log(SESSION, 'wörld ✓ "quoted"\n', FROM)
    const conv = await client.conversation(SESSION, 10)
    assert.equal(conv.entries.map((e) => [e.from, e.content, e.type, e.senderId]), [
      [FROM, 'hello', 'message', null],
      [FROM, 'wörld ✓ "quoted"\n', 'message', null],
    ])
    assert.is((await client.conversation(SESSION, 1)).entries[0]!.content, 'wörld ✓ "quoted"\n')
    assert.is((await client.conversation('friend-p2p-nobody-000000', 5)).count, 0)
    await client.health()
    assert.equal(double.conversation(SESSION).length, 2)
  })

  test(`${transport}: 401 for a token WOPR does not hold; the token never appears in the error`, async () => {
    const { endpoint, double } = await setup(transport)
    const other = join(woprDir().dir, 'daemon-token')
    const wrongToken = 'ab'.repeat(32)
    writeFileSync(other, wrongToken, { mode: 0o600 })
    const err = await failure(new WoprClient({ endpoint, tokenFile: other }).log(SESSION, 'x', FROM), 'WOPR_UNAUTHORIZED')
    assert.is(err.status, 401)
    assert.match(err.message, /not the one WOPR holds/)
    for (const text of [err.message, err.hint ?? '', err.stack ?? '']) assert.not.ok(text.includes(wrongToken) || text.includes(double.token))
    assert.equal(double.conversation(SESSION), [])
  })

  test(`${transport}: 429 after WOPR's 60 per minute, with retryAfterMs from Retry-After`, async () => {
    const { client, double, endpoint } = await setup(transport)
    // Another client of the same token spends the budget.
    for (let i = 0; i < 60; i++) await raw(endpoint, 'GET', '/sessions', { auth: `Bearer ${double.token}` })
    const err = await failure(client.log(SESSION, 'x', FROM), 'WOPR_RATE_LIMITED')
    assert.is(err.retryAfterMs, 60_000)
    assert.is(err.maybeDelivered, false)
    await client.health() // exempt from the limit
  })

  test(`${transport}: 500 is WOPR_SERVER_ERROR, not in doubt; the next call goes through`, async () => {
    const { client, double } = await setup(transport)
    double.failNext(1)
    const err = await failure(client.log(SESSION, 'x', FROM), 'WOPR_SERVER_ERROR')
    assert.equal([err.status, err.maybeDelivered], [500, false])
    await client.log(SESSION, 'y', FROM)
    assert.equal(double.conversation(SESSION).map((e) => e.content), ['y'])
  })

  test(`${transport}: WOPR down is WOPR_UNREACHABLE and certainly not delivered`, async () => {
    const { client, double } = await setup(transport)
    await double.stop()
    const err = await failure(client.log(SESSION, 'x', FROM), 'WOPR_UNREACHABLE')
    assert.is(err.maybeDelivered, false)
    await failure(client.health(), 'WOPR_UNREACHABLE')
    await double.listen()
    await client.log(SESSION, 'back', FROM)
  })

  test(`${transport}: WOPR restarting mid-request: stored, answer lost → in doubt`, async () => {
    const { client, double } = await setup(transport)
    double.failNext(1, 'drop-after-store')
    const err = await failure(client.log(SESSION, 'landed', FROM), 'WOPR_UNREACHABLE')
    assert.is(err.maybeDelivered, true)
    await double.restart()
    assert.equal((await client.conversation(SESSION, 5)).entries.map((e) => e.content), ['landed'])
  })

  test(`${transport}: WOPR stopped while holding the request → in doubt; a GET is never in doubt`, async () => {
    const { client, double } = await setup(transport)
    double.failNext(2, 'hang')
    // Handlers attached now: both reject at the stop, whichever is awaited first.
    const held = failure(client.log(SESSION, 'x', FROM), 'WOPR_UNREACHABLE')
    const heldGet = failure(client.conversation(SESSION, 5), 'WOPR_UNREACHABLE')
    await new Promise<void>((resolve) => {
      const check = () => (double.requests.filter((r) => r.status === 0).length === 2 ? resolve() : setImmediate(check))
      check()
    })
    await double.stop()
    assert.is((await held).maybeDelivered, true)
    assert.is((await heldGet).maybeDelivered, false)
  })
}

test('a WOPR that never answers is WOPR_TIMEOUT, in doubt for a log', async () => {
  const { client, double } = await setup('unix', 150)
  double.failNext(1, 'hang')
  const err = await failure(client.log(SESSION, 'x', FROM), 'WOPR_TIMEOUT')
  assert.is(err.maybeDelivered, true)
})

test('the socket file missing: WOPR_UNREACHABLE naming the path, with a hint about the relay', async () => {
  const { socketPath, tokenFile } = woprDir()
  writeFileSync(tokenFile, 'cd'.repeat(32), { mode: 0o600 })
  const err = await failure(new WoprClient({ endpoint: { socketPath }, tokenFile }).log(SESSION, 'x', FROM), 'WOPR_UNREACHABLE')
  assert.ok(err.message.includes(socketPath) && err.message.includes('ENOENT'))
  assert.match(err.hint ?? '', /wopr-relay/)
  assert.is(err.maybeDelivered, false)
})

test('bad session names and empty messages are refused before anything is sent', async () => {
  const { client, double } = await setup('unix')
  for (const name of ['', '.', '..', 'a..b', 'a/b', 'a?b', 'a%2fb', 'friend:p2p:alice(3f9a1c)', 'a b']) {
    await failure(client.log(name, 'x', FROM), 'WOPR_BAD_SESSION')
    await failure(client.conversation(name, 1), 'WOPR_BAD_SESSION')
  }
  await failure(client.log(SESSION, '', FROM), 'WOPR_EMPTY_MESSAGE')
  assert.equal(double.requests, [])
})

test('token file: missing, not 64 hex, readable by others, not a file → WOPR_TOKEN_FILE and nothing sent; content never echoed', async () => {
  const { endpoint, double } = await setup('unix')
  const { dir } = woprDir()
  const path = join(dir, 'token')
  const attempt = () => new WoprClient({ endpoint, tokenFile: path }).log(SESSION, 'x', FROM)
  await failure(attempt(), 'WOPR_TOKEN_FILE')
  for (const bad of ['ab'.repeat(31), `${'ab'.repeat(32)}0`, `${'zz'.repeat(32)}`, '']) {
    writeFileSync(path, bad, { mode: 0o600 })
    const err = await failure(attempt(), 'WOPR_TOKEN_FILE')
    if (bad !== '') assert.not.ok(err.message.includes(bad))
  }
  writeFileSync(path, `${'ab'.repeat(32)}\n`, { mode: 0o600 })
  chmodSync(path, 0o604)
  await failure(attempt(), 'WOPR_TOKEN_FILE')
  chmodSync(path, 0o640) // a shared group may read it
  assert.is(await readTokenFile(path), 'ab'.repeat(32), 'one trailing newline is trimmed, as WOPR does')
  const notAFile = join(dir, 'a-directory')
  mkdirSync(notAFile)
  await failure(readTokenFile(notAFile), 'WOPR_TOKEN_FILE')
  assert.equal(double.requests, [])
})

test('endpoint specs: unix paths and http://host:port; anything else is a usage error', () => {
  const cases: Array<[string, WoprEndpoint]> = [
    ['/run/wopr/wopr.sock', { socketPath: '/run/wopr/wopr.sock' }],
    ['unix:/run/wopr/wopr.sock', { socketPath: '/run/wopr/wopr.sock' }],
    ['http://127.0.0.1:7437', { host: '127.0.0.1', port: 7437 }],
    ['http://[::1]:7437/', { host: '::1', port: 7437 }],
  ]
  for (const [spec, want] of cases) assert.equal(parseWoprEndpoint(spec), want, spec)
  for (const bad of ['wopr.sock', 'https://wopr:7437', 'http://u:p@wopr:7437', 'http://wopr:7437/v1', 'http://wopr:7437?x', 'tcp://wopr:7437']) {
    assert.throws(() => parseWoprEndpoint(bad), (e: Error & { code?: string }) => e.code === 'USAGE', bad)
  }
})

test('the client has no method but log, conversation and health, and no test made the double see /inject or /v1/*', () => {
  const methods = Object.getOwnPropertyNames(WoprClient.prototype).filter((m) => m !== 'constructor' && m !== 'call' && m !== 'send')
  assert.equal(methods.sort(), ['conversation', 'health', 'log'])
  const paths = seen.flatMap((d) => d.requests.map((r) => r.path))
  assert.ok(paths.length > 50)
  assert.not.ok(paths.some((p) => p.includes('/inject') || p === '/v1' || p.startsWith('/v1/')))
  for (const p of paths) assert.ok(p === '/health' || /^\/sessions(\/[a-zA-Z0-9._-]+\/(log|conversation))?$/.test(p), p)
})

test.run()
