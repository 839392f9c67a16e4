// Ed25519 signing and verification over sodium-native (WIRE.md "Signatures").

import sodium from 'sodium-native'

export interface SigningKeyPair {
  /** 32-byte raw public key. */
  publicKey: Buffer
  /** 64-byte libsodium secret key (seed ‖ public key). */
  secretKey: Buffer
}

export function generateSigningKeyPair(): SigningKeyPair {
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES)
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return { publicKey, secretKey }
}

export function signingKeyPairFromSeed(seed: Buffer): SigningKeyPair {
  if (seed.length !== sodium.crypto_sign_SEEDBYTES) throw new RangeError('Ed25519 seed must be 32 bytes')
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES)
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed)
  return { publicKey, secretKey }
}

export function sign(message: Buffer, secretKey: Buffer): Buffer {
  const sig = Buffer.alloc(sodium.crypto_sign_BYTES)
  sodium.crypto_sign_detached(sig, message, secretKey)
  return sig
}

export function verify(signature: Buffer, message: Buffer, publicKey: Buffer): boolean {
  if (signature.length !== sodium.crypto_sign_BYTES || publicKey.length !== sodium.crypto_sign_PUBLICKEYBYTES) return false
  return sodium.crypto_sign_verify_detached(signature, message, publicKey)
}
