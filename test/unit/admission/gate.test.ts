// Every stage of the admission gate, each refusal path, with an injected clock.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { replyFor } from '../../../src/admission/reply.ts'
import { addFriend, issueInvite } from '../../../src/friends/model.ts'
import { createIdentityRecord, loadIdentity } from '../../../src/identity/keys.ts'
import { sign } from '../../../src/crypto/ed25519.ts'
import { createRotation, rotationSignedJson } from '../../../src/wire/rotation.ts'
import { buildClaim, buildKeyRotationMessage, buildAck } from '../../../src/wire/build.ts'
import { createInvite } from '../../../src/wire/invite.ts'
import { SESSION, T0, alice, bob, hello, makeFixture, nonce, v1Inject, v2, vectorIdentity, type Fixture } from '../../support/gate-fixture.ts'

const fixtures: Fixture[] = []
function fx(opts?: Parameters<typeof makeFixture>[0]): Fixture {
  const f = makeFixture(opts)
  fixtures.push(f)
  return f
}
test.after(() => fixtures.forEach((f) => f.close()))

function refused(f: Fixture, line: string, reason: string, conn = f.conn) {
  const v = f.gate.admit(line, conn)
  assert.is(v.ok, false, `expected refusal ${reason}`)
  if (!v.ok) assert.is(v.reason, reason)
  return v
}

test('a friend\'s v2 log is accepted and decrypted', () => {
  const f = fx()
  const v = f.gate.admit(v2(f, 'log', 'hello bob'), f.conn)
  assert.ok(v.ok)
  if (v.ok && v.value.kind === 'log') {
    assert.is(v.value.text, 'hello bob')
    assert.is(v.value.session, SESSION)
    assert.is(v.value.peer.id, alice.signPub)
  } else assert.unreachable('not a log')
})

test('size: a line over the cap is refused before parsing', () => {
  const f = fx({ policy: { maxLineBytes: 100 } })
  refused(f, 'x'.repeat(101), 'ADMIT_TOO_LARGE')
  refused(f, `"${'é'.repeat(60)}"`, 'ADMIT_TOO_LARGE') // 62 chars, 122 bytes
})

test('parse: malformed lines are refused with their parse code', () => {
  const f = fx()
  refused(f, '{not json', 'WIRE_NOT_JSON')
  refused(f, '[1,2]', 'WIRE_NOT_OBJECT')
  refused(f, '{"type":"nope"}', 'WIRE_UNKNOWN_TYPE')
})

test('parse: replies (ack, response, reject, hello-ack) are not accepted by a listener', () => {
  const f = fx()
  refused(f, buildAck(alice, {}, { ts: T0, nonce: nonce() }), 'WIRE_UNKNOWN_TYPE')
})

test('known sender: a stranger is dropped before any signature check, with no reply', () => {
  const f = fx()
  const stranger = loadIdentity(createIdentityRecord(T0))
  const v = refused(f, v2(f, 'log', 'hi', { from: stranger }), 'ADMIT_UNKNOWN_SENDER')
  if (!v.ok) assert.is(replyFor(v), null)
  // A forged signature from a stranger gives the same verdict: the signature was never looked at.
  const forged = v2(f, 'log', 'hi', { from: stranger }).replace(/"sig":"[^"]+"/, `"sig":"${'A'.repeat(86)}=="`)
  refused(f, forged, 'ADMIT_UNKNOWN_SENDER')
})

test('signature: a tampered friend message is refused silently', () => {
  const f = fx()
  const line = v2(f, 'log', 'hi').replace(SESSION, 'friend:p2p:alice(f10737)')
  const v = refused(f, line, 'ADMIT_BAD_SIGNATURE')
  if (!v.ok) assert.is(replyFor(v), null)
})

test('signature: a non-canonical spelling of a valid line is refused', () => {
  const f = fx()
  const line = v2(f, 'log', 'hi')
  refused(f, line.replace('{"v":2,', '{"v":2, '), 'ADMIT_BAD_SIGNATURE')
  refused(f, line.replace('{"v":2,', '{"v":2.0,'), 'ADMIT_BAD_SIGNATURE')
})

test('freshness: ±5 minutes exactly, both directions', () => {
  const f = fx()
  assert.ok(f.gate.admit(v2(f, 'log', 'a', { ts: T0 - 300_000 }), f.conn).ok, 'exactly 5 min old is fresh')
  assert.ok(f.gate.admit(v2(f, 'log', 'b', { ts: T0 + 300_000 }), f.conn).ok, 'exactly 5 min ahead is fresh')
  refused(f, v2(f, 'log', 'c', { ts: T0 - 300_001 }), 'ADMIT_STALE')
  refused(f, v2(f, 'log', 'd', { ts: T0 + 300_001 }), 'ADMIT_STALE')
})

test('replay: the same line twice is refused, also after reopening the store', () => {
  const f = fx()
  const line = v2(f, 'log', 'once')
  assert.ok(f.gate.admit(line, f.conn).ok)
  const v = refused(f, line, 'ADMIT_REPLAY')
  if (!v.ok) assert.is(replyFor(v), null)
  // A new nonce with the same content is a new message.
  assert.ok(f.gate.admit(v2(f, 'log', 'once'), f.conn).ok)
})

test('replay: a peer with a full nonce set is refused rather than anything being forgotten', () => {
  const f = fx({ maxPerPeer: 3 })
  for (let i = 0; i < 3; i++) assert.ok(f.gate.admit(v2(f, 'log', `m${i}`), f.conn).ok)
  const v = refused(f, v2(f, 'log', 'm3'), 'ADMIT_REPLAY_FULL')
  if (!v.ok) assert.is(replyFor(v), 'rate limited')
})

test('grant: log needs message; inject needs inject; message never implies inject', () => {
  const f = fx()
  const v = refused(f, v2(f, 'inject', 'do it'), 'ADMIT_UNAUTHORIZED')
  if (!v.ok) assert.is(replyFor(v), 'unauthorized')
  const g = fx({ inject: true })
  const ok = g.gate.admit(v2(g, 'inject', 'do it'), g.conn)
  assert.ok(ok.ok && ok.value.kind === 'inject' && ok.value.text === 'do it')
})

test('grant: a friend can address only its own session', () => {
  const f = fx({ inject: true })
  for (const session of ['friend:p2p:bob(1dccd6)', 'main', '*', SESSION.toUpperCase(), `${SESSION} `]) {
    refused(f, v2(f, 'log', 'x', { session }), 'ADMIT_UNAUTHORIZED')
    refused(f, v2(f, 'inject', 'x', { session }), 'ADMIT_UNAUTHORIZED')
  }
})

test('rate limit: the 31st message in a minute is refused with "rate limited"', () => {
  const f = fx()
  for (let i = 0; i < 30; i++) assert.ok(f.gate.admit(v2(f, 'log', `m${i}`), f.conn).ok)
  const v = refused(f, v2(f, 'log', 'm30'), 'ADMIT_RATE_LIMITED')
  if (!v.ok) assert.is(replyFor(v), 'rate limited')
  f.clock.now += 60_000
  assert.ok(f.gate.admit(v2(f, 'log', 'later'), f.conn).ok)
})

test('payload size: over 1 MB is refused with the deployed reason', () => {
  const f = fx({ inject: true })
  const big = v2(f, 'inject', 'x'.repeat(786_000)) // base64 of 786,028 bytes ≈ 1,048,064 chars: under
  assert.ok(f.gate.admit(big, f.conn).ok)
  const over = v2(f, 'inject', 'x'.repeat(786_500))
  const v = refused(f, over, 'ADMIT_PAYLOAD_TOO_LARGE')
  if (!v.ok) assert.match(replyFor(v)!, /^payload too large: \d+ bytes exceeds 1048576 limit$/)
})

test('decrypt: v2 needs this connection\'s hello-ack key; garbage does not decrypt', () => {
  const f = fx()
  refused(f, v2(f, 'log', 'x'), 'ADMIT_NO_SESSION_KEY', {} as Fixture['conn'])
  const other = fx()
  refused(f, v2(other, 'log', 'x'), 'ADMIT_DECRYPT_FAILED') // sealed to another connection's key
})

test('decrypt: v1 static messages only when policy allows them', () => {
  const f = fx({ inject: true })
  const v = refused(f, v1Inject(f, 'old style'), 'ADMIT_V1_REFUSED')
  if (!v.ok) assert.is(replyFor(v), 'unauthorized')
  const g = fx({ inject: true, policy: { allowV1: true } })
  const ok = g.gate.admit(v1Inject(g, 'old style'), {})
  assert.ok(ok.ok && ok.value.kind === 'inject' && ok.value.text === 'old style')
})

test('hello: anyone may say hello; version negotiation; stale or forged hellos are refused', () => {
  const f = fx()
  const stranger = loadIdentity(createIdentityRecord(T0))
  const v = f.gate.admit(hello(f, stranger), {})
  assert.ok(v.ok && v.value.kind === 'hello' && v.value.version === 2)
  const none = refused(f, hello(f, stranger, [3]), 'ADMIT_NO_COMMON_VERSION')
  if (!none.ok) assert.is(replyFor(none), 'no common protocol version')
  refused(f, hello(f, stranger, [1]), 'ADMIT_NO_COMMON_VERSION') // v1 is off by policy
  const g = fx({ policy: { allowV1: true } })
  const v1 = g.gate.admit(hello(g, stranger, [1]), {})
  assert.ok(v1.ok && v1.value.kind === 'hello' && v1.value.version === 1)
  refused(f, hello(f, stranger).replace('"versions":[2,1]', '"versions":[1,2]'), 'ADMIT_BAD_SIGNATURE')
  f.clock.now += 300_001
  refused(f, hello({ ...f, clock: { now: T0 } }, stranger), 'ADMIT_STALE')
})

function claimFixture() {
  const f = fx()
  const carol = loadIdentity(createIdentityRecord(T0))
  const invNonce = 'ab'.repeat(16)
  const token = createInvite(bob, carol.signPub, ['chat'], { expiresAt: T0 + 3_600_000, nonce: invNonce })
  f.state.value = issueInvite(f.state.value, { nonce: invNonce, sub: carol.signPub, sessions: ['chat'], exp: T0 + 3_600_000 })
  const claim = (who = carol, tok = token) => buildClaim(who, { v: 2, encryptPub: who.encryptPub, token: tok }, { ts: f.clock.now, nonce: nonce() })
  return { f, carol, token, claim }
}

test('claim: an invite we issued, claimed by its subject, is accepted', () => {
  const { f, carol, claim } = claimFixture()
  const v = f.gate.admit(claim(), {})
  assert.ok(v.ok && v.value.kind === 'claim' && v.value.from === carol.signPub)
  if (v.ok && v.value.kind === 'claim') assert.equal(v.value.invite.ses, ['chat'])
})

test('claim: tokens not from us or not for the sender cost no signature check and get no reply', () => {
  const { f, carol, claim } = claimFixture()
  const mallory = loadIdentity(createIdentityRecord(T0))
  const v = refused(f, claim(mallory), 'ADMIT_UNKNOWN_SENDER') // carol's token, sent by mallory
  if (!v.ok) assert.is(replyFor(v), null)
  const foreign = createInvite(alice, carol.signPub, ['chat'], { expiresAt: T0 + 3_600_000 })
  refused(f, claim(carol, foreign), 'ADMIT_UNKNOWN_SENDER')
  refused(f, claim(carol, 'wop1://garbage'), 'ADMIT_UNKNOWN_SENDER')
})

test('claim: an already-claimed or expired token is refused with a reply', () => {
  const { f, claim } = claimFixture()
  f.state.value = { ...f.state.value, access: { ...f.state.value.access, invites: [] } }
  const used = refused(f, claim(), 'ADMIT_TOKEN_USED')
  if (!used.ok) assert.match(replyFor(used)!, /^invalid token: /)
  const g = claimFixture()
  g.f.clock.now = T0 + 3_600_001
  const expired = refused(g.f, g.claim(), 'ADMIT_BAD_TOKEN')
  if (!expired.ok) assert.is(replyFor(expired), 'invalid token: Token expired')
})

test('claim: at most 5 per minute per peer', () => {
  const { f, claim } = claimFixture()
  for (let i = 0; i < 5; i++) assert.ok(f.gate.admit(claim(), {}).ok)
  refused(f, claim(), 'ADMIT_RATE_LIMITED')
})

function rotationLine(f: Fixture, o: { grace?: number; effectiveAt?: number; ts?: number; to?: ReturnType<typeof vectorIdentity> } = {}) {
  const rotated = o.to ?? vectorIdentity('aliceRotated')
  let rot = createRotation(alice, rotated, 'scheduled', { now: o.effectiveAt ?? f.clock.now, gracePeriodMs: Math.min(o.grace ?? 86_400_000, 86_400_000) })
  if (o.grace !== undefined && o.grace > 86_400_000) {
    // createRotation refuses to make this; a hostile peer signs it by hand.
    const { sig: _s, ...fields } = { ...rot, gracePeriodMs: o.grace }
    rot = { ...fields, sig: sign(Buffer.from(rotationSignedJson(fields), 'utf8'), alice.signSecretKey).toString('base64') }
  }
  return buildKeyRotationMessage(rot, 2, { ts: o.ts ?? f.clock.now, nonce: nonce() })
}

test('key rotation: a fresh notice signed by the friend\'s old key is accepted, grace bounded by policy', () => {
  const f = fx({ policy: { maxRotationGraceMs: 3_600_000 } })
  const v = f.gate.admit(rotationLine(f), {})
  assert.ok(v.ok && v.value.kind === 'key-rotation')
  if (v.ok && v.value.kind === 'key-rotation') {
    assert.is(v.value.rotation.newSignPub, vectorIdentity('aliceRotated').signPub)
    assert.is(v.value.validUntil, T0 + 3_600_000, 'a 24 h grace is cut to the policy\'s 1 h')
  }
})

test('key rotation: forged, stale, over-long or stranger notices are refused', () => {
  const f = fx()
  refused(f, rotationLine(f).replace('"reason":"scheduled"', '"reason":"compromise"'), 'ADMIT_BAD_SIGNATURE')
  refused(f, rotationLine(f, { ts: T0 - 400_000 }), 'ADMIT_STALE')
  const stale = refused(f, rotationLine(f, { effectiveAt: T0 - 400_000 }), 'ADMIT_BAD_ROTATION')
  if (!stale.ok) assert.is(replyFor(stale), 'invalid key rotation')
  refused(f, rotationLine(f, { grace: 86_400_001 }), 'ADMIT_BAD_ROTATION')
  const g = fx({ state: { ...f.state.value, access: { ...f.state.value.access, grants: {} } } })
  refused(g, rotationLine(g), 'ADMIT_UNKNOWN_SENDER')
  // The outer sig must be the inner one: an outer line re-signed or altered is not accepted.
  const line = rotationLine(f)
  const inner = JSON.parse(line).keyRotation.sig as string
  refused(f, line.replace(new RegExp(`"sig":"${inner.replace(/[+/]/g, '\\$&')}"}$`), `"sig":"${'A'.repeat(86)}=="}`), 'ADMIT_BAD_SIGNATURE')
})

test('key rotation: never onto a key a peer here, or we, already hold', () => {
  const f = fx()
  const self = refused(f, rotationLine(f, { to: bob }), 'ADMIT_ROTATION_KEY_TAKEN')
  if (!self.ok) assert.is(replyFor(self), 'invalid key rotation')
  const carol = loadIdentity(createIdentityRecord(T0))
  const withCarol = addFriend(f.state.value, { name: 'carol', signPub: carol.signPub, encryptPub: carol.encryptPub, session: 'friend:p2p:carol(000000)', addedAt: T0 })
  const g = fx({ state: withCarol })
  refused(g, rotationLine(g, { to: carol }), 'ADMIT_ROTATION_KEY_TAKEN')
  assert.ok(g.gate.admit(rotationLine(g), {}).ok, 'a key nobody holds is fine')
})

test('key rotation: at most two of one peer in grace at once, so a chain cannot reset its limits', () => {
  const f = fx()
  const old = (n: number, until: number) => ({ signPub: loadIdentity(createIdentityRecord(T0 - n)).signPub, validUntil: until })
  const withHistory = (until: number[]) => {
    const state = f.state.value
    const known = state.peers.peers[alice.signPub] ?? { encryptPub: alice.encryptPub, firstSeen: T0, previousKeys: [] }
    return { ...state, peers: { ...state.peers, peers: { ...state.peers.peers, [alice.signPub]: { ...known, previousKeys: until.map((u, i) => old(i + 1, u)) } } } }
  }
  const busy = fx({ state: withHistory([T0 + 1_000, T0 + 2_000]) })
  const soon = refused(busy, rotationLine(busy), 'ADMIT_ROTATION_TOO_SOON')
  if (!soon.ok) assert.is(replyFor(soon), 'rate limited')
  const oneEnded = fx({ state: withHistory([T0 - 1, T0 + 2_000]) })
  assert.ok(oneEnded.gate.admit(rotationLine(oneEnded), {}).ok)
})

test('every refusal and acceptance is counted by reason', () => {
  const f = fx()
  f.gate.admit('nope', f.conn)
  f.gate.admit(v2(f, 'log', 'ok'), f.conn)
  assert.is(f.gate.counters.get('WIRE_NOT_JSON'), 1)
  assert.is(f.gate.counters.get('ACCEPTED_LOG'), 1)
})

test.run()
