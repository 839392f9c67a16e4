import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodeKey } from '../../../src/crypto/der.ts'
import { KeyPairPool } from '../../../src/crypto/key-pool.ts'
import { generateEncryptionKeyPair } from '../../../src/crypto/x25519.ts'
import { discardPrepared, openAtListener, openResponse, prepareSender, sealPrepared, sealResponse } from '../../../src/wire/payload.ts'

const ZERO = Buffer.alloc(32)
const LOW_ORDER = encodeKey('x25519Spki', ZERO)

function listener() {
  const pair = generateEncryptionKeyPair()
  return { priv: pair.privateKey, pub: encodeKey('x25519Spki', pair.publicKey) }
}

test('a prepared sender key seals one message the listener opens; a pooled responder pair answers it', () => {
  const conn = listener()
  const pool = new KeyPairPool(1)
  for (const text of ['', 'hello', 'héllo 🌍', 'x'.repeat(100_000)]) {
    const prepared = prepareSender(conn.pub)!
    const sent = sealPrepared(text, prepared)
    assert.is(sent.ephemeralPub, prepared.ephemeralPub)
    assert.is(openAtListener(sent.payload, conn.priv, sent.ephemeralPub), text)
    const responder = pool.take()
    const reply = sealResponse(`re: ${text}`, sent.ephemeralPub, responder)!
    assert.is(reply.ephemeralPub, encodeKey('x25519Spki', responder.publicKey))
    assert.ok(responder.privateKey.equals(ZERO), 'the responder private half is wiped once used')
    assert.is(openResponse(reply.payload, sent.ephemeralPrivate, reply.ephemeralPub), `re: ${text}`)
  }
  pool.close()
})

test('sealing wipes the key to the listener at once; the sender private half stays for the response', () => {
  const conn = listener()
  const prepared = prepareSender(conn.pub)!
  const sent = sealPrepared('secret', prepared)
  assert.ok(prepared.key.equals(ZERO))
  assert.not.ok(sent.ephemeralPrivate.equals(ZERO))
})

test('every prepared key is fresh, and two messages never share pair or IV', () => {
  const conn = listener()
  const a = sealPrepared('same', prepareSender(conn.pub)!)
  const b = sealPrepared('same', prepareSender(conn.pub)!)
  assert.is.not(a.ephemeralPub, b.ephemeralPub)
  assert.is.not(a.payload.slice(0, 16), b.payload.slice(0, 16))
})

test('discardPrepared wipes both secrets of an unused prepared key', () => {
  const prepared = prepareSender(listener().pub)!
  discardPrepared(prepared)
  assert.ok(prepared.key.equals(ZERO))
  assert.ok(prepared.ephemeralPrivate.equals(ZERO))
})

test('no prepared key for a low-order or malformed listener key', () => {
  for (const pub of [LOW_ORDER, '', 'MCowBQYDK2VuAyEA', 42 as unknown as string]) assert.is(prepareSender(pub), null)
})

test('a responder pair offered for a bad sender key is still wiped', () => {
  const pair = generateEncryptionKeyPair()
  assert.is(sealResponse('x', LOW_ORDER, pair), null)
  assert.ok(pair.privateKey.equals(ZERO))
})

test.run()
