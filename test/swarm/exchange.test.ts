// A friend and a stranger talking to a listener over real Hyperswarm on a loopback
// testnet (WIRE.md "Transport and framing", "Messages"; DESIGN.md "The path of one
// inbound message"): handshake, log → ack, inject → response, and every refusal.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeKey } from '../../src/crypto/der.ts'
import { issueInvite } from '../../src/friends/model.ts'
import { createIdentityRecord, loadIdentity } from '../../src/identity/keys.ts'
import { checkReply } from '../../src/swarm/reply-check.ts'
import { buildClaim } from '../../src/wire/build.ts'
import { createInvite } from '../../src/wire/invite.ts'
import { openResponse } from '../../src/wire/payload.ts'
import { createRotation } from '../../src/wire/rotation.ts'
import { SESSION, T0, bob, vectorIdentity } from '../support/gate-fixture.ts'
import { dialRaw, sleep, startNet, type RawPeer, type TestNet } from '../support/swarm-net.ts'
import { BOB, helloLine, rawHello, sealedLine, startClient, startListener, type ClientRig, type ListenerRig } from '../support/swarm-rigs.ts'

let net: TestNet
let rig: ListenerRig
/** What one test opened: its peers, clients and extra listeners, closed after it. */
const closers: (() => Promise<void> | void)[] = []

test.before(async () => {
  net = await startNet()
  rig = await startListener(net, { fixture: { inject: true } })
})

test.after.each(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

test.after(async () => {
  await rig?.close()
  await net?.close()
})

function client(opts: Parameters<typeof startClient>[2] = {}): ClientRig {
  const c = startClient(net, rig.fx.clock, opts)
  closers.push(() => c.close())
  return c
}

async function raw(topic = rig.topic): Promise<RawPeer> {
  const peer = await dialRaw(net, topic)
  closers.push(() => peer.close())
  return peer
}

/** Judged as our client judges replies (from bob, canonical, signed, fresh); nonce tracking is the client's, not checked here. */
function verifiedFromBob(line: string | null) {
  assert.ok(line, 'a reply arrived')
  const verdict = checkReply(line!, { signPub: bob.signPub, signPublicRaw: bob.signPublicRaw }, { now: rig.fx.clock.now, freshnessMs: 300_000, replay: { check: () => 'fresh' } })
  if (!verdict.ok) throw new Error(`reply refused: ${verdict.reason}`)
  return verdict.reply
}

test('hello → hello-ack signed by the listener, version 2, a fresh key per connection', async () => {
  const first = await rawHello(await raw(), rig.fx.clock)
  const second = await rawHello(await raw(), rig.fx.clock)
  for (const ack of [first, second]) {
    assert.is(verifiedFromBob(JSON.stringify(ack)).type, 'hello-ack')
    assert.is(ack.version, 2)
    assert.ok(decodeKey('x25519Spki', ack.ephemeralPub))
  }
  assert.is.not(first.ephemeralPub, second.ephemeralPub)
})

test("a friend's log → ack, and the handler got the plaintext", async () => {
  const { client: alice } = client()
  const result = await alice.log(BOB, SESSION, 'hello bob')
  assert.equal(result, { ok: true, reply: 'ack' })
  const last = rig.handled.at(-1)
  assert.ok(last?.kind === 'log' && last.text === 'hello bob' && last.session === SESSION)
})

test('inject → response opened with the per-message key; the connection is reused', async () => {
  const { client: alice } = client()
  const hellos = rig.fx.gate.counters.get('ACCEPTED_HELLO') ?? 0
  assert.equal(await alice.inject(BOB, SESSION, 'ping'), { ok: true, reply: 'response', text: 'bob got: ping' })
  assert.equal(await alice.inject(BOB, SESSION, 'héllo 🌍'), { ok: true, reply: 'response', text: 'bob got: héllo 🌍' })
  assert.equal(await alice.log(BOB, SESSION, 'and a log'), { ok: true, reply: 'ack' })
  assert.is(rig.fx.gate.counters.get('ACCEPTED_HELLO'), hellos + 1, 'one handshake, one connection, three exchanges')
})

test('inject by hand: the response is sealed to the inject\'s ephemeral key with a fresh responder key', async () => {
  const peer = await raw()
  const ack = await rawHello(peer, rig.fx.clock)
  const sent = sealedLine(ack, 'inject', 'by hand', { ts: rig.fx.clock.now })
  await peer.send(sent.line)
  const reply = verifiedFromBob(await peer.next())
  assert.ok(reply.type === 'response')
  if (reply.type !== 'response') return
  assert.is(reply.requestId, sent.requestId)
  assert.is(reply.session, SESSION)
  assert.is(reply.encryptPub, bob.encryptPub)
  assert.ok(reply.ephemeralPub && reply.ephemeralPub !== ack.ephemeralPub)
  assert.is(openResponse(reply.payload, sent.ephemeralPrivate, reply.ephemeralPub!), 'bob got: by hand')
})

test("a non-friend's log and inject get no reply, counted ADMIT_UNKNOWN_SENDER", async () => {
  const stranger = loadIdentity(createIdentityRecord(T0))
  const before = rig.fx.gate.counters.get('ADMIT_UNKNOWN_SENDER') ?? 0
  const handled = rig.handled.length
  const { client: c } = client({ identity: stranger, timing: { replyMs: 400, injectMs: 400 } })
  assert.equal(await c.log(BOB, SESSION, 'let me in'), { ok: false, reply: 'none', error: 'SEND_TIMEOUT' })
  assert.equal(await c.inject(BOB, SESSION, 'let me in'), { ok: false, reply: 'none', error: 'SEND_TIMEOUT' })
  assert.is(rig.fx.gate.counters.get('ADMIT_UNKNOWN_SENDER'), before + 2)
  assert.is(rig.handled.length, handled, 'nothing reached the handler')
})

test('a replayed line is refused in silence; the connection still serves', async () => {
  const peer = await raw()
  const ack = await rawHello(peer, rig.fx.clock)
  const first = sealedLine(ack, 'log', 'once', { ts: rig.fx.clock.now })
  await peer.send(first.line)
  assert.is(verifiedFromBob(await peer.next()).type, 'ack')
  const replays = rig.fx.gate.counters.get('ADMIT_REPLAY') ?? 0
  await peer.send(first.line)
  const next = sealedLine(ack, 'log', 'twice', { ts: rig.fx.clock.now })
  await peer.send(next.line)
  // Lines are handled in order, so the first reply after the replay answers the fresh line.
  assert.is(verifiedFromBob(await peer.next()).type, 'ack')
  assert.is(rig.fx.gate.counters.get('ADMIT_REPLAY'), replays + 1)
  assert.is(rig.handled.filter((a) => a.kind === 'log' && a.text === 'once').length, 1)
})

test('a 2 MB line is refused before its newline; the same connection then serves a valid message', async () => {
  const peer = await raw()
  const ack = await rawHello(peer, rig.fx.clock)
  const tooLong = rig.listener.counters.get('WIRE_LINE_TOO_LONG') ?? 0
  await peer.send('x'.repeat(2 * 1024 * 1024))
  const valid = sealedLine(ack, 'log', 'after the flood', { ts: rig.fx.clock.now })
  await peer.send(valid.line)
  const reply = verifiedFromBob(await peer.next())
  assert.is(reply.type, 'ack')
  assert.is(rig.listener.counters.get('WIRE_LINE_TOO_LONG'), tooLong + 1)
  assert.not.ok(peer.closed)
})

test('no handler: log and inject are refused with `<kind> failed` (fail closed), counted SWARM_NO_HANDLER', async () => {
  const closed = await startListener(net, { fixture: { inject: true }, handler: null, topic: Buffer.alloc(32, 0x11) })
  closers.push(() => closed.close())
  const peer = await raw(closed.topic)
  const ack = await rawHello(peer, closed.fx.clock)
  for (const [type, reason] of [['log', 'log failed'], ['inject', 'inject failed']] as const) {
    await peer.send(sealedLine(ack, type, 'anyone there?', { ts: closed.fx.clock.now }).line)
    const reply = verifiedFromBob(await peer.next())
    assert.equal([reply.type, reply.type === 'reject' && reply.reason, reply.type === 'reject' && reply.session], ['reject', reason, SESSION])
  }
  assert.is(closed.listener.counters.get('SWARM_NO_HANDLER'), 2)
})

test("the handler's refusal reaches the sender; a throwing handler gives `inject failed`", async () => {
  const picky = await startListener(net, {
    fixture: { inject: true },
    topic: Buffer.alloc(32, 0x22),
    handler: {
      handle: async (a) => {
        if (a.text === 'throw') throw new Error('boom')
        return { ok: false, reason: 'no model configured' }
      },
    },
  })
  closers.push(() => picky.close())
  const peer = await raw(picky.topic)
  const ack = await rawHello(peer, picky.fx.clock)
  const reasons: string[] = []
  for (const text of ['think', 'throw']) {
    await peer.send(sealedLine(ack, 'inject', text, { ts: picky.fx.clock.now }).line)
    const reply = verifiedFromBob(await peer.next())
    if (reply.type === 'reject') reasons.push(reply.reason)
  }
  assert.equal(reasons, ['no model configured', 'inject failed'])
  assert.is(picky.listener.counters.get('SWARM_HANDLER_REFUSED'), 1)
  assert.is(picky.listener.counters.get('SWARM_HANDLER_FAILED'), 1)
})

test('one message in flight per connection: later lines wait their turn in order; past the queue they are dropped; a second hello is ignored', async () => {
  const slow = await startListener(net, {
    fixture: { inject: true },
    topic: Buffer.alloc(32, 0x44),
    limits: { maxQueuedLines: 3 },
    handler: {
      handle: async (a) => {
        if (a.text === 'slow') await sleep(300)
        return { ok: true, text: a.text }
      },
    },
  })
  closers.push(() => slow.close())
  const peer = await raw(slow.topic)
  const ack = await rawHello(peer, slow.fx.clock)
  await peer.send(sealedLine(ack, 'inject', 'slow', { ts: slow.fx.clock.now }).line)
  await peer.send(helloLine(slow.fx.clock))
  for (const text of ['one', 'two', 'three']) await peer.send(sealedLine(ack, 'log', text, { ts: slow.fx.clock.now }).line)
  const replies: string[] = []
  for (let line = await peer.next(); line !== null; line = await peer.next(500)) replies.push(verifiedFromBob(line).type)
  // The hello took a queue place and got silence; 'three' found the queue full.
  assert.equal(replies, ['response', 'ack', 'ack'])
  assert.equal(slow.handled.map((a) => a.kind === 'log' || a.kind === 'inject' ? a.text : ''), ['slow', 'one', 'two'])
  assert.equal(['SWARM_REPEAT_HELLO', 'SWARM_QUEUE_FULL'].map((r) => slow.listener.counters.get(r)), [1, 1])
})

test('a claim the owner fails to record is refused, not acked', async () => {
  const carol = loadIdentity(createIdentityRecord(T0))
  const nonce = 'd'.repeat(32)
  const failing = await startListener(net, {
    topic: Buffer.alloc(32, 0x55),
    hooks: {
      claimed: async () => {
        throw new Error('disk full')
      },
      rotated: async () => undefined,
    },
  })
  closers.push(() => failing.close())
  failing.fx.state.value = issueInvite(failing.fx.state.value, { nonce, sub: carol.signPub, sessions: ['carol-chat'], exp: T0 + 3_600_000 })
  const peer = await raw(failing.topic)
  await rawHello(peer, failing.fx.clock, carol)
  const token = createInvite(bob, carol.signPub, ['carol-chat'], { expiresAt: T0 + 3_600_000, nonce })
  await peer.send(buildClaim(carol, { v: 2, encryptPub: carol.encryptPub, token }, { ts: T0 }))
  const reply = verifiedFromBob(await peer.next())
  assert.equal([reply.type, reply.type === 'reject' && reply.reason], ['reject', 'invalid token: claim failed'])
  assert.is(failing.listener.counters.get('SWARM_HOOK_FAILED'), 1)
})

test('bounds: a silent connection is closed after the handshake time, an idle one after the idle time, a second connection past the per-key cap at once', async () => {
  const tight = await startListener(net, { topic: Buffer.alloc(32, 0x33), limits: { handshakeMs: 300, idleMs: 1_500, maxConnectionsPerKey: 1 } })
  closers.push(() => tight.close())
  const silent = await raw(tight.topic)
  const idle = await raw(tight.topic)
  await rawHello(idle, tight.fx.clock)
  const extra = await raw(tight.topic)
  await extra.send(helloLine(tight.fx.clock))
  assert.ok(await extra.waitClosed(), 'the second connection of one key is closed')
  assert.equal(extra.received, [], 'and gets no hello-ack')
  assert.ok(await silent.waitClosed(), 'the silent connection is closed')
  assert.ok(await idle.waitClosed(), 'the idle connection is closed')
  assert.equal(
    ['SWARM_HANDSHAKE_TIMEOUT', 'SWARM_IDLE', 'SWARM_PEER_CONNECTIONS'].map((r) => tight.listener.counters.get(r)),
    [1, 1, 1],
  )
})

test('claim: an invite bob issued is claimed over the swarm, acked with his encryptPub, and its grant works at once', async () => {
  const carol = loadIdentity(createIdentityRecord(T0))
  const nonce = 'c'.repeat(32)
  const token = createInvite(bob, carol.signPub, ['carol-chat'], { expiresAt: T0 + 3_600_000, nonce })
  rig.fx.state.value = issueInvite(rig.fx.state.value, { nonce, sub: carol.signPub, sessions: ['carol-chat'], exp: T0 + 3_600_000 })
  const { client: c } = client({ identity: carol })
  assert.equal(await c.claim(BOB, token), { ok: true, reply: 'ack', encryptPub: bob.encryptPub })
  assert.equal(await c.claim(BOB, token), { ok: false, reply: 'reject', reason: 'invalid token: already claimed' })
  assert.equal(await c.inject(BOB, 'carol-chat', 'thanks'), { ok: true, reply: 'response', text: 'bob got: thanks' })
})

test("key rotation: alice's notice (hello by the new key, notice by the old) is acked; the new key then holds her grants", async () => {
  const rotated = vectorIdentity('aliceRotated')
  const rotation = createRotation(vectorIdentity('alice'), rotated, 'scheduled', { now: rig.fx.clock.now, gracePeriodMs: 3_600_000 })
  const { client: c } = client({ identity: rotated })
  assert.equal(await c.keyRotation(BOB, rotation), { ok: true, reply: 'ack' })
  assert.equal(await c.inject(BOB, SESSION, 'new key, same friend'), { ok: true, reply: 'response', text: 'bob got: new key, same friend' })
})

test.run()
