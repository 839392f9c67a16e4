// Builders for the lines the sidecar sends (WIRE.md "Messages" and "Signatures"):
// keys in the deployed plugin's order, sig last, no trailing "\n", so a plugin
// agent re-serialises exactly the bytes we signed. Nonce and time are injectable.

import { randomHex } from '../crypto/random.ts'
import type { Identity } from '../identity/keys.ts'
import type { KeyRotation, WireVersion } from './messages.ts'
import { signObject } from './signed-json.ts'

export type Signer = Pick<Identity, 'signPub' | 'signSecretKey'>

/** Defaults: 16 random bytes as hex, Date.now(). Tests and vectors pin them. */
export interface Stamp {
  nonce?: string
  ts?: number
}

/** v2 carries the per-message ephemeral key; v1 (static keys) has none. */
export type SealedFields = { v: 2; ephemeralPub: string } | { v: 1; ephemeralPub?: undefined }

const PROTOCOL_VERSIONS = [2, 1] as const

function stamped(stamp: Stamp): { nonce: string; ts: number } {
  return { nonce: stamp.nonce ?? randomHex(16), ts: stamp.ts ?? Date.now() }
}

export function buildHello(
  signer: Signer,
  fields: { ephemeralPub: string; versions?: readonly number[] },
  stamp: Stamp = {},
): string {
  const { ephemeralPub, versions = PROTOCOL_VERSIONS } = fields
  return signObject({ v: 2, type: 'hello', from: signer.signPub, versions, ephemeralPub, ...stamped(stamp) }, signer.signSecretKey)
}

export function buildHelloAck(signer: Signer, fields: { version: number; ephemeralPub: string }, stamp: Stamp = {}): string {
  const { version, ephemeralPub } = fields
  return signObject({ v: 2, type: 'hello-ack', from: signer.signPub, version, ephemeralPub, ...stamped(stamp) }, signer.signSecretKey)
}

export function buildLog(signer: Signer, fields: SealedFields & { encryptPub: string; session: string; payload: string }, stamp: Stamp = {}): string {
  const { v, encryptPub, ephemeralPub, session, payload } = fields
  return signObject(
    { v, type: 'log', from: signer.signPub, encryptPub, ephemeralPub, session, payload, ...stamped(stamp) },
    signer.signSecretKey,
  )
}

export function buildInject(
  signer: Signer,
  fields: SealedFields & { encryptPub: string; session: string; payload: string; requestId: string },
  stamp: Stamp = {},
): string {
  const { v, encryptPub, ephemeralPub, session, payload, requestId } = fields
  return signObject(
    { v, type: 'inject', from: signer.signPub, encryptPub, ephemeralPub, session, payload, requestId, ...stamped(stamp) },
    signer.signSecretKey,
  )
}

export function buildClaim(signer: Signer, fields: { v: WireVersion; encryptPub: string; token: string }, stamp: Stamp = {}): string {
  const { v, encryptPub, token } = fields
  return signObject({ v, type: 'claim', from: signer.signPub, encryptPub, token, ...stamped(stamp) }, signer.signSecretKey)
}

export function buildAck(signer: Signer, fields: { session?: string; encryptPub?: string } = {}, stamp: Stamp = {}): string {
  const { session, encryptPub } = fields
  return signObject({ v: 2, type: 'ack', from: signer.signPub, session, encryptPub, ...stamped(stamp) }, signer.signSecretKey)
}

export function buildResponse(
  signer: Signer,
  fields: { encryptPub: string; ephemeralPub?: string; session: string; payload: string; requestId: string },
  stamp: Stamp = {},
): string {
  const { encryptPub, ephemeralPub, session, payload, requestId } = fields
  return signObject(
    { v: 2, type: 'response', from: signer.signPub, encryptPub, ephemeralPub, session, payload, requestId, ...stamped(stamp) },
    signer.signSecretKey,
  )
}

export function buildReject(signer: Signer, fields: { session?: string; reason: string }, stamp: Stamp = {}): string {
  const { session, reason } = fields
  return signObject({ v: 2, type: 'reject', from: signer.signPub, session, reason, ...stamped(stamp) }, signer.signSecretKey)
}

/**
 * The key-rotation line, as the deployed sendKeyRotation writes it: NOT signed
 * itself; `from` is the old key and `sig` a copy of the rotation's own signature.
 * The rotation is rebuilt field by field so its bytes match what oldSignPub signed.
 */
export function buildKeyRotationMessage(rotation: KeyRotation, v: WireVersion, stamp: Stamp = {}): string {
  const { oldSignPub, newSignPub, newEncryptPub, reason, effectiveAt, gracePeriodMs, sig } = rotation
  const keyRotation = { v: rotation.v, type: 'key-rotation', oldSignPub, newSignPub, newEncryptPub, reason, effectiveAt, gracePeriodMs, sig }
  return JSON.stringify({ v, type: 'key-rotation', from: oldSignPub, keyRotation, ...stamped(stamp), sig })
}
