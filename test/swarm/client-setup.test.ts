// The client's set-up and its outcomes (issue 3: "retry a bounded number of times with
// backoff when set-up fails"; WIRE.md "Messages"): against a peer that comes late, none
// at all, or a stand-in bob scripted to refuse, pick v1, or hang up mid-exchange.

import createTestnet from '@hyperswarm/testnet'
import { createSocket } from 'node:dgram'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodeKey } from '../../src/crypto/der.ts'
import { generateEncryptionKeyPair } from '../../src/crypto/x25519.ts'
import { topicOf } from '../../src/identity/ids.ts'
import { WoprP2PError } from '../../src/reasons.ts'
import { Swarm } from '../../src/swarm/swarm.ts'
import { buildAck, buildHelloAck, buildReject, buildResponse } from '../../src/wire/build.ts'
import { parseMessage } from '../../src/wire/messages.ts'
import { openStatic, sealStatic } from '../../src/wire/payload.ts'
import { SESSION, T0, alice, bob } from '../support/gate-fixture.ts'
import { serveScripted, sleep, startNet, type RawPeer, type TestNet } from '../support/swarm-net.ts'
import { BOB, startClient, startListener } from '../support/swarm-rigs.ts'

const BOB_TOPIC = topicOf(bob.signPub)

let net: TestNet
const closers: (() => Promise<void> | void)[] = []

test.before(async () => {
  net = await startNet()
})

test.after.each(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

test.after(async () => {
  await net?.close()
})

function client(opts: Parameters<typeof startClient>[2] = {}) {
  const rig = startClient(net, { now: T0 }, opts)
  closers.push(() => rig.close())
  return rig.client
}

/** A stand-in bob (holding bob's keys) that answers each line as `script` says. */
async function scriptedBob(script: (line: string, peer: RawPeer) => string[]) {
  const server = await serveScripted(net, BOB_TOPIC, script)
  closers.push(() => server.close())
  return server
}

const typeOf = (line: string) => JSON.parse(line).type as string
const helloAck = (version: number) => buildHelloAck(bob, { version, ephemeralPub: encodeKey('x25519Spki', generateEncryptionKeyPair().publicKey) }, { ts: T0 })

test('serve() does not hang without a DHT: it resolves unannounced, retries, and is announced once a DHT appears', async () => {
  const probe = createSocket('udp4')
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve))
  const port = probe.address().port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const swarm = new Swarm({ bootstrap: [{ host: '127.0.0.1', port }], host: '127.0.0.1', firewalled: false, setupTimeoutMs: 1_000, announceRetryMs: 200, closeTimeoutMs: 1_000 })
  closers.push(() => swarm.close())
  const served = await swarm.serve(Buffer.alloc(32, 0x66), { onConnection: () => undefined })
  assert.is(served.announced, false)
  // The DHT comes up where the bootstrap address said it would.
  const late = await createTestnet(3, { host: '127.0.0.1', port })
  closers.push(() => late.destroy())
  for (let i = 0; i < 200 && !served.announced; i++) await sleep(100)
  assert.is(served.announced, true)
  await served.close()
})

test('a send made before the peer is online is retried with a fresh lookup and succeeds once it announces', async () => {
  const alice = client({ timing: { setupMs: 300, backoffMs: [150, 150, 150, 150, 150, 150, 150, 150] } })
  const sending = alice.log(BOB, SESSION, 'are you up yet?')
  await sleep(400)
  const rig = await startListener(net)
  closers.push(() => rig.close())
  assert.equal(await sending, { ok: true, reply: 'ack' })
})

test('nobody on the topic: SEND_UNREACHABLE once every attempt is spent', async () => {
  const alice = client({ timing: { setupMs: 200, backoffMs: [50, 50] } })
  assert.equal(await alice.log(BOB, SESSION, 'hello?'), { ok: false, reply: 'none', error: 'SEND_UNREACHABLE' })
  assert.is(alice.counters.get('SEND_UNREACHABLE'), 1)
})

test('sends past the per-peer queue are refused at once with SEND_BUSY', async () => {
  const alice = client({ timing: { setupMs: 300, backoffMs: [], maxQueuedPerPeer: 1 } })
  const first = alice.log(BOB, SESSION, 'first')
  assert.equal(await alice.log(BOB, SESSION, 'second'), { ok: false, reply: 'none', error: 'SEND_BUSY' })
  assert.equal(await first, { ok: false, reply: 'none', error: 'SEND_UNREACHABLE' })
})

test("the peer's signed refusal of the hello is final: no retry", async () => {
  const bobby = await scriptedBob((line) => (typeOf(line) === 'hello' ? [buildReject(bob, { reason: 'no common protocol version' }, { ts: T0 })] : []))
  const alice = client({ timing: { setupMs: 500, backoffMs: [100, 100] } })
  assert.equal(await alice.log(BOB, SESSION, 'hi'), { ok: false, reply: 'reject', reason: 'no common protocol version' })
  assert.is(bobby.received.length, 1, 'one hello, no retry')
})

test('a peer settling on v1 is refused unless policy allows it: SEND_VERSION, nothing sent', async () => {
  const bobby = await scriptedBob((line) => (typeOf(line) === 'hello' ? [helloAck(1)] : []))
  const alice = client({ timing: { setupMs: 500, backoffMs: [] } })
  assert.equal(await alice.inject(BOB, SESSION, 'hi'), { ok: false, reply: 'none', error: 'SEND_VERSION' })
  assert.equal(bobby.received.map(typeOf), ['hello'])
})

test('allowV1: a v1 peer gets static-key log and inject, and its static response opens', async () => {
  const opened: string[] = []
  await scriptedBob((line) => {
    const parsed = parseMessage(line)
    if (!parsed.ok) return []
    const msg = parsed.value
    if (msg.type === 'hello') return [helloAck(1)]
    // A v1 message has no ephemeralPub (the parser insists) and opens with the static keys.
    if ((msg.type !== 'log' && msg.type !== 'inject') || msg.v !== 1) return []
    const text = openStatic(msg.payload, bob.encryptPrivateRaw, alice.encryptPub)!
    opened.push(text)
    if (msg.type === 'log') return [buildAck(bob, { session: msg.session }, { ts: T0 })]
    const payload = sealStatic(`static: ${text}`, bob.encryptPrivateRaw, alice.encryptPub)!
    return [buildResponse(bob, { encryptPub: bob.encryptPub, session: msg.session, payload, requestId: msg.requestId }, { ts: T0 })]
  })
  const c = client({ allowV1: true })
  assert.equal(await c.log(BOB, SESSION, 'old school'), { ok: true, reply: 'ack' })
  assert.equal(await c.inject(BOB, SESSION, 'still works'), { ok: true, reply: 'response', text: 'static: still works' })
  assert.equal(opened, ['old school', 'still works'])
})

test('the connection closes after the message is written: SEND_CLOSED, and the message is not sent again', async () => {
  const bobby = await scriptedBob((line, peer) => {
    if (typeOf(line) === 'hello') return [helloAck(2)]
    void peer.close()
    return []
  })
  const alice = client({ timing: { backoffMs: [100, 100] } })
  assert.equal(await alice.log(BOB, SESSION, 'hello?'), { ok: false, reply: 'none', error: 'SEND_CLOSED' })
  assert.equal(bobby.received.map(typeOf), ['hello', 'log'])
})

test.run()
