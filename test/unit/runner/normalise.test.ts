// normaliseText against the hostile-text cases in normalise-cases.json, plus
// properties over random text: output is well-formed, control-free, NFC and
// within its byte bound, whatever comes in.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { decodeLossy, normaliseText } from '../../../src/runner/normalise.ts'

type Case = { name: string; input: string; maxBytes: number; expect: string }
const { cases } = JSON.parse(readFileSync(new URL('./normalise-cases.json', import.meta.url), 'utf8')) as { cases: Case[] }

for (const c of cases) {
  test(`normalise: ${c.name}`, () => {
    assert.is(normaliseText(c.input, c.maxBytes), c.expect)
  })
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/

/** Deterministic code units biased towards the troublesome ranges: controls, combining marks, surrogates, Hangul. */
function randomText(seed: number, length: number): string {
  let x = seed
  const next = () => (x = (x * 1103515245 + 12345) >>> 0)
  const ranges: Array<[number, number]> = [[0x00, 0x7f], [0x80, 0x9f], [0x300, 0x36f], [0xd800, 0xdfff], [0x1100, 0x11ff], [0xac00, 0xac20], [0x61, 0x7a]]
  let s = ''
  for (let i = 0; i < length; i++) {
    const [lo, hi] = ranges[next() % ranges.length]!
    s += String.fromCharCode(lo + (next() % (hi - lo + 1)))
  }
  return s
}

test('properties hold on random text at every bound', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const input = randomText(seed, 1 + (seed % 97))
    for (const maxBytes of [1, 2, 3, 5, 17, 64, 1024]) {
      const out = normaliseText(input, maxBytes)
      const where = `seed ${seed}, maxBytes ${maxBytes}`
      assert.not.ok(LONE_SURROGATE.test(out), `${where}: lone surrogate`)
      assert.not.ok(CONTROL.test(out), `${where}: control character`)
      assert.is(out.normalize('NFC'), out, `${where}: not NFC (a code-point cut of NFC text must stay NFC)`)
      assert.ok(Buffer.byteLength(out, 'utf8') <= maxBytes, `${where}: over the bound`)
      assert.ok(normaliseText(input, 1 << 20).startsWith(out), `${where}: the cut is not a prefix of the whole`)
    }
  }
})

test('normalising twice changes nothing', () => {
  for (let seed = 1; seed <= 100; seed++) {
    const once = normaliseText(randomText(seed, 200), 4096)
    assert.is(normaliseText(once, 4096), once)
  }
})

test('decodeLossy turns each invalid UTF-8 sequence into U+FFFD', () => {
  assert.is(decodeLossy(Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28, 0xe2, 0x82])), 'a\ufffdb\ufffd(\ufffd')
  assert.is(decodeLossy(Buffer.from('é€😀', 'utf8')), 'é€😀')
})

test('a megabyte of text is normalised in well under a second', () => {
  const big = 'é\u0000x'.repeat(400_000)
  const started = performance.now()
  const out = normaliseText(big, 1024 * 1024)
  assert.ok(performance.now() - started < 1000)
  assert.is(Buffer.byteLength(out, 'utf8') <= 1024 * 1024, true)
})

test.run()
