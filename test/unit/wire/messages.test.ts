import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fieldOrder, MAX_NESTING, MAX_SESSION_CHARS, MAX_TOKEN_CHARS, nestsDeeperThan, parseMessage, type MessageType } from '../../../src/wire/messages.ts'
import { encodeKey } from '../../../src/crypto/der.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }
import { HOSTILE_LINES, HOSTILE_NON_STRINGS, HOSTILE_STRINGS } from './hostile-values.ts'

type Json = Record<string, unknown>

// One real line per message type (and per optional-field variant) from the vectors.
const EXAMPLES = vectors.signed.map((s) => s.line)
const exampleOf = (type: string) => EXAMPLES.find((l) => JSON.parse(l).type === type)!
const exampleWith = (type: string, path: string[]) =>
  EXAMPLES.find((l) => {
    const obj = JSON.parse(l)
    return obj.type === type && path.reduce((o, k) => o?.[k], obj) !== undefined
  })!
const TYPES = Object.keys(vectors.fieldOrder).filter((t) => !t.startsWith('keyRotation')) as MessageType[]

const MARK = '\u0000raw\u0000'
/** The line with `path` set to a raw JSON text (so 1e309, -0 or duplicate-free hostile values survive). */
function withRaw(line: string, path: string[], raw: string): string {
  const obj = JSON.parse(line) as Json
  let target = obj
  for (const key of path.slice(0, -1)) target = target[key] as Json
  target[path.at(-1)!] = MARK
  return JSON.stringify(obj).replace(JSON.stringify(MARK), raw)
}
function without(line: string, path: string[]): string {
  const obj = JSON.parse(line) as Json
  let target = obj
  for (const key of path.slice(0, -1)) target = target[key] as Json
  delete target[path.at(-1)!]
  return JSON.stringify(obj)
}
function reasonOf(line: string): string {
  const v = parseMessage(line)
  return v.ok ? 'ok' : v.reason
}
/** Every (path, field check kind) of every example, inner keyRotation fields included. */
function fieldsOf(line: string): string[][] {
  const obj = JSON.parse(line) as Json
  const paths = Object.keys(obj).map((k) => [k])
  if (obj.keyRotation) for (const k of Object.keys(obj.keyRotation as Json)) paths.push(['keyRotation', k])
  return paths
}

test('every vector example parses', () => {
  for (const line of EXAMPLES) assert.is(reasonOf(line), 'ok', line.slice(0, 60))
})

test('field sets and order match the vectors\' fieldOrder', () => {
  for (const [name, order] of Object.entries(vectors.fieldOrder)) {
    assert.equal(fieldOrder(name.startsWith('keyRotation') ? 'keyRotation' : (name as MessageType)), order, name)
  }
})

test('the typed view is the parsed object itself: arrival key order, frozen', () => {
  const reversed = vectors.json.find((c) => c.id === 'inject-keys-reversed')!.line
  for (const line of [...EXAMPLES, reversed]) {
    const v = parseMessage(line)
    assert.ok(v.ok)
    if (!v.ok) continue
    assert.equal(Object.keys(v.value), Object.keys(JSON.parse(line)))
    assert.is(JSON.stringify(v.value), line)
    assert.ok(Object.isFrozen(v.value))
    if (v.value.type === 'key-rotation') assert.ok(Object.isFrozen(v.value.keyRotation))
    if (v.value.type === 'hello') assert.ok(Object.isFrozen(v.value.versions))
  }
})

test('WIRE_NOT_JSON for anything JSON.parse refuses', () => {
  for (const line of ['', ' ', '{', '{"a":1,}', "{'a':1}", '\ufeff{}', 'NaN', '{"a":"\\x"}', 'undefined']) {
    assert.is(reasonOf(line), 'WIRE_NOT_JSON', JSON.stringify(line))
  }
  assert.is(reasonOf(undefined as unknown as string), 'WIRE_NOT_JSON')
})

test('WIRE_NOT_OBJECT for arrays, null and scalars', () => {
  for (const line of ['null', '[]', `[${exampleOf('hello')}]`, '1', '"hello"', 'true']) assert.is(reasonOf(line), 'WIRE_NOT_OBJECT', line)
})

test('WIRE_FORBIDDEN_KEY for prototype-shaped keys at any depth, and Object.prototype stays untouched', () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort()
  const hello = exampleOf('hello')
  const rotation = exampleOf('key-rotation')
  const lines = [
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"prototype":1}',
    '{"\\u005f_proto__":{"polluted":true}}',
    `{"a":[1,{"__proto__":{"polluted":true}}]}`,
    hello.replace('{"v":2', '{"__proto__":{"polluted":true},"v":2'),
    hello.replace(',"sig"', ',"constructor":1,"sig"'),
    rotation.replace('"reason":"scheduled"', '"reason":"scheduled","__proto__":{"polluted":true}'),
  ]
  for (const line of lines) assert.is(reasonOf(line), 'WIRE_FORBIDDEN_KEY', line.slice(0, 80))
  assert.is(({} as Json).polluted, undefined)
  assert.is((Object.prototype as Json).polluted, undefined)
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort(), before)
})

test('WIRE_UNKNOWN_TYPE for a missing, non-string or unknown type (including prototype names as values)', () => {
  const hello = exampleOf('hello')
  for (const raw of ['"HELLO"', '"helo"', '"toString"', '"constructor"', '"__proto__"', '"hasOwnProperty"', '"keyRotation"', '""', ...HOSTILE_NON_STRINGS]) {
    assert.is(reasonOf(withRaw(hello, ['type'], raw)), 'WIRE_UNKNOWN_TYPE', raw)
  }
  assert.is(reasonOf(without(hello, ['type'])), 'WIRE_UNKNOWN_TYPE')
  assert.is(reasonOf('{}'), 'WIRE_UNKNOWN_TYPE')
})

test('WIRE_EXTRA_FIELD for any field the type does not have, outer or inner', () => {
  for (const type of TYPES) {
    const line = exampleOf(type)
    assert.is(reasonOf(line.replace(',"sig"', ',"extra":true,"sig"')), 'WIRE_EXTRA_FIELD', type)
  }
  // A field of another type is still extra (hello carries no session).
  assert.is(reasonOf(exampleOf('hello').replace(',"sig"', ',"session":"chat","sig"')), 'WIRE_EXTRA_FIELD')
  assert.is(reasonOf(exampleOf('key-rotation').replace('"reason":"scheduled"', '"reason":"scheduled","extra":1')), 'WIRE_EXTRA_FIELD')
})

test('WIRE_BAD_FIELD when a required field is missing; optional ones may be absent', () => {
  for (const type of TYPES) {
    const line = exampleOf(type)
    for (const path of fieldsOf(line)) {
      const name = path.join('.')
      const optional = vectors.fieldOrder[type].includes(`${path[0]}?`)
      // ephemeralPub is optional in log/inject only as a whole: v2 requires it (tested below).
      const tiedToV = path[0] === 'ephemeralPub' && (type === 'log' || type === 'inject')
      const expected = path[0] === 'type' ? 'WIRE_UNKNOWN_TYPE' : optional && !tiedToV ? 'ok' : 'WIRE_BAD_FIELD'
      assert.is(reasonOf(without(line, path)), expected, `${type} without ${name}`)
    }
  }
})

test('WIRE_BAD_FIELD for every hostile non-string value in every field', () => {
  for (const type of TYPES) {
    const line = exampleOf(type)
    for (const path of fieldsOf(line)) {
      if (path.length === 1 && path[0] === 'type') continue
      for (const raw of HOSTILE_NON_STRINGS) assert.is(reasonOf(withRaw(line, path, raw)), 'WIRE_BAD_FIELD', `${type}.${path.join('.')} = ${raw}`)
    }
  }
})

test('hostile strings are refused wherever a key, hex id, number, version, enum or signature belongs', () => {
  const freeText = new Set(['session', 'payload', 'reason', 'token'])
  for (const type of TYPES) {
    const line = exampleOf(type)
    for (const path of fieldsOf(line)) {
      if (path.length === 1 && (path[0] === 'type' || freeText.has(path[0]!))) continue
      for (const raw of HOSTILE_STRINGS) assert.is(reasonOf(withRaw(line, path, raw)), 'WIRE_BAD_FIELD', `${type}.${path.join('.')}`)
    }
  }
})

test('keys must be base64 DER of the right kind', () => {
  const alice = vectors.identities.alice
  const ed = alice.signPub
  const x = alice.encryptPub
  const spellings = (k: string) => [k.replace(/=$/, ''), k.replace(/\//g, '_').replace(/\+/g, '-'), ` ${k}`, `${k}\n`, k.toLowerCase(), `${k}AAAA`]
  const cases: [string, string[], string, string][] = [
    ['hello', ['from'], x, ed],
    ['hello', ['ephemeralPub'], ed, x],
    ['log', ['encryptPub'], ed, x],
    ['key-rotation', ['keyRotation', 'oldSignPub'], x, ed],
    ['key-rotation', ['keyRotation', 'newSignPub'], x, ed],
    ['key-rotation', ['keyRotation', 'newEncryptPub'], ed, x],
    ['ack', ['encryptPub'], ed, x],
  ]
  for (const [type, path, wrongKind, rightKind] of cases) {
    const line = exampleWith(type, path)
    assert.is(reasonOf(withRaw(line, path, JSON.stringify(wrongKind))), 'WIRE_BAD_FIELD', `${type}.${path.join('.')} of the wrong kind`)
    for (const s of spellings(rightKind)) assert.is(reasonOf(withRaw(line, path, JSON.stringify(s))), 'WIRE_BAD_FIELD', `${path.join('.')}: ${s}`)
  }
})

test('nonce and requestId are exactly 32 lowercase hex; sig is canonical base64 of 64 bytes', () => {
  const inject = exampleOf('inject')
  for (const field of ['nonce', 'requestId']) {
    for (const bad of ['A'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), 'g'.repeat(32), ` ${'a'.repeat(31)}`, 'ａ'.repeat(32)]) {
      assert.is(reasonOf(withRaw(inject, [field], JSON.stringify(bad))), 'WIRE_BAD_FIELD', `${field} ${bad}`)
    }
    assert.is(reasonOf(withRaw(inject, [field], JSON.stringify('0123456789abcdef'.repeat(2)))), 'ok')
  }
  const sig = JSON.parse(inject).sig as string
  for (const bad of [sig.replace(/=+$/, ''), sig.replace(/\+/g, '-').replace(/\//g, '_'), `${sig.slice(0, 86)}B=`, `${sig.slice(0, 84)}====`, 'A'.repeat(88), '']) {
    assert.is(reasonOf(withRaw(inject, ['sig'], JSON.stringify(bad))), 'WIRE_BAD_FIELD', `sig ${bad}`)
  }
})

test('numbers: ts, effectiveAt and gracePeriodMs are safe non-negative integers', () => {
  const rotation = exampleOf('key-rotation')
  for (const path of [['ts'], ['keyRotation', 'effectiveAt'], ['keyRotation', 'gracePeriodMs']]) {
    for (const ok of ['0', '1', String(Number.MAX_SAFE_INTEGER)]) assert.is(reasonOf(withRaw(rotation, path, ok)), 'ok', `${path} ${ok}`)
    for (const bad of ['-1', '1.5', String(Number.MAX_SAFE_INTEGER + 1), '1e309', '"1"']) {
      assert.is(reasonOf(withRaw(rotation, path, bad)), 'WIRE_BAD_FIELD', `${path} ${bad}`)
    }
  }
})

test('v: hello and every reply must be 2; log, inject, claim and key-rotation may be 1 or 2', () => {
  for (const type of ['hello', 'hello-ack', 'ack', 'response', 'reject']) assert.is(reasonOf(withRaw(exampleOf(type), ['v'], '1')), 'WIRE_BAD_FIELD', type)
  for (const type of ['claim', 'key-rotation']) assert.is(reasonOf(withRaw(exampleOf(type), ['v'], '1')), 'ok', type)
  for (const type of TYPES) assert.is(reasonOf(withRaw(exampleOf(type), ['v'], '3')), 'WIRE_BAD_FIELD', type)
  assert.is(reasonOf(withRaw(exampleOf('key-rotation'), ['keyRotation', 'v'], '2')), 'WIRE_BAD_FIELD')
})

test('log and inject carry ephemeralPub exactly when v is 2 (v1 is static-key)', () => {
  const v1 = vectors.signed.find((s) => s.id === 'H.1')!.line
  assert.is(reasonOf(v1), 'ok')
  assert.is(reasonOf(withRaw(v1, ['v'], '2')), 'WIRE_BAD_FIELD', 'v2 without ephemeralPub')
  for (const type of ['log', 'inject']) {
    const v2 = exampleOf(type)
    assert.is(reasonOf(withRaw(v2, ['v'], '1')), 'WIRE_BAD_FIELD', `${type} v1 with ephemeralPub`)
    assert.is(reasonOf(without(v2, ['ephemeralPub'])), 'WIRE_BAD_FIELD', `${type} v2 without ephemeralPub`)
  }
})

test('versions: 1 to 8 small positive integers', () => {
  const hello = exampleOf('hello')
  for (const ok of ['[2]', '[3]', '[2,1]', '[1,2,3,4,5,6,7,8]', '[255]']) assert.is(reasonOf(withRaw(hello, ['versions'], ok)), 'ok', ok)
  for (const bad of ['[]', '[1,2,3,4,5,6,7,8,9]', '[0]', '[256]', '[2.5]', '["2"]', '[-1]', `[${'2,'.repeat(1_000_000)}2]`, '2', '{"0":2}']) {
    assert.is(reasonOf(withRaw(hello, ['versions'], bad)), 'WIRE_BAD_FIELD', bad.slice(0, 20))
  }
  assert.is(reasonOf(withRaw(exampleOf('hello-ack'), ['version'], '0')), 'WIRE_BAD_FIELD')
})

test('session: any characters, 1 to 256 UTF-16 units; payload any string; reason and token bounded', () => {
  const log = exampleOf('log')
  for (const ok of ['x', 'x'.repeat(MAX_SESSION_CHARS), '\ud800 \udc00 \u0000 \u2028 💩 "\\', '*']) {
    assert.is(reasonOf(withRaw(log, ['session'], JSON.stringify(ok))), 'ok', ok)
  }
  for (const bad of ['', 'x'.repeat(MAX_SESSION_CHARS + 1), '💩'.repeat(129)]) {
    assert.is(reasonOf(withRaw(log, ['session'], JSON.stringify(bad))), 'WIRE_BAD_FIELD', `session of ${bad.length}`)
  }
  for (const payload of ['', 'not base64 at all', 'A'.repeat(2_000_000)]) {
    assert.is(reasonOf(withRaw(log, ['payload'], JSON.stringify(payload))), 'ok', 'payload size and form are later stages')
  }
  const reject = exampleOf('reject')
  assert.is(reasonOf(withRaw(reject, ['reason'], JSON.stringify('r'.repeat(1024)))), 'ok')
  assert.is(reasonOf(withRaw(reject, ['reason'], JSON.stringify('r'.repeat(1025)))), 'WIRE_BAD_FIELD')
  const claim = exampleOf('claim')
  assert.is(reasonOf(withRaw(claim, ['token'], '""')), 'WIRE_BAD_FIELD')
  assert.is(reasonOf(withRaw(claim, ['token'], JSON.stringify('t'.repeat(MAX_TOKEN_CHARS)))), 'ok', 'a claim carries any invite token we could have issued')
  assert.is(reasonOf(withRaw(claim, ['token'], JSON.stringify('t'.repeat(MAX_TOKEN_CHARS + 1)))), 'WIRE_BAD_FIELD')
})

test('keyRotation: an object of its exact shape; reason is scheduled, compromise or upgrade', () => {
  const rotation = exampleOf('key-rotation')
  for (const ok of ['compromise', 'upgrade']) assert.is(reasonOf(withRaw(rotation, ['keyRotation', 'reason'], JSON.stringify(ok))), 'ok')
  for (const bad of ['Scheduled', 'other', '']) {
    assert.is(reasonOf(withRaw(rotation, ['keyRotation', 'reason'], JSON.stringify(bad))), 'WIRE_BAD_FIELD', bad)
  }
  for (const bad of ['[]', '"x"', 'null', '{}', JSON.stringify(Object.values(JSON.parse(rotation).keyRotation))]) {
    assert.is(reasonOf(withRaw(rotation, ['keyRotation'], bad)), 'WIRE_BAD_FIELD', bad.slice(0, 20))
  }
  assert.is(reasonOf(withRaw(rotation, ['keyRotation', 'type'], '"hello"')), 'WIRE_BAD_FIELD')
})

test('a low-order X25519 point still parses (refusing it is the decrypt stage\'s job)', () => {
  const zero = encodeKey('x25519Spki', Buffer.alloc(32))
  assert.is(reasonOf(withRaw(exampleOf('log'), ['ephemeralPub'], JSON.stringify(zero))), 'ok')
})

test('hostile whole lines are refused without throwing, including 100k-deep nesting and million-element arrays', () => {
  for (const line of HOSTILE_LINES) {
    let verdict
    try {
      verdict = parseMessage(line)
    } catch (err) {
      assert.unreachable(`threw on ${line.slice(0, 40)}: ${err}`)
    }
    assert.is(verdict?.ok, false, line.slice(0, 40))
  }
  assert.is(reasonOf('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)), 'WIRE_TOO_DEEP', 'refused before JSON.parse')
  assert.is(reasonOf(`{"type":"log","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), 'WIRE_TOO_DEEP')
  assert.is(reasonOf(`{"type":"log","x":${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}}`), 'WIRE_EXTRA_FIELD', 'the deepest allowed nesting parses')
  assert.is(({} as Json).polluted, undefined)
})

test('the nesting scan counts brackets outside strings only, escapes included', () => {
  assert.is(nestsDeeperThan(String.raw`{"a":"[[[[[[{{{{{"}`, 1), false)
  assert.is(nestsDeeperThan(String.raw`{"a":"\\"}`, 1), false, 'an escaped backslash ends before the closing quote')
  assert.is(nestsDeeperThan(String.raw`{"a":"\\","b":[[]]}`, 2), true)
  assert.is(nestsDeeperThan(String.raw`{"a":"\"[[[[["}`, 1), false, 'an escaped quote does not end the string')
  assert.is(nestsDeeperThan('[]'.repeat(1000), 1), false, 'siblings do not add up')
  assert.is(nestsDeeperThan(exampleOf('key-rotation'), MAX_NESTING), false)
})

test.run()
