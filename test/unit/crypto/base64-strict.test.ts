import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { decodeBase64Strict, isCanonicalBase64 } from '../../../src/crypto/der.ts'

// The decoder takes the re-encoding shortcut; the pattern check is the reference it must agree with.
const SPELLINGS = ['', 'QQ==', 'QR==', 'QUI=', 'QUJ=', 'QUJD', 'QUJD\n', ' QUJD', 'QU JD', 'QUJ-', 'QUJ_', '-_-_', '+/+/', '====', 'A===', 'Q===', 'QQ=A', 'QQ', 'QUJDRA', '4pyT', 'QUJD====', 'QQ==QQ==', 'Zm9v\u0000']

test('decodeBase64Strict accepts exactly what isCanonicalBase64 accepts', () => {
  for (const text of SPELLINGS) {
    const bytes = decodeBase64Strict(text)
    assert.is(bytes !== null, isCanonicalBase64(text), JSON.stringify(text))
    if (bytes) assert.is(bytes.toString('base64'), text)
  }
})

test('decodeBase64Strict round-trips random byte strings of every length class and refuses one-character edits', () => {
  for (let len = 0; len < 70; len++) {
    const bytes = randomBytes(len)
    const text = bytes.toString('base64')
    assert.ok(decodeBase64Strict(text)?.equals(bytes), `length ${len}`)
    if (text.length === 0) continue
    // Strip the padding or end on a URL-safe character: never another spelling.
    if (text.endsWith('=')) assert.is(decodeBase64Strict(text.replace(/=+$/, '')), null, `unpadded ${len}`)
    assert.is(decodeBase64Strict(`${text.slice(0, -1)}-`), null, `url-safe tail ${len}`)
  }
})

test('decodeBase64Strict refuses non-strings without throwing', () => {
  for (const value of [undefined, null, 42, {}, ['QQ==']]) assert.is(decodeBase64Strict(value as unknown as string), null)
})

test.run()
