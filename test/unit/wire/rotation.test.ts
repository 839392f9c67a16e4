// Key rotation notices against the upstream vector (wire-v2.json "rotation"; WIRE.md "Rotation"),
// every refusal path of verifyRotation, the grace bound and the createRotation guards.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sign } from '../../../src/crypto/ed25519.ts'
import { createIdentityRecord, loadIdentity, type Identity, type IdentityRecord } from '../../../src/identity/keys.ts'
import type { Verdict } from '../../../src/reasons.ts'
import {
  createRotation,
  graceEndsAt,
  isRotationReason,
  ROTATION_FRESHNESS_MS,
  ROTATION_GRACE_CEILING_MS,
  rotationSignedJson,
  verifyRotation,
  type KeyRotation,
} from '../../../src/wire/rotation.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

const R = vectors.rotation
const ids = vectors.identities
const load = ({ signPub, signPriv, encryptPub, encryptPriv }: Omit<IdentityRecord, 'createdAt'>): Identity =>
  loadIdentity({ signPub, signPriv, encryptPub, encryptPriv, createdAt: 0 })
const alice = load(ids.alice)
const aliceRotated = load(R.new)
const bob = load(ids.bob)
const at = R.rotation.effectiveAt
const reasonOf = (v: Verdict<unknown>) => (v.ok ? 'ok' : v.reason)
/** A plain copy of the vector rotation, as JSON.parse would give it. */
const vectorRotation = () => JSON.parse(R.rotationJson) as Record<string, unknown>
/** Fields in the given order, correctly signed by `signer` (to reach the checks after the signature). */
function signed(signer: Identity, fields: Record<string, unknown>): Record<string, unknown> {
  const body = JSON.stringify(fields)
  return { ...fields, sig: sign(Buffer.from(body, 'utf8'), signer.signSecretKey).toString('base64') }
}
const resigned = (change: (o: Record<string, unknown>) => void) => {
  const { sig: _sig, ...fields } = vectorRotation()
  change(fields)
  return signed(alice, fields)
}

test('reproduces the vector rotation and its sig byte for byte from its inputs', () => {
  assert.ok(isRotationReason(R.reason))
  if (!isRotationReason(R.reason)) return
  const made = createRotation(alice, aliceRotated, R.reason, { now: at, gracePeriodMs: R.rotation.gracePeriodMs })
  assert.equal(made, R.rotation)
  assert.is(JSON.stringify(made), R.rotationJson)
  assert.is(rotationSignedJson(made), R.signedJson)
  assert.equal(JSON.parse(R.wireLine).keyRotation, R.rotation, 'the wire line carries the same rotation')
  assert.is(R.old.signPub, ids.alice.signPub)
})

test('verifies the vector rotation, standalone and as carried on the wire, near its effectiveAt', () => {
  for (const rotation of [vectorRotation(), JSON.parse(R.wireLine).keyRotation]) {
    for (const now of [at - ROTATION_FRESHNESS_MS, at, at + ROTATION_FRESHNESS_MS]) {
      assert.equal(verifyRotation(rotation, { now }), { ok: true, value: R.rotation })
    }
  }
})

test('freshness: refused beyond ±freshnessMs either way, honours a custom window, NaN clock refused', () => {
  for (const now of [at - ROTATION_FRESHNESS_MS - 1, at + ROTATION_FRESHNESS_MS + 1, Number.NaN]) {
    assert.is(reasonOf(verifyRotation(vectorRotation(), { now })), 'ADMIT_BAD_ROTATION', String(now - at))
  }
  assert.ok(verifyRotation(vectorRotation(), { now: at + 60_000, freshnessMs: 60_000 }).ok)
  assert.not.ok(verifyRotation(vectorRotation(), { now: at + 60_001, freshnessMs: 60_000 }).ok)
})

test('grace: 24 h deployed default accepted under a shorter policy and shortened by graceEndsAt; above 24 h refused', () => {
  const hour = 3_600_000
  const verified = verifyRotation(vectorRotation(), { now: at, maxGraceMs: hour })
  assert.ok(verified.ok)
  if (!verified.ok) return
  assert.is(graceEndsAt(verified.value, hour), at + hour)
  assert.is(graceEndsAt(verified.value, ROTATION_GRACE_CEILING_MS), at + R.rotation.gracePeriodMs)
  assert.is(graceEndsAt(verified.value, 0), at)
  const short = resigned((o) => (o.gracePeriodMs = 1000))
  assert.ok(verifyRotation(short, { now: at }).ok)
  const long = resigned((o) => (o.gracePeriodMs = ROTATION_GRACE_CEILING_MS + 1))
  assert.is(reasonOf(verifyRotation(long, { now: at })), 'ADMIT_BAD_ROTATION')
  for (const maxGraceMs of [-1, ROTATION_GRACE_CEILING_MS + 1, Number.NaN]) {
    assert.throws(() => verifyRotation(vectorRotation(), { now: at, maxGraceMs }), (e: unknown) => e instanceof RangeError, String(maxGraceMs))
  }
  assert.throws(() => verifyRotation(vectorRotation(), { now: at, freshnessMs: -1 }), (e: unknown) => e instanceof RangeError)
})

test('changing any signed field, or the sig, is refused', () => {
  const changes: Record<string, (o: Record<string, unknown>) => void> = {
    oldSignPub: (o) => (o.oldSignPub = ids.bob.signPub),
    newSignPub: (o) => (o.newSignPub = ids.bob.signPub),
    newEncryptPub: (o) => (o.newEncryptPub = ids.bob.encryptPub),
    reason: (o) => (o.reason = 'compromise'),
    effectiveAt: (o) => (o.effectiveAt = at + 1),
    gracePeriodMs: (o) => (o.gracePeriodMs = 1000),
    sig: (o) => (o.sig = signed(bob, { x: 1 }).sig),
  }
  for (const [field, change] of Object.entries(changes)) {
    const o = vectorRotation()
    change(o)
    assert.is(reasonOf(verifyRotation(o, { now: at })), 'ADMIT_BAD_ROTATION', field)
  }
})

test('a correctly signed rotation to the same key, or in the wrong key order, is refused', () => {
  assert.is(reasonOf(verifyRotation(resigned((o) => (o.newSignPub = o.oldSignPub)), { now: at })), 'ADMIT_BAD_ROTATION')
  const { sig: _sig, ...fields } = vectorRotation()
  const reordered = signed(alice, Object.fromEntries(Object.entries(fields).reverse()))
  assert.is(reasonOf(verifyRotation(reordered, { now: at })), 'ADMIT_BAD_ROTATION')
})

test('refuses hostile values and every wrong shape, even when correctly signed', () => {
  const hostile: Record<string, unknown> = {
    undefined: undefined,
    null: null,
    number: 42,
    string: R.rotationJson,
    array: [vectorRotation()],
    'JSON __proto__ key': JSON.parse(R.rotationJson.replace('{', '{"__proto__":{"polluted":true},')),
    'constructor key': JSON.parse(R.rotationJson.replace('{', '{"constructor":1,')),
    'extra key': { ...vectorRotation(), extra: 1 },
    'missing key': (({ reason: _r, ...rest }) => rest)(vectorRotation()),
  }
  const shapes: Record<string, (o: Record<string, unknown>) => void> = {
    'v 2': (o) => (o.v = 2),
    'v string': (o) => (o.v = '1'),
    'type other': (o) => (o.type = 'rotation'),
    'oldSignPub not a string': (o) => (o.oldSignPub = 1),
    'newSignPub is X25519': (o) => (o.newSignPub = ids.bob.encryptPub),
    'newEncryptPub is Ed25519': (o) => (o.newEncryptPub = ids.bob.signPub),
    'newEncryptPub unpadded': (o) => (o.newEncryptPub = ids.bob.encryptPub.replace(/=$/, '')),
    'reason unknown': (o) => (o.reason = 'whim'),
    'reason __proto__': (o) => (o.reason = '__proto__'),
    'effectiveAt negative': (o) => (o.effectiveAt = -1),
    'effectiveAt fractional': (o) => (o.effectiveAt = at + 0.5),
    'effectiveAt a string': (o) => (o.effectiveAt = String(at)),
    'gracePeriodMs negative': (o) => (o.gracePeriodMs = -1),
    'gracePeriodMs unsafe': (o) => (o.gracePeriodMs = 2 ** 53),
    'gracePeriodMs null': (o) => (o.gracePeriodMs = null),
  }
  for (const [name, change] of Object.entries(shapes)) hostile[name] = resigned(change)
  hostile['sig not a string'] = { ...vectorRotation(), sig: 7 }
  hostile['sig garbage'] = { ...vectorRotation(), sig: '!'.repeat(88) }
  for (const [name, input] of Object.entries(hostile)) assert.is(reasonOf(verifyRotation(input, { now: at })), 'ADMIT_BAD_ROTATION', name)
  assert.is(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
})

test('createRotation round-trips fresh keys and throws RangeError on caller bugs', () => {
  const now = at + 1_000_000
  const next = loadIdentity(createIdentityRecord(now))
  for (const reason of ['scheduled', 'compromise', 'upgrade'] as const) {
    for (const gracePeriodMs of [0, 60_000, ROTATION_GRACE_CEILING_MS]) {
      const r: KeyRotation = createRotation(alice, next, reason, { now, gracePeriodMs })
      assert.equal(verifyRotation(JSON.parse(JSON.stringify(r)), { now }), { ok: true, value: r }, `${reason} ${gracePeriodMs}`)
    }
  }
  const bad: [string, () => unknown][] = [
    ['same key', () => createRotation(alice, alice, 'scheduled', { now, gracePeriodMs: 0 })],
    ['unknown reason', () => createRotation(alice, next, 'whim' as 'scheduled', { now, gracePeriodMs: 0 })],
    ['grace above 24 h', () => createRotation(alice, next, 'scheduled', { now, gracePeriodMs: ROTATION_GRACE_CEILING_MS + 1 })],
    ['negative grace', () => createRotation(alice, next, 'scheduled', { now, gracePeriodMs: -1 })],
    ['NaN clock', () => createRotation(alice, next, 'scheduled', { now: Number.NaN, gracePeriodMs: 0 })],
  ]
  for (const [name, make] of bad) assert.throws(make, (e: unknown) => e instanceof RangeError, name)
})

test.run()
