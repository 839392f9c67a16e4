// The payload envelope (WIRE.md "Encryption"): key = SHA-256(X25519(priv, pub)),
// AES-256-GCM with a random 12-byte IV, no AAD; payload = base64(IV ‖ tag ‖ ciphertext).
// sodium-native has no AES-GCM, so node:crypto does the AEAD.

import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'
import { decodeBase64Strict } from './der.ts'
import { randomBytes } from './random.ts'
import { sharedSecret } from './x25519.ts'

const IV_BYTES = 12
const TAG_BYTES = 16

export function deriveKey(privateKey: Buffer, peerPublicKey: Buffer): Buffer | null {
  const shared = sharedSecret(privateKey, peerPublicKey)
  if (!shared) return null
  const key = createHash('sha256').update(shared).digest()
  shared.fill(0)
  return key
}

export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
}

/** The plaintext, or null for anything that does not authenticate (never throws on peer input). */
export function open(payload: string, key: Buffer): string | null {
  const bytes = decodeBase64Strict(payload)
  if (!bytes || bytes.length < IV_BYTES + TAG_BYTES) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES))
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
    return plain.toString('utf8')
  } catch {
    return null
  }
}
