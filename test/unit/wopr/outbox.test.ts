// The durable outbox against the WOPR double on a fake clock (issue 5 "Durable outbox"):
// entries wait while WOPR is down and then arrive in order, once; 5xx and 429 back off (429 for
// its Retry-After); pacing stays under 60/min; the bounds refuse with a reason; entries in doubt
// are read back rather than sent twice.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WoprClient } from '../../../src/wopr/client.ts'
import { Outbox, type OutboxEvent, type OutboxOptions } from '../../../src/wopr/outbox.ts'
import type { DoubleEntry } from '../../doubles/wopr-double.ts'
import { dataDir, deliverAll, FakeClock, maxInAnyWindow, raw, startDouble, stopAll, track } from '../../support/wopr-fixtures.ts'

test.after(stopAll)

const ALICE = 'friend-p2p-alice-aaaaaa'
const BOB = 'friend-p2p-bob-bbbbbb'
const entry = (i: number, session = i % 2 === 0 ? ALICE : BOB) => ({ session, from: `p2p:KEY-${session}`, message: `m${i}` })

async function setup(opts: Partial<OutboxOptions> & { timeoutMs?: number; dir?: string; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? new FakeClock()
  const { double, endpoint, tokenFile } = await startDouble('unix', { now: clock.now })
  const client = new WoprClient({ endpoint, tokenFile, timeoutMs: opts.timeoutMs ?? 5000 })
  const events: OutboxEvent[] = []
  const dir = opts.dir ?? dataDir()
  const outbox = open(dir, client, clock, events, opts)
  return { clock, double, endpoint, client, outbox, events, dir }
}

function open(dir: string, client: WoprClient, clock: FakeClock, events: OutboxEvent[], opts: Partial<OutboxOptions> = {}): Outbox {
  const outbox = Outbox.open({ dataDir: dir, client, clock, random: () => 0, onEvent: (e) => events.push(e), ...opts })
  track({ stop: () => outbox.close() })
  return outbox
}

const contents = (entries: DoubleEntry[]) => entries.map((e) => e.content)

test('WOPR down: entries wait with growing backoff, then arrive in order, each once', async () => {
  const { clock, double, outbox } = await setup()
  await double.stop()
  outbox.start()
  for (let i = 0; i < 6; i++) assert.ok(outbox.enqueue(entry(i)).ok)
  assert.is(await clock.sleeping(), 1000)
  const waiting = outbox.status()
  assert.equal([waiting.pending, waiting.reachable, waiting.lastError?.reason, waiting.retryAt], [6, false, 'WOPR_UNREACHABLE', clock.now() + 1000])
  clock.fire()
  assert.is(await clock.sleeping(), 2000)
  clock.fire()
  assert.is(await clock.sleeping(), 4000)
  await double.listen()
  clock.fire()
  await deliverAll(outbox, clock)
  assert.equal(contents(double.conversation(ALICE)), ['m0', 'm2', 'm4'])
  assert.equal(contents(double.conversation(BOB)), ['m1', 'm3', 'm5'])
  assert.is(double.requests.filter((r) => r.method === 'POST').length, 6)
  const done = outbox.status()
  assert.equal([done.pending, done.delivered, done.reachable, done.lastDeliveryAt, done.retryAt], [0, 6, true, clock.now(), null])
})

test('500s back off 1 s, 2 s, then the entry is delivered once', async () => {
  const { clock, double, outbox } = await setup()
  double.failNext(2)
  outbox.enqueue(entry(0))
  outbox.start()
  assert.equal(await deliverAll(outbox, clock), [1000, 2000])
  assert.equal(contents(double.conversation(ALICE)), ['m0'])
  assert.equal(double.requests.map((r) => r.status), [500, 500, 200])
})

test('429: waits out Retry-After, drains its bucket, and never meets a second 429', async () => {
  const { clock, double, endpoint, outbox } = await setup()
  // Another client of the same token has spent 55 of this minute's 60.
  for (let i = 0; i < 55; i++) await raw(endpoint, 'GET', '/sessions', { auth: `Bearer ${double.token}` })
  outbox.start()
  for (let i = 0; i < 20; i++) outbox.enqueue(entry(i, ALICE))
  const delays = await deliverAll(outbox, clock)
  assert.is(delays[0], 60_000, 'the first sleep is the Retry-After')
  assert.is(double.requests.filter((r) => r.status === 429).length, 1)
  assert.equal(contents(double.conversation(ALICE)), Array.from({ length: 20 }, (_, i) => `m${i}`))
})

test('pacing: 100 entries never put more than burst + rate (40) requests in any 60 s, and WOPR never answers 429', async () => {
  const { clock, double, outbox } = await setup()
  const times: number[] = []
  double.on('logged', ({ entry: e }: { entry: DoubleEntry }) => times.push(e.ts))
  outbox.start()
  for (let i = 0; i < 100; i++) outbox.enqueue(entry(i))
  await deliverAll(outbox, clock)
  assert.is(times.length, 100)
  assert.ok(maxInAnyWindow(times, 60_000) <= 40, `${maxInAnyWindow(times, 60_000)} in the busiest minute`)
  assert.not.ok(double.requests.some((r) => r.status === 429))
})

test('bounded: entries and bytes; full refuses WOPR_OUTBOX_FULL and status says so; delivery makes room', async () => {
  const { clock, double, outbox } = await setup({ maxEntries: 3, maxBytes: 250, maxEntryBytes: 150 })
  for (let i = 0; i < 3; i++) assert.ok(outbox.enqueue(entry(i)).ok)
  const full = outbox.enqueue(entry(3))
  assert.equal(full.ok ? null : full.reason, 'WOPR_OUTBOX_FULL')
  let st = outbox.status()
  assert.equal([st.full, st.refusedFull, st.pending], [true, 1, 3])
  const huge = outbox.enqueue({ ...entry(4), message: 'x'.repeat(120) })
  assert.equal(huge.ok ? null : huge.reason, 'WOPR_ENTRY_TOO_LARGE')
  outbox.start()
  await deliverAll(outbox, clock)
  assert.ok(outbox.enqueue({ ...entry(5), message: 'y'.repeat(90) }).ok)
  const overBytes = outbox.enqueue({ ...entry(6), message: 'z'.repeat(90) })
  assert.equal(overBytes.ok ? null : overBytes.reason, 'WOPR_OUTBOX_FULL')
  st = outbox.status()
  assert.equal([st.full, st.refusedFull, st.pending, st.delivered], [false, 2, 1, 3])
  assert.is(double.conversation(ALICE).length + double.conversation(BOB).length, 3)
})

test('enqueue refuses what WOPR would refuse: bad session names, empty messages', async () => {
  const { outbox } = await setup()
  for (const session of ['', '.', 'a..b', 'friend:p2p:alice(3f9a1c)', 'a/b']) {
    const r = outbox.enqueue({ session, from: 'p2p:K', message: 'x' })
    assert.equal(r.ok ? null : r.reason, 'WOPR_BAD_SESSION', session)
  }
  const empty = outbox.enqueue({ session: ALICE, from: 'p2p:K', message: '' })
  assert.equal(empty.ok ? null : empty.reason, 'WOPR_EMPTY_MESSAGE')
  assert.is(outbox.status().pending, 0)
})

test('in doubt, and stored: the answer was lost, so it is read back, not sent again', async () => {
  const { clock, double, outbox, events } = await setup()
  double.failNext(1, 'drop-after-store')
  outbox.enqueue(entry(0))
  outbox.enqueue(entry(2))
  outbox.start()
  assert.equal(await deliverAll(outbox, clock), [1000])
  assert.equal(contents(double.conversation(ALICE)), ['m0', 'm2'])
  assert.equal(double.requests.map((r) => `${r.method} ${r.path.split('/').pop()} ${r.status}`), ['POST log 0', 'GET conversation 200', 'POST log 200'])
  assert.equal(
    events.filter((e) => e.type === 'delivered').map((e) => (e.type === 'delivered' ? e.verified : null)),
    [true, false],
  )
})

test('in doubt, and not stored (WOPR never answered): the read-back finds nothing and it is sent once more', async () => {
  const { clock, double, outbox, events } = await setup({ timeoutMs: 100 })
  double.failNext(1, 'hang')
  outbox.enqueue(entry(0))
  outbox.start()
  await deliverAll(outbox, clock)
  assert.equal(contents(double.conversation(ALICE)), ['m0'])
  assert.equal(double.requests.map((r) => [r.method, r.status]), [['POST', 0], ['GET', 200], ['POST', 200]])
  assert.ok(events.some((e) => e.type === 'retry' && e.reason === 'WOPR_TIMEOUT'))
})

test('in doubt, and the read-back cannot be read: it is sent again, the documented at-least-once edge', async () => {
  const clock = new FakeClock()
  const { double, endpoint, tokenFile } = await startDouble('unix', { now: clock.now })
  const client = new WoprClient({ endpoint, tokenFile, maxResponseBytes: 100 })
  const events: OutboxEvent[] = []
  const outbox = open(dataDir(), client, clock, events)
  double.failNext(1, 'drop-after-store')
  outbox.start()
  outbox.enqueue(entry(0))
  await deliverAll(outbox, clock)
  assert.equal(contents(double.conversation(ALICE)), ['m0', 'm0'])
  assert.equal(events.map((e) => e.type), ['retry', 'delivered'])
})

test('restart with an entry that was being sent: it is read back first, so WOPR has it once', async () => {
  const first = await setup({ timeoutMs: 60_000 })
  first.double.failNext(1, 'hang-after-store')
  first.outbox.start()
  first.outbox.enqueue(entry(0))
  first.outbox.enqueue(entry(2))
  await new Promise((resolve) => first.double.once('logged', resolve))
  // The first outbox is now stuck mid-request, as if killed: a second one opens the same data dir.
  const clock = new FakeClock()
  const events: OutboxEvent[] = []
  const second = open(first.dir, first.client, clock, events)
  assert.equal(second.status().pending, 2)
  second.start()
  await deliverAll(second, clock)
  assert.equal(contents(first.double.conversation(ALICE)), ['m0', 'm2'])
  assert.equal(events.map((e) => (e.type === 'delivered' ? [e.id, e.verified] : e.type)), [[1, true], [2, false]])
})

test('idle, it probes /health at start and then every interval, so status knows whether WOPR is there', async () => {
  const { clock, double, outbox } = await setup()
  await double.stop()
  assert.is(outbox.status().reachable, null, 'not tried yet')
  outbox.start()
  assert.is(await clock.sleeping(), 30_000)
  assert.equal([outbox.status().reachable, outbox.status().lastError?.reason], [false, 'WOPR_UNREACHABLE'], 'known at start, not after the first interval')
  await double.listen()
  clock.fire()
  await clock.sleeping()
  assert.is(outbox.status().reachable, true)
  assert.equal(double.requests.map((r) => r.path), ['/health'])
})

test('close() keeps what is pending; a reopened outbox resumes with the same entries in order', async () => {
  const { clock, double, outbox, client, dir } = await setup()
  await double.stop()
  outbox.start()
  for (let i = 0; i < 3; i++) outbox.enqueue(entry(i, BOB))
  await clock.sleeping()
  await outbox.close()
  await double.listen()
  const again = open(dir, client, clock, [])
  assert.is(again.status().pending, 3)
  again.start()
  await deliverAll(again, clock)
  assert.equal(contents(double.conversation(BOB)), ['m0', 'm1', 'm2'])
})

test.run()
