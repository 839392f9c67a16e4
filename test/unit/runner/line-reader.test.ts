// stdin framing for the runner (src/runner/line-reader.ts): whole lines in order
// across chunks, the cap refused as RUNNER_LINE_TOO_LONG, invalid UTF-8 as
// RUNNER_NOT_JSON, an unterminated tail dropped at EOF, and backpressure.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { LineReader } from '../../../src/runner/line-reader.ts'

test('lines arrive whole and in order, whatever the chunking', async () => {
  const s = new PassThrough()
  const r = new LineReader(s, 64)
  s.write('{"a":')
  s.write('1}\n{"b"')
  s.write(':2}\n\n{"c":3}\n')
  assert.equal(await r.next(), { ok: true, value: '{"a":1}' })
  assert.equal(await r.next(), { ok: true, value: '{"b":2}' })
  assert.equal(await r.next(), { ok: true, value: '{"c":3}' })
})

test('a reader waiting for a line gets it when it comes', async () => {
  const s = new PassThrough()
  const r = new LineReader(s, 64)
  const pending = r.next()
  setTimeout(() => s.write('late\n'), 10)
  assert.equal(await pending, { ok: true, value: 'late' })
})

test('an overlong line is refused before its newline arrives', async () => {
  const s = new PassThrough()
  const r = new LineReader(s, 16)
  s.write('x'.repeat(17))
  assert.equal(await r.next(), { ok: false, reason: 'RUNNER_LINE_TOO_LONG' })
})

test('invalid UTF-8 is refused as not JSON', async () => {
  const s = new PassThrough()
  const r = new LineReader(s, 16)
  s.write(Buffer.from([0x7b, 0xff, 0x7d, 0x0a]))
  assert.equal(await r.next(), { ok: false, reason: 'RUNNER_NOT_JSON' })
})

test('EOF: a line without its newline is dropped, then null forever', async () => {
  const s = new PassThrough()
  const r = new LineReader(s, 64)
  s.end('{"unterminated":true}')
  assert.is(await r.next(), null)
  assert.is(await r.next(), null)
})

test('reading pauses while lines wait and resumes when they are taken', async () => {
  const s = new PassThrough()
  const r = new LineReader(s, 64)
  s.write('one\ntwo\n')
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(s.isPaused())
  assert.equal(await r.next(), { ok: true, value: 'one' })
  assert.ok(s.isPaused())
  assert.equal(await r.next(), { ok: true, value: 'two' })
  assert.not.ok(s.isPaused())
})

test.run()
