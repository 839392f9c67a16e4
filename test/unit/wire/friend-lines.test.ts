// Friend request / accept lines against the upstream vectors (wire-v2.json "friend"; WIRE.md
// "Friend request / accept lines"), every refusal path, and the friend session names.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createIdentityRecord, loadIdentity, type Identity } from '../../../src/identity/keys.ts'
import type { Verdict } from '../../../src/reasons.ts'
import {
  createFriendAccept,
  createFriendRequest,
  FRIEND_WINDOW_MS,
  friendSessionName,
  friendSignedJson,
  MAX_FRIEND_LINE_CHARS,
  MAX_FRIEND_NAME_CHARS,
  parseFriendAccept,
  parseFriendRequest,
  verifyFriendAccept,
  verifyFriendRequest,
  woprSafeSessionName,
  type FriendAccept,
  type FriendLine,
  type FriendPeer,
  type FriendRequest,
} from '../../../src/wire/friend-lines.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

const F = vectors.friend
const ids = vectors.identities
type Who = 'alice' | 'bob'
function identity(who: Who): Identity {
  const { signPub, signPriv, encryptPub, encryptPriv } = ids[who]
  return loadIdentity({ signPub, signPriv, encryptPub, encryptPriv, createdAt: 0 })
}
const me: Record<Who, Identity> = { alice: identity('alice'), bob: identity('bob') }
const VECTOR_LINES = { request: F.request, accept: F.accept, requestUnicodeNames: F.requestUnicodeNames }

function parseAny(line: unknown): Verdict<FriendLine> {
  return typeof line === 'string' && line.trim().startsWith('FRIEND_ACCEPT') ? parseFriendAccept(line) : parseFriendRequest(line)
}
/** Parse, then verify addressed to `ourName` at `now`, with the vector request pending. */
function check(line: unknown, now: number, ourName: string, pending: readonly string[] = [F.request.parsed.sig]): Verdict<FriendPeer> {
  const parsed = parseAny(line)
  if (!parsed.ok) return parsed
  const v = parsed.value
  return v.type === 'FRIEND_REQUEST' ? verifyFriendRequest(v, { ourName, now }) : verifyFriendAccept(v, { ourName, now, pendingRequestSigs: pending })
}
const reasonOf = (v: Verdict<unknown>) => (v.ok ? 'ok' : v.reason)
/** The line with one field's value replaced (labels as in WIRE.md). */
function withField(line: string, label: string, value: string): string {
  const parts = line.split(' | ')
  const i = parts.findIndex((p) => p.startsWith(`${label}:`))
  assert.ok(i > 0, `no ${label} in line`)
  parts[i] = `${label}:${value}`
  return parts.join(' | ')
}

test('reproduces every vector line and sig byte for byte from its inputs', () => {
  for (const [name, v] of Object.entries(VECTOR_LINES)) {
    const signer = me[v.signer as Who]
    const p = v.parsed
    const made =
      p.type === 'FRIEND_ACCEPT'
        ? createFriendAccept(signer, { to: p.to, from: p.from, requestSig: (p as FriendAccept).requestSig, now: v.ts })
        : createFriendRequest(signer, { to: p.to, from: p.from, now: v.ts })
    assert.is(made.line, v.line, name)
    assert.is(made.sig, p.sig, name)
  }
  assert.is(F.accept.parsed.requestSig, F.request.parsed.sig)
})

test('parses every vector line to upstream parsed object and signs the exact vector signedJson', () => {
  for (const [name, v] of Object.entries(VECTOR_LINES)) {
    for (const text of [v.line, `${v.line}\n`, `  ${v.line}\r\n`, `\t${v.line} `]) {
      assert.equal(parseAny(text), { ok: true, value: v.parsed }, name)
    }
    assert.is(friendSignedJson(v.parsed as FriendLine), v.signedJson, name)
  }
})

test('verifies every vector line at its ts, addressed to its own to, returning the signer', () => {
  for (const [name, v] of Object.entries(VECTOR_LINES)) {
    const signer = ids[v.signer as Who]
    const expected: FriendPeer = { name: v.parsed.from, signPub: signer.signPub, encryptPub: signer.encryptPub, shortId: signer.shortId }
    assert.equal(check(v.line, v.ts, v.parsed.to), { ok: true, value: expected }, name)
  }
})

test('refuses every vector mustFail as a bad signature', () => {
  for (const f of F.mustFail) {
    const parsed = parseFriendRequest(f.line)
    assert.ok(parsed.ok, f.id)
    if (!parsed.ok) continue
    for (const ourName of [parsed.value.to, F.request.parsed.to]) {
      assert.is(reasonOf(check(f.line, parsed.value.timestamp, ourName)), 'FRIEND_BAD_SIGNATURE', f.id)
    }
  }
})

test('freshness is two-sided: ±5 min inclusive, refused beyond, NaN clock refused', () => {
  for (const v of Object.values(VECTOR_LINES)) {
    for (const skew of [-FRIEND_WINDOW_MS, 0, FRIEND_WINDOW_MS]) assert.ok(check(v.line, v.ts + skew, v.parsed.to).ok, String(skew))
    for (const now of [v.ts + FRIEND_WINDOW_MS + 1, v.ts - FRIEND_WINDOW_MS - 1, Number.NaN]) {
      assert.is(reasonOf(check(v.line, now, v.parsed.to)), 'FRIEND_STALE', String(now - v.ts))
    }
  }
  assert.is(F.expiryMs, FRIEND_WINDOW_MS)
})

test('to must name us: leading @ stripped and case ignored on both sides, nothing looser', () => {
  const v = F.requestUnicodeNames
  const bare = v.parsed.to.replace(/^@/, '')
  for (const ourName of [v.parsed.to, bare, bare.toUpperCase(), bare.toLowerCase(), `@${bare.toUpperCase()}`]) {
    assert.ok(check(v.line, v.ts, ourName).ok, ourName)
  }
  for (const ourName of ['', '@', `${bare}x`, bare.slice(1), `@@${bare}`, ` ${bare}`, v.parsed.from]) {
    assert.is(reasonOf(check(v.line, v.ts, ourName)), 'FRIEND_NOT_FOR_US', ourName)
  }
})

test('name matching is NFC-normalised but does not fold compatibility forms or ß', () => {
  const now = F.request.ts
  const line = (to: string) => createFriendRequest(me.alice, { to, from: 'alice', now }).line
  assert.ok(check(line('Zo\u00eb'), now, 'zoe\u0308').ok, 'NFC and NFD spellings match')
  assert.ok(check(line('zoe\u0308'), now, 'ZO\u00cb').ok, 'NFD to, NFC upper-case ours')
  assert.is(reasonOf(check(line('Zoe'), now, 'Zo\u00eb')), 'FRIEND_NOT_FOR_US', 'diacritics matter')
  assert.is(reasonOf(check(line('stra\u00dfe'), now, 'STRASSE')), 'FRIEND_NOT_FOR_US', 'no full case folding')
  assert.is(reasonOf(check(line('\ufb01le'), now, 'file')), 'FRIEND_NOT_FOR_US', 'no compatibility folding')
})

test('an accept is honoured only for one of our pending request sigs', () => {
  const { line, ts, parsed } = F.accept
  assert.ok(check(line, ts, parsed.to, [F.requestUnicodeNames.parsed.sig, parsed.requestSig]).ok)
  for (const pending of [[], [F.requestUnicodeNames.parsed.sig], [parsed.sig], [parsed.requestSig.toLowerCase()]]) {
    assert.is(reasonOf(check(line, ts, parsed.to, pending)), 'FRIEND_NO_PENDING', JSON.stringify(pending))
  }
})

test('changing any signed field breaks the signature', () => {
  const other = (who: string): Who => (who === 'alice' ? 'bob' : 'alice')
  for (const [name, v] of Object.entries(VECTOR_LINES)) {
    const o = ids[other(v.signer)]
    const changes: Record<string, string> = {
      to: `${v.parsed.to}x`,
      from: `${v.parsed.from}x`,
      pubkey: o.signPub,
      encryptPub: o.encryptPub,
      ts: String(v.ts + 1),
      sig: v.parsed.sig === F.request.parsed.sig ? F.accept.parsed.sig : F.request.parsed.sig,
    }
    if (v.parsed.type === 'FRIEND_ACCEPT') changes.requestSig = F.requestUnicodeNames.parsed.sig
    for (const [label, value] of Object.entries(changes)) {
      const line = withField(v.line, label, value)
      const ourName = label === 'to' ? value : v.parsed.to
      const pending = [F.request.parsed.sig, F.requestUnicodeNames.parsed.sig]
      assert.is(reasonOf(check(line, v.ts, ourName, pending)), 'FRIEND_BAD_SIGNATURE', `${name}.${label}`)
    }
  }
})

test('refuses hostile and malformed lines as FRIEND_BAD_LINE', () => {
  const req = F.request.line
  const acc = F.accept.line
  const parts = req.split(' | ')
  const cases: Record<string, [(t: unknown) => Verdict<unknown>, unknown]> = {
    undefined: [parseFriendRequest, undefined],
    null: [parseFriendRequest, null],
    number: [parseFriendRequest, 7],
    object: [parseFriendRequest, { line: req }],
    array: [parseFriendRequest, [req]],
    'string object': [parseFriendRequest, new String(req)],
    empty: [parseFriendRequest, ''],
    'huge padding': [parseFriendRequest, ' '.repeat(MAX_FRIEND_LINE_CHARS) + req],
    'huge line': [parseFriendRequest, withField(req, 'from', 'x'.repeat(MAX_FRIEND_LINE_CHARS))],
    'accept read as request': [parseFriendRequest, acc],
    'request read as accept': [parseFriendAccept, req],
    'lower-case type': [parseFriendRequest, req.replace('FRIEND_REQUEST', 'friend_request')],
    'text before': [parseFriendRequest, `hi ${req}`],
    'text after': [parseFriendRequest, `${req} | note:hi`],
    'second line after': [parseFriendRequest, `${req}\n${req}`],
    'missing field': [parseFriendRequest, parts.filter((p) => !p.startsWith('encryptPub:')).join(' | ')],
    'fields swapped': [parseFriendRequest, [parts[0], parts[2], parts[1], ...parts.slice(3)].join(' | ')],
    'label case': [parseFriendRequest, req.replace(' to:', ' To:')],
    'no space before bar': [parseFriendRequest, req.replace(' | from:', '| from:')],
    'double space': [parseFriendRequest, req.replace(' | from:', '  | from:')],
    'tab separator': [parseFriendRequest, req.replace(' | from:', '\t|\tfrom:')],
    'empty name': [parseFriendRequest, withField(req, 'to', '')],
    'name with space': [parseFriendRequest, withField(req, 'from', 'al ice')],
    'name with NBSP': [parseFriendRequest, withField(req, 'from', 'al\u00a0ice')],
    'name with NUL': [parseFriendRequest, withField(req, 'from', 'al\u0000ice')],
    'name with ESC': [parseFriendRequest, withField(req, 'from', 'al\u001b[31mice')],
    'name with bidi override': [parseFriendRequest, withField(req, 'from', 'al\u202eecila')],
    'name with lone surrogate': [parseFriendRequest, withField(req, 'from', 'al\ud800ice')],
    'name too long': [parseFriendRequest, withField(req, 'to', 'b'.repeat(MAX_FRIEND_NAME_CHARS + 1))],
    'pubkey is X25519': [parseFriendRequest, withField(req, 'pubkey', ids.alice.encryptPub)],
    'encryptPub is Ed25519': [parseFriendRequest, withField(req, 'encryptPub', ids.alice.signPub)],
    'pubkey unpadded': [parseFriendRequest, withField(req, 'pubkey', ids.alice.signPub.replace(/=$/, ''))],
    'pubkey base64url': [parseFriendRequest, withField(req, 'pubkey', ids.alice.signPub.replace(/\+/g, '-').replace(/\//g, '_'))],
    'ts leading zero': [parseFriendRequest, withField(req, 'ts', `0${F.request.ts}`)],
    'ts negative': [parseFriendRequest, withField(req, 'ts', `-${F.request.ts}`)],
    'ts plus sign': [parseFriendRequest, withField(req, 'ts', `+${F.request.ts}`)],
    'ts fractional': [parseFriendRequest, withField(req, 'ts', `${F.request.ts}.0`)],
    'ts exponent': [parseFriendRequest, withField(req, 'ts', '1e12')],
    'ts unsafe': [parseFriendRequest, withField(req, 'ts', String(2 ** 53))],
    'ts arabic-indic digits': [parseFriendRequest, withField(req, 'ts', '\u0661\u0662')],
    'sig short': [parseFriendRequest, withField(req, 'sig', F.request.parsed.sig.slice(4))],
    'sig not base64': [parseFriendRequest, withField(req, 'sig', '!'.repeat(88))],
    'requestSig short': [parseFriendAccept, withField(acc, 'requestSig', F.request.parsed.sig.slice(4))],
  }
  for (const [name, [parse, input]] of Object.entries(cases)) assert.is(reasonOf(parse(input)), 'FRIEND_BAD_LINE', name)
})

test('created lines round-trip, and names that would not parse throw RangeError', () => {
  const now = F.request.ts
  const zed = loadIdentity(createIdentityRecord(now))
  const req = createFriendRequest(zed, { to: '@Bob', from: 'zed|2', now })
  const reqBack = parseFriendRequest(req.line)
  assert.ok(reqBack.ok && verifyFriendRequest(reqBack.value, { ourName: 'bob', now }).ok)
  const acc = createFriendAccept(me.bob, { to: 'zed|2', from: 'bob', requestSig: req.sig, now })
  const accBack = parseFriendAccept(acc.line)
  const verified = accBack.ok && verifyFriendAccept(accBack.value, { ourName: '@ZED|2', now, pendingRequestSigs: [req.sig] })
  assert.equal(verified, { ok: true, value: { name: 'bob', signPub: ids.bob.signPub, encryptPub: ids.bob.encryptPub, shortId: ids.bob.shortId } })
  for (const bad of ['', 'two words', 'x'.repeat(MAX_FRIEND_NAME_CHARS + 1), 'a\nb', 'evil\u202e']) {
    assert.throws(() => createFriendRequest(zed, { to: bad, from: 'zed', now }), (e: unknown) => e instanceof RangeError, JSON.stringify(bad))
    assert.throws(() => createFriendAccept(zed, { to: 'bob', from: bad, requestSig: req.sig, now }), (e: unknown) => e instanceof RangeError, JSON.stringify(bad))
  }
  assert.throws(() => createFriendRequest(zed, { to: 'bob', from: 'zed', now: 1.5 }), (e: unknown) => e instanceof RangeError)
  assert.throws(() => createFriendAccept(zed, { to: 'bob', from: 'zed', requestSig: 'nope', now }), (e: unknown) => e instanceof RangeError)
})

test('friend session names carry the short id, where upstream always showed the DER header', () => {
  const views = [['aliceSeesBobAs', 'bob'], ['bobSeesAliceAs', 'alice']] as const
  const upstream = /^friend:p2p:(.+)\((.{6})\)$/
  const upstreamSuffixes = new Set<string>()
  for (const [view, peer] of views) {
    const m = upstream.exec(F.sessionNames[view])
    assert.ok(m, view)
    if (!m) continue
    const [, name = '', suffix = ''] = m
    upstreamSuffixes.add(suffix)
    assert.ok(ids[peer].signPub.startsWith(suffix), 'upstream took the first 6 base64 chars')
    assert.is(friendSessionName(name, ids[peer].signPub), `friend:p2p:${name}(${ids[peer].shortId.slice(0, 6)})`)
  }
  assert.is(upstreamSuffixes.size, 1, 'upstream suffix is the same for every peer')
  assert.is.not(friendSessionName('bob', ids.alice.signPub), friendSessionName('bob', ids.bob.signPub))
})

test('woprSafeSessionName: WOPR-safe, deterministic, and distinct for distinct (name, key) pairs', () => {
  assert.is(woprSafeSessionName('friend:p2p:alice(3f9a1c)'), 'friend-p2p-alice-3f9a1c', 'DESIGN.md example')
  const names = [
    'alice', 'Alice', 'ALICE', 'a-b', 'a_b', 'a:b', 'a.b', 'a..b', '.', '..', 'a b', 'a(b)', 'x(3f9a1c)',
    '\u00c5lice', 'A\u030alice', '\u00e5lice', 'alice\ud83e\udd16', '\ud83e\udd16', '\ud83e\udd17', '|', '||',
    'al\ud800', 'al\udc00', 'x'.repeat(64), 'x'.repeat(65), 'X'.repeat(MAX_FRIEND_NAME_CHARS), '../../etc', 'a/b', 'a\\b',
    F.request.parsed.from, F.request.parsed.to, F.requestUnicodeNames.parsed.from, F.requestUnicodeNames.parsed.to,
  ]
  const byName = new Map<string, string>()
  for (const who of ['alice', 'bob'] as const) {
    for (const name of names) {
      const display = friendSessionName(name, ids[who].signPub)
      const safe = woprSafeSessionName(display)
      assert.match(safe, /^[a-zA-Z0-9._-]+$/, display)
      assert.ok(!safe.includes('..') && safe.length <= 82, safe)
      assert.ok(safe.endsWith(`-${ids[who].shortId.slice(0, 6)}`), safe)
      assert.is(woprSafeSessionName(display), safe, 'deterministic')
      byName.set(display, safe)
    }
  }
  const outputs = [...byName.values()]
  assert.is(new Set(outputs).size, outputs.length, 'distinct')
  assert.is(new Set(outputs.map((o) => o.toLowerCase())).size, outputs.length, 'distinct ignoring case')
  // A plain name that imitates a hashed output still cannot collide with it: plain outputs have no '.'.
  const hashed = woprSafeSessionName(friendSessionName('Alice', ids.alice.signPub))
  const imitation = hashed.slice('friend-p2p-'.length, -7).replace('.', '-')
  assert.is.not(woprSafeSessionName(friendSessionName(imitation, ids.alice.signPub)), hashed)
  for (const bad of ['chat', F.sessionNames.aliceSeesBobAs, 'friend:p2p:(3f9a1c)', 'friend:p2p:bob(3F9A1C)']) {
    assert.throws(() => woprSafeSessionName(bad), (e: unknown) => e instanceof RangeError, bad)
  }
})

test('verify functions stay safe on hand-built objects with bad keys', () => {
  const bad = { ...(F.request.parsed as FriendRequest), pubkey: 'not a key' }
  assert.is(reasonOf(verifyFriendRequest(bad, { ourName: 'bob', now: F.request.ts })), 'FRIEND_BAD_LINE')
  const badAccept = { ...(F.accept.parsed as FriendAccept), pubkey: ids.bob.encryptPub }
  const ctx = { ourName: 'alice', now: F.accept.ts, pendingRequestSigs: [F.request.parsed.sig] }
  assert.is(reasonOf(verifyFriendAccept(badAccept, ctx)), 'FRIEND_BAD_LINE')
})

test.run()
