import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeBase64Strict, decodeKey, encodeKey, isPublicKeyText } from '../../../src/crypto/der.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

test('decodes every vector key of its own form and refuses the other forms', () => {
  for (const who of ['alice', 'bob'] as const) {
    const id = vectors.identities[who]
    assert.is(decodeKey('ed25519Spki', id.signPub)?.toString('hex'), id.signPubRawHex)
    assert.is(decodeKey('x25519Spki', id.encryptPub)?.toString('hex'), id.encryptPubRawHex)
    assert.is(decodeKey('ed25519Pkcs8', id.signPriv)?.toString('hex'), id.signSeedHex)
    assert.is(decodeKey('x25519Pkcs8', id.encryptPriv)?.toString('hex'), id.encryptPrivRawHex)
    assert.is(decodeKey('x25519Spki', id.signPub), null)
    assert.is(decodeKey('ed25519Spki', id.encryptPub), null)
    assert.is(encodeKey('ed25519Spki', Buffer.from(id.signPubRawHex, 'hex')), id.signPub)
  }
})

test('refuses malleable or malformed base64', () => {
  const pub = vectors.identities.alice.signPub
  assert.is(decodeKey('ed25519Spki', pub.replace(/=$/, '')), null)
  assert.is(decodeKey('ed25519Spki', pub.replace(/\+/g, '-')), null)
  assert.is(decodeKey('ed25519Spki', ` ${pub}`), null)
  assert.is(decodeKey('ed25519Spki', 42), null)
  assert.is(decodeBase64Strict('QQ==')?.toString('hex'), '41')
  assert.is(decodeBase64Strict('QR=='), null, 'non-zero padding bits are a second spelling of QQ==')
  assert.is(decodeBase64Strict('Q==='), null)
})

test('isPublicKeyText agrees with decodeKey on every key and on near misses', () => {
  const { signPub, encryptPub } = vectors.identities.alice
  const candidates = [signPub, encryptPub, signPub.replace(/=$/, 'A'), `${signPub.slice(0, 58)}B=`, signPub.slice(0, 59), `${signPub}=`, encryptPub.replace('MCowBQYDK2VuAyEA', 'MCowBQYDK2VwAyEA')]
  for (const text of candidates) {
    assert.is(isPublicKeyText('ed25519Spki', text), decodeKey('ed25519Spki', text) !== null, `ed25519 ${text}`)
    assert.is(isPublicKeyText('x25519Spki', text), decodeKey('x25519Spki', text) !== null, `x25519 ${text}`)
  }
})

test.run()
