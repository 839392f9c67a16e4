// The agent's identity: an Ed25519 signing pair and an X25519 encryption pair,
// held in memory as raw bytes and shown on the wire as base64 DER (WIRE.md).

import { decodeKey, encodeKey } from '../crypto/der.ts'
import { generateSigningKeyPair, signingKeyPairFromSeed } from '../crypto/ed25519.ts'
import { encryptionKeyPairFromPrivate, generateEncryptionKeyPair } from '../crypto/x25519.ts'
import { shortIdOf } from './ids.ts'

/** The serialised form, as stored in identity.json and exchanged in vectors. */
export interface IdentityRecord {
  signPub: string
  signPriv: string
  encryptPub: string
  encryptPriv: string
  createdAt: number
}

export interface Identity {
  record: IdentityRecord
  signPub: string
  encryptPub: string
  shortId: string
  /** 64-byte libsodium secret key. */
  signSecretKey: Buffer
  signPublicRaw: Buffer
  encryptPrivateRaw: Buffer
  encryptPublicRaw: Buffer
}

export function createIdentityRecord(now: number): IdentityRecord {
  const signing = generateSigningKeyPair()
  const encryption = generateEncryptionKeyPair()
  return {
    signPub: encodeKey('ed25519Spki', signing.publicKey),
    signPriv: encodeKey('ed25519Pkcs8', signing.secretKey.subarray(0, 32)),
    encryptPub: encodeKey('x25519Spki', encryption.publicKey),
    encryptPriv: encodeKey('x25519Pkcs8', encryption.privateKey),
    createdAt: now,
  }
}

/** Rebuild the in-memory identity, checking that every public key matches its private half. */
export function loadIdentity(record: IdentityRecord): Identity {
  const seed = decodeKey('ed25519Pkcs8', record.signPriv)
  const signPubRaw = decodeKey('ed25519Spki', record.signPub)
  const encPriv = decodeKey('x25519Pkcs8', record.encryptPriv)
  const encPubRaw = decodeKey('x25519Spki', record.encryptPub)
  if (!seed || !signPubRaw || !encPriv || !encPubRaw) throw new TypeError('identity: a key is not valid base64 DER of its kind')
  const signing = signingKeyPairFromSeed(seed)
  const encryption = encryptionKeyPairFromPrivate(encPriv)
  if (!signing.publicKey.equals(signPubRaw)) throw new TypeError('identity: signPub does not match signPriv')
  if (!encryption.publicKey.equals(encPubRaw)) throw new TypeError('identity: encryptPub does not match encryptPriv')
  return {
    record,
    signPub: record.signPub,
    encryptPub: record.encryptPub,
    shortId: shortIdOf(record.signPub),
    signSecretKey: signing.secretKey,
    signPublicRaw: signing.publicKey,
    encryptPrivateRaw: encryption.privateKey,
    encryptPublicRaw: encryption.publicKey,
  }
}
