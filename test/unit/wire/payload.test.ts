import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeKey, encodeKey } from '../../../src/crypto/der.ts'
import { generateEncryptionKeyPair } from '../../../src/crypto/x25519.ts'
import { openAtListener, openResponse, openStatic, sealForListener, sealResponse, sealStatic } from '../../../src/wire/payload.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }
import { HOSTILE_STRINGS } from './hostile-values.ts'

const { alice, bob } = vectors.identities
const alicePriv = decodeKey('x25519Pkcs8', alice.encryptPriv)!
const bobPriv = decodeKey('x25519Pkcs8', bob.encryptPriv)!
const TEXTS = ['', 'hello', 'héllo 🌍 你好\n{"json":"like"}', 'x'.repeat(1024 * 1024)]
// All-zero is a low-order point: the shared secret would be predictable, so nothing seals to it.
const LOW_ORDER = encodeKey('x25519Spki', Buffer.alloc(32))
const BAD_PUBS = [LOW_ORDER, alice.signPub, '', 'MCowBQYDK2VuAyEA', alice.encryptPub.replace(/=$/, ''), ...HOSTILE_STRINGS.map((s) => JSON.parse(s) as string)]

function listener() {
  const pair = generateEncryptionKeyPair()
  return { priv: pair.privateKey, pub: encodeKey('x25519Spki', pair.publicKey) }
}

test('v2: sender seals to the hello-ack key, listener opens; response comes back to the sender', () => {
  for (const text of TEXTS) {
    const conn = listener()
    const sent = sealForListener(text, conn.pub)!
    assert.ok(sent)
    assert.ok(decodeKey('x25519Spki', sent.ephemeralPub))
    assert.is(openAtListener(sent.payload, conn.priv, sent.ephemeralPub), text)
    const reply = sealResponse(`re: ${text}`, sent.ephemeralPub)!
    assert.ok(reply)
    assert.is.not(reply.ephemeralPub, conn.pub, 'the response uses a further fresh pair')
    assert.is(openResponse(reply.payload, sent.ephemeralPrivate, reply.ephemeralPub), `re: ${text}`)
  }
})

test('v2: every message gets a fresh sender pair and a fresh IV', () => {
  const conn = listener()
  const a = sealForListener('same', conn.pub)!
  const b = sealForListener('same', conn.pub)!
  assert.is.not(a.ephemeralPub, b.ephemeralPub)
  assert.is.not(a.payload, b.payload)
})

test('v2: only the right keys open a payload', () => {
  const conn = listener()
  const other = listener()
  const sent = sealForListener('secret', conn.pub)!
  assert.is(openAtListener(sent.payload, other.priv, sent.ephemeralPub), null)
  assert.is(openAtListener(sent.payload, conn.priv, other.pub), null)
})

test('v1: static keys, alice to bob and back', () => {
  const payload = sealStatic('static hello', alicePriv, bob.encryptPub)!
  assert.is(openStatic(payload, bobPriv, alice.encryptPub), 'static hello')
  assert.is(openStatic(payload, alicePriv, bob.encryptPub), 'static hello', 'ECDH is symmetric')
  assert.is(openStatic(payload, bobPriv, bob.encryptPub), null)
})

test('malformed, wrong-kind or low-order peer keys yield null, never a throw', () => {
  const conn = listener()
  const sent = sealForListener('x', conn.pub)!
  for (const pub of BAD_PUBS) {
    assert.is(sealForListener('x', pub), null, pub.slice(0, 20))
    assert.is(sealResponse('x', pub), null)
    assert.is(sealStatic('x', alicePriv, pub), null)
    assert.is(openAtListener(sent.payload, conn.priv, pub), null)
    assert.is(openResponse(sent.payload, conn.priv, pub), null)
    assert.is(openStatic(sent.payload, alicePriv, pub), null)
  }
  assert.is(sealForListener('x', 42 as unknown as string), null)
})

test('hostile payloads yield null, never a throw', () => {
  const conn = listener()
  const sent = sealForListener('x', conn.pub)!
  const bytes = Buffer.from(sent.payload, 'base64')
  const payloads = [
    ...HOSTILE_STRINGS.map((s) => JSON.parse(s) as string),
    'A'.repeat(36),
    bytes.subarray(0, 27).toString('base64'),
    bytes.subarray(0, 28).toString('base64'),
    sent.payload.replace(/=+$/, ''),
    ` ${sent.payload}`,
    null,
    undefined,
    123,
  ]
  for (const p of payloads) {
    assert.is(openAtListener(p as string, conn.priv, sent.ephemeralPub), null, String(p).slice(0, 20))
    assert.is(openStatic(p as string, alicePriv, bob.encryptPub), null)
  }
})

test.run()
