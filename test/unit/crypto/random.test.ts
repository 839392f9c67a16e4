import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes, randomHex } from '../../../src/crypto/random.ts'

test('randomBytes gives the asked size, a different value each call, on its own memory', () => {
  for (const size of [0, 1, 12, 16, 32, 4096]) assert.is(randomBytes(size).length, size)
  const a = randomBytes(16)
  const b = randomBytes(16)
  assert.not.ok(a.equals(b))
  // Not a slice of Node's shared pool: nothing else lives in the same ArrayBuffer.
  assert.is(a.buffer.byteLength, 16)
})

test('randomHex is lowercase hex of twice the byte count, distinct across many draws', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 1000; i++) {
    const hex = randomHex(16)
    assert.match(hex, /^[0-9a-f]{32}$/)
    seen.add(hex)
  }
  assert.is(seen.size, 1000)
})

test.run()
