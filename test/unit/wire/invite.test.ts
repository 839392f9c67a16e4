// Invite tokens against the upstream vectors (wire-v2.json "invite"; WIRE.md "Invites"), plus every
// refusal path of parseInvite / verifyInvite and the createInvite guards.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadIdentity, type Identity } from '../../../src/identity/keys.ts'
import type { Reason } from '../../../src/reasons.ts'
import { createInvite, inviteSignedJson, MAX_INVITE_SESSION_CHARS, MAX_INVITE_SESSIONS, MAX_INVITE_TOKEN_CHARS, parseInvite, verifyInvite } from '../../../src/wire/invite.ts'
import { signObject } from '../../../src/wire/signed-json.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

const V = vectors.invite
const ids = vectors.identities
function identity(who: 'alice' | 'bob'): Identity {
  const { signPub, signPriv, encryptPub, encryptPriv } = ids[who]
  return loadIdentity({ signPub, signPriv, encryptPub, encryptPriv, createdAt: 0 })
}
const alice = identity('alice')
const bob = identity('bob')
/** The clock when the vector token was made: exp minus its lifetime. */
const issuedAt = V.parsed.exp - V.expireHours * 3_600_000
/** upstream parseInviteToken's error → our code (upstream checks expiry before the signature, as we do). */
const UPSTREAM_ERROR: Record<string, Reason> = { 'Token expired': 'INVITE_EXPIRED', 'Invalid signature': 'INVITE_BAD_SIGNATURE' }

const tokenOf = (json: string) => 'wop1://' + Buffer.from(json, 'utf8').toString('base64url')
const vectorBody = () => JSON.parse(V.decodedJson) as Record<string, unknown>
/** The vector's decoded object with one change, re-serialised canonically (the signature no longer matches). */
const withBody = (change: (o: Record<string, unknown>) => void) => {
  const o = vectorBody()
  change(o)
  return tokenOf(JSON.stringify(o))
}
function check(token: unknown, now: number) {
  const parsed = parseInvite(token)
  return parsed.ok ? verifyInvite(parsed.value, now) : parsed
}

test('reproduces the vector token byte for byte from its inputs', () => {
  const token = createInvite(alice, V.parsed.sub, V.parsed.ses, { expiresAt: V.parsed.exp, nonce: V.parsed.nonce })
  assert.is(token, V.token)
  assert.is(Buffer.from(token.slice('wop1://'.length), 'base64url').toString('utf8'), V.decodedJson)
  const parsed = parseInvite(token)
  assert.is(parsed.ok && inviteSignedJson(parsed.value), V.signedJson)
})

test('parses and verifies every vector token near its issue time', () => {
  for (const { token, parsed } of [V, V.claimToken]) {
    assert.equal(parseInvite(token), { ok: true, value: parsed })
    assert.equal(check(token, issuedAt), { ok: true, value: parsed })
  }
})

test('refuses every vector mustFail with the code matching upstream error', () => {
  for (const f of V.mustFail) {
    const expected = UPSTREAM_ERROR[f.upstreamError]
    assert.ok(expected, `no mapping for upstream error ${f.upstreamError}`)
    assert.is(check(f.token, issuedAt).ok, false, f.id)
    assert.is((check(f.token, issuedAt) as { reason: Reason }).reason, expected, f.id)
  }
})

test('expiry: valid up to and including exp, expired after, and a NaN clock fails closed', () => {
  assert.ok(check(V.token, V.parsed.exp).ok)
  for (const now of [V.parsed.exp + 1, Number.NaN]) assert.equal(check(V.token, now), { ok: false, reason: 'INVITE_EXPIRED' })
})

test('a correctly signed token naming * anywhere is refused as a wildcard', () => {
  for (const ses of [['*'], ['chat', '*'], ['chat*']]) {
    const { sig: _sig, ...fields } = vectorBody()
    const token = tokenOf(signObject({ ...fields, ses }, alice.signSecretKey))
    assert.equal(check(token, issuedAt), { ok: false, reason: 'INVITE_WILDCARD' }, JSON.stringify(ses))
  }
})

test('changing any signed field breaks the signature', () => {
  const changes: Record<string, (o: Record<string, unknown>) => void> = {
    iss: (o) => (o.iss = ids.bob.signPub),
    sub: (o) => (o.sub = ids.alice.signPub),
    ses: (o) => (o.ses = ['secret']),
    exp: (o) => (o.exp = (o.exp as number) + 1),
    nonce: (o) => (o.nonce = 'f'.repeat(32)),
    sig: (o) => (o.sig = V.claimToken.parsed.sig),
  }
  for (const [field, change] of Object.entries(changes)) {
    assert.equal(check(withBody(change), issuedAt), { ok: false, reason: 'INVITE_BAD_SIGNATURE' }, field)
  }
})

test('refuses hostile, oversize and badly encoded tokens as malformed', () => {
  const b64 = V.token.slice('wop1://'.length)
  const cases: Record<string, unknown> = {
    undefined: undefined,
    null: null,
    number: 42,
    object: { token: V.token },
    array: [V.token],
    'string object': new String(V.token),
    empty: '',
    'scheme only': 'wop1://',
    'other scheme': 'wop2://' + b64,
    'upper-case scheme': 'WOP1://' + b64,
    'leading space': ' ' + V.token,
    'trailing newline': V.token + '\n',
    'inner space': V.token.slice(0, 40) + ' ' + V.token.slice(40),
    padded: V.token + '=',
    'standard base64 +': `wop1://+${b64.slice(1)}`,
    'standard base64 /': `wop1://${b64.slice(0, -1)}/`,
    'spare bits set': V.token.slice(0, -1) + String.fromCharCode(V.token.charCodeAt(V.token.length - 1) + 1),
    'one char too many': V.token + 'A',
    'too long': 'wop1://' + 'A'.repeat(MAX_INVITE_TOKEN_CHARS),
    'invalid UTF-8': 'wop1://' + Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url'),
    'BOM before JSON': tokenOf('\ufeff' + V.decodedJson),
    'not JSON': tokenOf(V.decodedJson.slice(0, -1)),
    'JSON array': tokenOf(`[${V.decodedJson}]`),
    'JSON string': tokenOf(JSON.stringify(V.decodedJson)),
    'JSON null': tokenOf('null'),
    'pretty-printed': tokenOf(JSON.stringify(vectorBody(), null, 1)),
    'escaped key': tokenOf(V.decodedJson.replace('"v"', '"\\u0076"')),
    'duplicate key': tokenOf(V.decodedJson.replace('{"v":1,', '{"v":2,"v":1,')),
    'number respelled': tokenOf(V.decodedJson.replace('"v":1', '"v":1.0')),
  }
  for (const [name, token] of Object.entries(cases)) {
    const r = parseInvite(token)
    assert.is(r.ok, false, name)
    assert.is((r as { reason: Reason }).reason, 'INVITE_MALFORMED', name)
  }
})

test('refuses a decoded object of the wrong shape as malformed', () => {
  const keyed = (entries: [string, unknown][]) => tokenOf(JSON.stringify(Object.fromEntries(entries)))
  const entries = () => Object.entries(vectorBody())
  const cases: Record<string, string> = {
    '__proto__ key': tokenOf(V.decodedJson.replace('{', '{"__proto__":{"isAdmin":true},')),
    'constructor key': tokenOf(V.decodedJson.replace('{', '{"constructor":1,')),
    'prototype key': tokenOf(V.decodedJson.replace('"sig"', '"prototype":1,"sig"')),
    'extra key': tokenOf(V.decodedJson.replace('"sig"', '"extra":1,"sig"')),
    'missing key': withBody((o) => delete o.nonce),
    'sig not last': keyed([...entries()].reverse()),
    'v 2': withBody((o) => (o.v = 2)),
    'v string': withBody((o) => (o.v = '1')),
    'iss is an X25519 key': withBody((o) => (o.iss = ids.alice.encryptPub)),
    'sub unpadded': withBody((o) => (o.sub = ids.bob.signPub.replace(/=$/, ''))),
    'sub not a string': withBody((o) => (o.sub = 7)),
    'ses empty': withBody((o) => (o.ses = [])),
    'ses a string': withBody((o) => (o.ses = 'chat')),
    'ses holds a number': withBody((o) => (o.ses = [1])),
    'ses holds an empty name': withBody((o) => (o.ses = [''])),
    'ses holds an object': withBody((o) => (o.ses = [{ name: 'chat' }])),
    'ses name too long': withBody((o) => (o.ses = ['x'.repeat(MAX_INVITE_SESSION_CHARS + 1)])),
    'too many sessions': withBody((o) => (o.ses = Array.from({ length: MAX_INVITE_SESSIONS + 1 }, (_, i) => `s${i}`))),
    'ses names __proto__': withBody((o) => (o.ses = ['__proto__'])),
    'cap message': withBody((o) => (o.cap = ['message'])),
    'cap widened': withBody((o) => (o.cap = ['inject', 'message'])),
    'cap a string': withBody((o) => (o.cap = 'inject')),
    'exp negative': withBody((o) => (o.exp = -1)),
    'exp fractional': withBody((o) => (o.exp = 1.5)),
    'exp unsafe': withBody((o) => (o.exp = 2 ** 53)),
    'exp a string': withBody((o) => (o.exp = String(o.exp))),
    'nonce upper-case': withBody((o) => (o.nonce = (o.nonce as string).toUpperCase())),
    'nonce short': withBody((o) => (o.nonce = (o.nonce as string).slice(1))),
    'sig short': withBody((o) => (o.sig = (o.sig as string).slice(4))),
    'sig not a string': withBody((o) => (o.sig = null)),
  }
  for (const [name, token] of Object.entries(cases)) {
    const r = parseInvite(token)
    assert.is(r.ok, false, name)
    assert.is((r as { reason: Reason }).reason, 'INVITE_MALFORMED', name)
  }
  assert.is(({} as Record<string, unknown>).isAdmin, undefined, 'no prototype pollution')
})

test('createInvite throws RangeError for empty, wildcard or unparsable input', () => {
  const ok = { expiresAt: issuedAt + 3_600_000 }
  const bad: [string, () => string][] = [
    ['no sessions', () => createInvite(alice, ids.bob.signPub, [], ok)],
    ['* session', () => createInvite(alice, ids.bob.signPub, ['*'], ok)],
    ['* among sessions', () => createInvite(alice, ids.bob.signPub, ['chat', '*'], ok)],
    ['empty session', () => createInvite(alice, ids.bob.signPub, [''], ok)],
    ['sub is an X25519 key', () => createInvite(alice, ids.bob.encryptPub, ['chat'], ok)],
    ['bad nonce', () => createInvite(alice, ids.bob.signPub, ['chat'], { ...ok, nonce: 'xyz' })],
    ['fractional expiry', () => createInvite(alice, ids.bob.signPub, ['chat'], { expiresAt: 1.5 })],
    ['NaN expiry', () => createInvite(alice, ids.bob.signPub, ['chat'], { expiresAt: Number.NaN })],
  ]
  for (const [name, make] of bad) assert.throws(make, (e: unknown) => e instanceof RangeError, name)
})

test('created invites round-trip with a fresh random nonce each time', () => {
  const sessions = ['chat', 'research notes', 'ünïcödé']
  const expiresAt = issuedAt + 3_600_000
  const a = createInvite(bob, ids.alice.signPub, sessions, { expiresAt })
  const b = createInvite(bob, ids.alice.signPub, sessions, { expiresAt })
  for (const token of [a, b]) {
    const r = check(token, issuedAt)
    assert.ok(r.ok)
    if (!r.ok) continue
    assert.equal(r.value.ses, sessions)
    assert.is(r.value.iss, ids.bob.signPub)
    assert.is(r.value.sub, ids.alice.signPub)
    assert.match(r.value.nonce, /^[0-9a-f]{32}$/)
  }
  assert.is.not(a, b)
})

test.run()
