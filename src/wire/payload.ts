// Payload encryption flows (WIRE.md "Encryption") over crypto/envelope.ts: v2
// ephemeral (sender → listener's hello-ack key; responder → sender's ephemeralPub)
// and v1 static. Peer keys arrive as wire text; any failure is null, never a throw.

import { decodeKey, encodeKey } from '../crypto/der.ts'
import { deriveKey, open, seal } from '../crypto/envelope.ts'
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../crypto/x25519.ts'

export interface SealedPayload {
  payload: string
  /** Base64 SPKI of the fresh pair's public half, for the message's `ephemeralPub`. */
  ephemeralPub: string
}

export interface SenderSealed extends SealedPayload {
  /** Keep only until the response is opened (openResponse), then drop it. */
  ephemeralPrivate: Buffer
}

/**
 * What a v2 sender's next message to one listener key needs that does not depend on the
 * message: its fresh pair and the AEAD key to the listener. Made ahead, off the send path;
 * used for exactly one message (sealPrepared), or wiped unused (discardPrepared).
 */
export interface PreparedSender {
  ephemeralPub: string
  ephemeralPrivate: Buffer
  key: Buffer
}

export function prepareSender(listenerEphemeralPub: string): PreparedSender | null {
  const pair = generateEncryptionKeyPair()
  const key = keyFor(pair.privateKey, listenerEphemeralPub)
  if (!key) {
    pair.privateKey.fill(0)
    return null
  }
  return { ephemeralPub: encodeKey('x25519Spki', pair.publicKey), ephemeralPrivate: pair.privateKey, key }
}

/** v2 sender: seal one message with a prepared pair; the key to the listener is wiped at once. */
export function sealPrepared(plaintext: string, prepared: PreparedSender): SenderSealed {
  try {
    return { payload: seal(plaintext, prepared.key), ephemeralPub: prepared.ephemeralPub, ephemeralPrivate: prepared.ephemeralPrivate }
  } finally {
    prepared.key.fill(0)
  }
}

export function discardPrepared(prepared: PreparedSender): void {
  prepared.key.fill(0)
  prepared.ephemeralPrivate.fill(0)
}

/** v2 sender: a fresh pair for this one message, sealed to the listener's hello-ack ephemeralPub. */
export function sealForListener(plaintext: string, listenerEphemeralPub: string): SenderSealed | null {
  const prepared = prepareSender(listenerEphemeralPub)
  return prepared && sealPrepared(plaintext, prepared)
}

/** v2 listener: open a log/inject with this connection's ephemeral private key. */
export function openAtListener(payload: string, connectionPrivate: Buffer, senderEphemeralPub: string): string | null {
  return openFrom(payload, connectionPrivate, senderEphemeralPub)
}

/**
 * v2 responder: a further fresh pair (made now, or ahead of time and never used before),
 * sealed to the inject's ephemeralPub; its private half is wiped at once.
 */
export function sealResponse(plaintext: string, senderEphemeralPub: string, pair: EncryptionKeyPair = generateEncryptionKeyPair()): SealedPayload | null {
  const payload = sealTo(plaintext, pair.privateKey, senderEphemeralPub)
  pair.privateKey.fill(0)
  return payload === null ? null : { payload, ephemeralPub: encodeKey('x25519Spki', pair.publicKey) }
}

/** v2 sender: open a response with the inject's ephemeral private key and the response's ephemeralPub. */
export function openResponse(payload: string, senderEphemeralPrivate: Buffer, responderEphemeralPub: string): string | null {
  return openFrom(payload, senderEphemeralPrivate, responderEphemeralPub)
}

/** v1: own static X25519 private key and the peer's stored encryptPub. */
export function sealStatic(plaintext: string, ownEncryptPrivate: Buffer, peerEncryptPub: string): string | null {
  return sealTo(plaintext, ownEncryptPrivate, peerEncryptPub)
}

/** v1: the same key both ways (ECDH is symmetric), so either side opens with its own private key. */
export function openStatic(payload: string, ownEncryptPrivate: Buffer, peerEncryptPub: string): string | null {
  return openFrom(payload, ownEncryptPrivate, peerEncryptPub)
}

function keyFor(myPrivate: Buffer, peerPub: string): Buffer | null {
  const peer = decodeKey('x25519Spki', peerPub)
  return peer && deriveKey(myPrivate, peer)
}

function sealTo(plaintext: string, myPrivate: Buffer, peerPub: string): string | null {
  const key = keyFor(myPrivate, peerPub)
  if (!key) return null
  try {
    return seal(plaintext, key)
  } finally {
    key.fill(0)
  }
}

function openFrom(payload: string, myPrivate: Buffer, peerPub: string): string | null {
  const key = keyFor(myPrivate, peerPub)
  if (!key) return null
  try {
    return open(payload, key)
  } finally {
    key.fill(0)
  }
}
