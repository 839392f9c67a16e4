// The strict body parser (DOCKER-HAZARDS.md "How the engine reads request bodies"):
// it must agree with JSON.parse on honest input and refuse what Go reads differently
// from JSON.parse — duplicates, case collisions and escaped names at any depth,
// trailing content — and stay bounded on huge or deep input.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MAX_DEPTH, parseStrictJson, type Json } from '../../../src/docker-proxy/body.ts'
import { buildCreateBody, testPolicy } from '../../support/engine-fixtures.ts'

const enc = (s: string) => Buffer.from(s, 'utf8')
const reasonOf = (s: string | Buffer) => {
  const r = parseStrictJson(typeof s === 'string' ? enc(s) : s)
  return r.ok ? 'ok' : r.reason
}
function plain(v: Json): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]))
  return Array.isArray(v) ? v.map(plain) : v
}
/** `inner` wrapped in `depth - 1` objects, so its own object sits at that depth. */
const nest = (inner: string, depth: number) => '{"a":'.repeat(depth - 1) + inner + '}'.repeat(depth - 1)

test('agrees with JSON.parse on honest input', () => {
  const honest = [
    JSON.stringify(buildCreateBody(testPolicy(`sha256:${'0'.repeat(64)}`))),
    '{"a":[1,-2.5e3,0,true,false,null,"x\\n\\u00e9\\ud83d\\ude00\\/"],"b":{}}',
    ' [ ] ',
    '"\\"\\\\\\b\\f\\r\\t"',
    '-0.0e-0',
  ]
  for (const text of honest) {
    const r = parseStrictJson(enc(text))
    assert.ok(r.ok, text)
    if (r.ok) assert.equal(plain(r.value), JSON.parse(text))
  }
})

test('duplicate keys are refused at every depth', () => {
  for (let depth = 1; depth <= MAX_DEPTH; depth++) assert.is(reasonOf(nest('{"k":1,"k":2}', depth)), 'PROXY_DUPLICATE_KEY', `depth ${depth}`)
})

test('keys differing only in case are refused at every depth, and inside arrays', () => {
  for (let depth = 1; depth <= MAX_DEPTH; depth++) assert.is(reasonOf(nest('{"HostConfig":1,"hostconfig":2}', depth)), 'PROXY_KEY_CASE_COLLISION')
  assert.is(reasonOf('[{"a":1},{"A":1,"a":2}]'), 'PROXY_KEY_CASE_COLLISION')
  assert.is(reasonOf('[{"a":1},{"A":1}]'), 'ok') // different objects may differ in case
})

test('escaped or non-ASCII key names are refused; escapes in values are fine', () => {
  for (const key of ['Host\\u0043onfig', 'a\\nb', 'a\\"b', 'a\\\\b', 'a\\/b', '\u017fecurityOpt', 'caf\u00e9', 'a\u007fb']) {
    assert.is(reasonOf(nest(`{"${key}":1}`, 3)), 'PROXY_ESCAPED_KEY', key)
  }
  assert.is(reasonOf('{"Cmd":["\\u0043md","\u017f"]}'), 'ok')
})

test('content after the first value is refused; whitespace is not content', () => {
  for (const tail of ['{}', ' {"HostConfig":{"Privileged":true}}', 'x', ',', ']', '\u0000']) assert.is(reasonOf(`{"a":1}${tail}`), 'PROXY_BODY_TRAILING', tail)
  assert.is(reasonOf(' \t\r\n{"a":1} \t\r\n'), 'ok')
})

test('nesting is bounded without recursion trouble', () => {
  assert.is(reasonOf('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)), 'ok')
  assert.is(reasonOf('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1)), 'PROXY_BODY_TOO_DEEP')
  assert.is(reasonOf('['.repeat(1_000_000)), 'PROXY_BODY_TOO_DEEP')
  assert.is(reasonOf('{"a":'.repeat(100_000)), 'PROXY_BODY_TOO_DEEP')
})

test('a huge flat body parses in linear time', () => {
  const big = JSON.stringify({ Cmd: Array.from({ length: 20_000 }, (_, i) => `arg-${i}`), Env: ['X='.padEnd(100_000, 'y')] })
  const started = performance.now()
  assert.is(reasonOf(big), 'ok')
  assert.ok(performance.now() - started < 1000)
})

test('hostile scalars and encodings are refused as not JSON', () => {
  const hostile: (string | Buffer)[] = [
    '', ' ', 'NaN', 'Infinity', '-Infinity', '1e400', '-', '[01]', '.5', '[1.]', '[1e]', '+1', '[0x10]', 'tru', 'nul', "'a'", '{a:1}',
    '{"a":1,}', '[1,]', '{"a" 1}', '"\\ud800"', '"\\udc00x"', '"\\x41"', '"\\u12"', '"a\tb"', '"unterminated',
    '\ufeff{}', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), Buffer.from([0xc0, 0xaf]),
  ]
  for (const h of hostile) assert.is(reasonOf(h), 'PROXY_BODY_NOT_JSON', JSON.stringify(h.toString()))
})

test('prototype keys stay plain keys', () => {
  const r = parseStrictJson(enc('{"__proto__":{"polluted":true},"constructor":1,"prototype":2}'))
  assert.ok(r.ok && r.value instanceof Map)
  if (r.ok && r.value instanceof Map) assert.equal([...r.value.keys()], ['__proto__', 'constructor', 'prototype'])
  assert.is(({} as Record<string, unknown>).polluted, undefined)
})

test.run()
