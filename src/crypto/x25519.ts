// X25519 key agreement over sodium-native (WIRE.md "Encryption").

import sodium from 'sodium-native'

export interface EncryptionKeyPair {
  publicKey: Buffer
  privateKey: Buffer
}

export function generateEncryptionKeyPair(): EncryptionKeyPair {
  const privateKey = Buffer.alloc(sodium.crypto_scalarmult_SCALARBYTES)
  sodium.randombytes_buf(privateKey)
  return encryptionKeyPairFromPrivate(privateKey)
}

export function encryptionKeyPairFromPrivate(privateKey: Buffer): EncryptionKeyPair {
  if (privateKey.length !== 32) throw new RangeError('X25519 private key must be 32 bytes')
  const publicKey = Buffer.alloc(sodium.crypto_scalarmult_BYTES)
  sodium.crypto_scalarmult_base(publicKey, privateKey)
  return { publicKey, privateKey }
}

/**
 * Raw X25519 shared secret, or null when the peer's point is of low order
 * (libsodium refuses an all-zero result; such a key would make the "secret"
 * predictable, so we never encrypt to or accept it).
 */
export function sharedSecret(privateKey: Buffer, peerPublicKey: Buffer): Buffer | null {
  if (privateKey.length !== 32 || peerPublicKey.length !== 32) return null
  const out = Buffer.alloc(sodium.crypto_scalarmult_BYTES)
  try {
    sodium.crypto_scalarmult(out, privateKey, peerPublicKey)
  } catch {
    return null
  }
  return out
}
