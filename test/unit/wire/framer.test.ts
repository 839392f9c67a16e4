import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Framer, MAX_LINE_BYTES } from '../../../src/wire/framer.ts'
import { parseMessage } from '../../../src/wire/messages.ts'
import { isCanonicalSignedLine, signedBody } from '../../../src/wire/signed-json.ts'
import type { Verdict } from '../../../src/reasons.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

const TOO_LONG = { ok: false, reason: 'WIRE_LINE_TOO_LONG' }
const lineOf = (s: string) => ({ ok: true, value: s })
const cjkLine = vectors.json.find((c) => c.id === 'log-session-cjk-emoji')!.line

function pushAll(framer: Framer, chunks: Buffer[]): Verdict<string>[] {
  return chunks.flatMap((c) => framer.push(c))
}

test('the cap is 1 MiB + 4 KiB', () => {
  assert.is(MAX_LINE_BYTES, 1_052_672)
  assert.is(new Framer().maxLineBytes, 1_052_672)
})

test('several lines in one chunk, in order; empty lines are skipped', () => {
  const f = new Framer()
  assert.equal(f.push(Buffer.from('a\n\nb\nc\n\n\n')), [lineOf('a'), lineOf('b'), lineOf('c')])
  assert.is(f.bufferedBytes, 0)
})

test('a partial line waits for its newline across pushes', () => {
  const f = new Framer()
  assert.equal(f.push(Buffer.from('{"par')), [])
  assert.is(f.bufferedBytes, 5)
  assert.equal(f.push(Buffer.from('t":1}\nnext')), [lineOf('{"part":1}')])
  assert.equal(f.push(Buffer.from('\n')), [lineOf('next')])
})

test('a real line delivered one byte per chunk comes out once, intact', () => {
  const line = vectors.signed[0]!.line
  const bytes = Buffer.from(`${line}\n`)
  const f = new Framer()
  const out = pushAll(f, [...bytes].map((b) => Buffer.from([b])))
  assert.equal(out, [lineOf(line)])
})

test('multi-byte characters split at every possible byte boundary decode correctly', () => {
  const bytes = Buffer.from(`${cjkLine}\n`)
  for (let cut = 1; cut < bytes.length; cut++) {
    const out = pushAll(new Framer(), [bytes.subarray(0, cut), bytes.subarray(cut)])
    assert.equal(out, [lineOf(cjkLine)], `cut at byte ${cut}`)
  }
  assert.equal(pushAll(new Framer(), [...bytes].map((b) => Buffer.from([b]))), [lineOf(cjkLine)])
})

test('"\\r\\n" is not a line ending: the "\\r" stays and the canonical check refuses the line', () => {
  const line = vectors.signed[0]!.line
  const out = new Framer().push(Buffer.from(`${line}\r\n`))
  assert.equal(out, [lineOf(`${line}\r`)])
  const parsed = parseMessage(`${line}\r`)
  assert.ok(parsed.ok, 'JSON allows trailing whitespace')
  if (parsed.ok) assert.not.ok(isCanonicalSignedLine(`${line}\r`, parsed.value, signedBody(parsed.value)))
})

test('invalid UTF-8 is refused as not JSON (no U+FFFD second spelling); the stream goes on', () => {
  for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe4, 0xbd], [0xf4, 0x90, 0x80, 0x80]]) {
    const f = new Framer()
    const out = f.push(Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bad), Buffer.from('"}\nok\n')]))
    assert.equal(out, [{ ok: false, reason: 'WIRE_NOT_JSON', detail: 'invalid UTF-8' }, lineOf('ok')])
  }
})

test('a byte order mark is kept, so the parser refuses the line', () => {
  const out = new Framer().push(Buffer.from('\ufeff{}\n'))
  assert.equal(out, [lineOf('\ufeff{}')])
  assert.is(parseMessage('\ufeff{}').ok, false)
})

test('a line of exactly the cap passes; one byte more is refused once, and the next line still comes through', () => {
  const f = new Framer(10)
  assert.equal(f.push(Buffer.from('0123456789\n')), [lineOf('0123456789')])
  assert.equal(f.push(Buffer.from('0123456789X\nok\n')), [TOO_LONG, lineOf('ok')])
})

test('the cap is enforced before the newline arrives, and the rest of that line is discarded', () => {
  const f = new Framer(10)
  assert.equal(f.push(Buffer.from('012345')), [])
  assert.equal(f.push(Buffer.from('6789X')), [TOO_LONG], 'refused as soon as it passes the cap')
  assert.is(f.bufferedBytes, 0)
  assert.equal(f.push(Buffer.from('still the same line')), [])
  assert.is(f.bufferedBytes, 0)
  assert.equal(f.push(Buffer.from(' end\nfresh\n')), [lineOf('fresh')])
})

test('the cap counts bytes, not characters', () => {
  const f = new Framer(8)
  assert.equal(f.push(Buffer.from('éééé\n')), [lineOf('éééé')])
  assert.equal(f.push(Buffer.from('ééééé\n')), [TOO_LONG])
})

test('an endless line costs bounded memory: 50 MB without a newline never holds more than the cap', () => {
  const f = new Framer()
  const chunk = Buffer.alloc(64 * 1024, 'a')
  const out: Verdict<string>[] = []
  let maxHeld = 0
  for (let sent = 0; sent < 50 * 1024 * 1024; sent += chunk.length) {
    out.push(...f.push(chunk))
    maxHeld = Math.max(maxHeld, f.bufferedBytes)
  }
  assert.ok(maxHeld <= MAX_LINE_BYTES, `held ${maxHeld} bytes`)
  assert.equal(out, [TOO_LONG], 'one refusal for the whole line')
  const line = vectors.signed[0]!.line
  assert.equal(f.push(Buffer.from(`\n${line}\n`)), [lineOf(line)])
  assert.is(f.bufferedBytes, 0)
})

test('a maximal line in small chunks is assembled in linear time (no re-scan or re-concat per chunk)', () => {
  const f = new Framer()
  const chunk = Buffer.alloc(16, 'b')
  const started = performance.now()
  for (let i = 0; i < MAX_LINE_BYTES / 16; i++) assert.equal(f.push(chunk), [])
  const out = f.push(Buffer.from('\n'))
  const ms = performance.now() - started
  const [only] = out
  assert.is(out.length, 1)
  assert.is(only?.ok && only.value.length, MAX_LINE_BYTES)
  assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`)
})

test.run()
