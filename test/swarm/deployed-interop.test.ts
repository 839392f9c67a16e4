// The deployed plugin's own sender lines (test/vectors/wire-v2.json, see its "about"),
// replayed byte for byte over Hyperswarm against our listener with the gate's clock set
// to each line's ts: every reply must parse and verify as the deployed sender checks it
// (re-serialise, Ed25519 against bob's SPKI with node:crypto) and have upstream's shape.

import { createPublicKey, verify } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeKey } from '../../src/crypto/der.ts'
import { addFriend, emptyPeerState, grant, issueInvite, type PeerState } from '../../src/friends/model.ts'
import { buildInject, buildLog } from '../../src/wire/build.ts'
import { parseMessage } from '../../src/wire/messages.ts'
import { openResponse, openStatic, sealForListener } from '../../src/wire/payload.ts'
import { alice, bob } from '../support/gate-fixture.ts'
import { dialRaw, startNet, type RawPeer, type TestNet } from '../support/swarm-net.ts'
import { startListener, type ListenerRig } from '../support/swarm-rigs.ts'
import vectors from '../vectors/wire-v2.json' with { type: 'json' }

type Entry = (typeof vectors.signed)[number]

/**
 * Where our answer differs from the upstream listener's, and why. The v2 payloads of A, B,
 * G1, G2 and E2 are sealed to the upstream listener's connection key, whose private half
 * the vectors do not hold, so our listener cannot open them (G1 and G2 are re-sealed to our
 * key below); H is static-key v1, refused unless policy says allowV1 (also run below).
 */
const OURS_DIFFER: Record<string, string> = {
  'A.3': 'log failed',
  'B.3': 'inject failed',
  'G1.3': 'log failed',
  'G2.3': 'inject failed',
  'E2.3': 'inject failed',
  'H.1': 'unauthorized',
}
/** upstream's reject shape for a refused log/inject (session, then reason). */
const REJECT_WITH_SESSION = vectors.signed.find((e) => e.id === 'C.4')!.line

const bobKey = createPublicKey({ key: Buffer.from(bob.signPub, 'base64'), format: 'der', type: 'spki' })

let net: TestNet
let strict: ListenerRig
let allowV1: ListenerRig
const peers: RawPeer[] = []

function bobState(): PeerState {
  const claim = vectors.invite.claimToken.parsed
  const friend = { name: 'alice', signPub: alice.signPub, encryptPub: alice.encryptPub, session: 'chat', addedAt: 0 }
  const state = grant(addFriend(emptyPeerState(), friend), alice.signPub, 'chat', 'inject')
  return issueInvite(state, { nonce: claim.nonce, sub: claim.sub, sessions: claim.ses, exp: claim.exp })
}

test.before(async () => {
  net = await startNet()
  // The negative cases are written back to back on one connection: let them queue.
  const limits = { maxQueuedLines: 16 }
  strict = await startListener(net, { fixture: { state: bobState() }, limits })
  allowV1 = await startListener(net, { fixture: { state: bobState(), policy: { allowV1: true } }, limits, topic: Buffer.alloc(32, 0x55) })
})

test.after(async () => {
  for (const p of peers) await p.close()
  await strict?.close()
  await allowV1?.close()
  await net?.close()
})

async function connect(rig: ListenerRig): Promise<RawPeer> {
  const peer = await dialRaw(net, rig.topic)
  peers.push(peer)
  return peer
}

/** Send one deployed line with the clock at its ts and return our reply. */
async function exchange(rig: ListenerRig, peer: RawPeer, line: string): Promise<string> {
  rig.fx.clock.now = JSON.parse(line).ts
  await peer.send(line)
  const reply = await peer.next()
  assert.ok(reply, `a reply to ${line.slice(0, 60)}`)
  return reply!
}

/** The deployed sender's check: JSON.parse, drop sig, JSON.stringify, Ed25519 against bob; plus our strict parse. */
function deployedVerify(reply: string): Record<string, unknown> {
  const msg = JSON.parse(reply) as Record<string, unknown>
  const { sig, ...rest } = msg
  assert.is(msg.from, bob.signPub)
  assert.ok(verify(null, Buffer.from(JSON.stringify(rest), 'utf8'), bobKey, Buffer.from(String(sig), 'base64')), 'signature verifies under the deployed rule')
  assert.is(JSON.stringify(msg), reply, 'canonical: the deployed re-serialisation is our exact bytes')
  assert.ok(parseMessage(reply).ok, 'parses under our strict schema')
  return msg
}

/** Same keys in the same order, and the same values wherever a value is not fresh per message. */
function sameShape(ours: Record<string, unknown>, upstreamLine: string, id: string): void {
  const upstream = JSON.parse(upstreamLine) as Record<string, unknown>
  assert.equal(Object.keys(ours), Object.keys(upstream), `${id}: key order`)
  for (const key of ['v', 'type', 'from', 'version', 'session', 'reason', 'encryptPub', 'requestId']) {
    assert.equal(ours[key], upstream[key], `${id}: ${key}`)
  }
}

function flows(): Map<string, Entry[]> {
  const byFlow = new Map<string, Entry[]>()
  for (const e of vectors.signed) byFlow.set(e.flow, [...(byFlow.get(e.flow) ?? []), e])
  return byFlow
}

test('every flow: each deployed sender line gets a reply that verifies under the deployed rules, shaped as upstream\'s', async () => {
  for (const [flow, entries] of flows()) {
    // Each flow was one connection of a fresh deployed sender swarm.
    const peer = await connect(strict)
    for (let i = 0; i < entries.length; i++) {
      const sent = entries[i]!
      if (sent.direction !== 'alice->bob') continue
      const upstream = entries[i + 1]!
      const ours = deployedVerify(await exchange(strict, peer, sent.line))
      const differs = OURS_DIFFER[sent.id]
      if (differs === undefined) {
        sameShape(ours, upstream.line, sent.id)
      } else {
        assert.equal(Object.keys(ours), Object.keys(JSON.parse(REJECT_WITH_SESSION)), `${sent.id}: key order`)
        assert.equal([ours.type, ours.reason, ours.session], ['reject', differs, JSON.parse(sent.line).session], `${sent.id} (${flow})`)
      }
    }
    // A deployed sender destroys its swarm after one exchange; alice's connections stay under the per-key cap.
    await peer.close()
  }
  // D's claim and E's rotation reached the owner's state before the acks were sent.
  assert.is(strict.fx.state.value.access.invites.length, 0)
  assert.ok(strict.fx.state.value.access.grants[vectors.rotation.new.signPub], 'the rotated key holds alice\'s grants')
})

test('G1, G2: the same deployed messages sealed to our hello-ack key → ack, and a response that opens to upstream\'s plaintext', async () => {
  for (const flow of ['G1', 'G2']) {
    const [hello, upstreamAck, sent, upstreamReply] = flows().get(flow)!
    const peer = await connect(strict)
    const ack = deployedVerify(await exchange(strict, peer, hello!.line))
    sameShape(ack, upstreamAck!.line, hello!.id)
    const msg = JSON.parse(sent!.line)
    const sealed = sealForListener(sent!.plaintext!, String(ack.ephemeralPub))!
    const fields = { v: 2 as const, ephemeralPub: sealed.ephemeralPub, encryptPub: msg.encryptPub, session: msg.session, payload: sealed.payload }
    const stamp = { ts: msg.ts }
    const line = msg.type === 'log' ? buildLog(alice, fields, stamp) : buildInject(alice, { ...fields, requestId: msg.requestId }, stamp)
    const reply = deployedVerify(await exchange(strict, peer, line))
    sameShape(reply, upstreamReply!.line, sent!.id)
    if (reply.type === 'response') {
      assert.is(openResponse(String(reply.payload), sealed.ephemeralPrivate, String(reply.ephemeralPub)), upstreamReply!.plaintext)
    }
    await peer.close()
  }
})

test('H with allowV1: the static-key inject gets a static response that opens with the vector keys to upstream\'s plaintext', async () => {
  const [sent, upstream] = flows().get('H')!
  const peer = await connect(allowV1)
  const reply = deployedVerify(await exchange(allowV1, peer, sent!.line))
  sameShape(reply, upstream!.line, sent!.id)
  const keys = upstream!.decryptWith!
  assert.is(openStatic(String(reply.payload), decodeKey('x25519Pkcs8', keys.priv)!, keys.pub), upstream!.plaintext)
})

test('negative[]: lines upstream drops get silence, and the valid base line after them on the same connection is answered', async () => {
  const peer = await connect(strict)
  strict.fx.clock.now = JSON.parse(vectors.negative.base.line).ts
  for (const c of vectors.negative.cases) await peer.send(c.line)
  const reply = deployedVerify(await exchange(strict, peer, vectors.negative.base.line))
  // The base payload is sealed to the upstream listener's key, so ours refuses it — but answers it, and only it.
  assert.equal([reply.type, reply.reason], ['reject', 'inject failed'])
  assert.is(await peer.next(200), null)
})

test.run()
