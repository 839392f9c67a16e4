// Key rotation notices (WIRE.md "Rotation", "Where the sidecar is stricter"; SECURITY.md "Key
// Rotation"): create one signed by the old key, and verify a received one on its own — shape,
// signature, freshness and a bounded grace. Matching the outer message's sender is the gate's job.

import { decodeKey } from '../crypto/der.ts'
import { sign } from '../crypto/ed25519.ts'
import type { Identity } from '../identity/keys.ts'
import { accept, refuse, type Refusal, type Verdict } from '../reasons.ts'
import { verifyBody } from './signed-json.ts'

export const ROTATION_REASONS = ['scheduled', 'compromise', 'upgrade'] as const
export type RotationReason = (typeof ROTATION_REASONS)[number]
/** What deployed plugins announce, and our hard ceiling: a longer grace is refused, not clamped. */
export const ROTATION_GRACE_CEILING_MS = 86_400_000
export const ROTATION_FRESHNESS_MS = 300_000

export interface KeyRotation {
  v: 1
  type: 'key-rotation'
  oldSignPub: string
  newSignPub: string
  newEncryptPub: string
  reason: RotationReason
  effectiveAt: number
  gracePeriodMs: number
  sig: string
}

const KEYS = ['v', 'type', 'oldSignPub', 'newSignPub', 'newEncryptPub', 'reason', 'effectiveAt', 'gracePeriodMs', 'sig']
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])

export function isRotationReason(x: unknown): x is RotationReason {
  return (ROTATION_REASONS as readonly unknown[]).includes(x)
}

/** Throws RangeError on a caller bug: an unchanged key, a bad reason, or a grace outside 0..24 h. */
export function createRotation(
  oldId: Identity,
  newId: Identity,
  reason: RotationReason,
  opts: { now: number; gracePeriodMs: number },
): KeyRotation {
  if (newId.signPub === oldId.signPub) throw new RangeError('createRotation: the new signing key equals the old one')
  if (!isRotationReason(reason)) throw new RangeError(`createRotation: reason must be one of ${ROTATION_REASONS.join(', ')}`)
  if (!isCount(opts.now)) throw new RangeError('createRotation: now must be a non-negative safe integer (ms)')
  if (!isCount(opts.gracePeriodMs) || opts.gracePeriodMs > ROTATION_GRACE_CEILING_MS) {
    throw new RangeError(`createRotation: gracePeriodMs must be an integer in 0..${ROTATION_GRACE_CEILING_MS}`)
  }
  const body = {
    v: 1,
    type: 'key-rotation',
    oldSignPub: oldId.signPub,
    newSignPub: newId.signPub,
    newEncryptPub: newId.encryptPub,
    reason,
    effectiveAt: opts.now,
    gracePeriodMs: opts.gracePeriodMs,
  } as const
  const sig = sign(Buffer.from(rotationSignedJson(body), 'utf8'), oldId.signSecretKey).toString('base64')
  return { ...body, sig }
}

/**
 * Safe on untrusted input (checks every type itself); refuses with ADMIT_BAD_ROTATION and a detail.
 * A grace above the 24 h ceiling is refused. One above our policy's maxGraceMs but within the
 * ceiling is accepted, because refusing deployed peers' 24 h default would break interop: the
 * caller shortens it with graceEndsAt(rotation, maxGraceMs). maxGraceMs is checked here so that a
 * policy beyond the ceiling fails loudly (RangeError) instead of silently widening the grace.
 */
export function verifyRotation(
  rotation: unknown,
  opts: { now: number; maxGraceMs?: number; freshnessMs?: number },
): Verdict<KeyRotation> {
  const { now, maxGraceMs = ROTATION_GRACE_CEILING_MS, freshnessMs = ROTATION_FRESHNESS_MS } = opts
  if (!(maxGraceMs >= 0 && maxGraceMs <= ROTATION_GRACE_CEILING_MS)) throw new RangeError(`verifyRotation: maxGraceMs must be in 0..${ROTATION_GRACE_CEILING_MS}`)
  if (!(freshnessMs >= 0)) throw new RangeError('verifyRotation: freshnessMs must be >= 0')
  if (typeof rotation !== 'object' || rotation === null || Array.isArray(rotation)) return bad('not a JSON object')
  const keys = Object.keys(rotation)
  if (keys.some((k) => FORBIDDEN.has(k))) return bad('carries __proto__, constructor or prototype')
  if (keys.length !== KEYS.length || keys.some((k, i) => k !== KEYS[i])) return bad(`keys are not exactly ${KEYS.join(',')}`)
  const { v, type, oldSignPub, newSignPub, newEncryptPub, reason, effectiveAt, gracePeriodMs, sig } = rotation as Record<string, unknown>
  if (v !== 1 || type !== 'key-rotation') return bad('v is not 1 or type is not key-rotation')
  if (typeof oldSignPub !== 'string' || typeof newSignPub !== 'string' || typeof newEncryptPub !== 'string') return bad('a key is not a string')
  const oldKey = decodeKey('ed25519Spki', oldSignPub)
  if (!oldKey) return bad('oldSignPub is not a base64 Ed25519 SPKI key')
  if (!decodeKey('ed25519Spki', newSignPub)) return bad('newSignPub is not a base64 Ed25519 SPKI key')
  if (!decodeKey('x25519Spki', newEncryptPub)) return bad('newEncryptPub is not a base64 X25519 SPKI key')
  if (!isRotationReason(reason)) return bad(`reason is not one of ${ROTATION_REASONS.join(', ')}`)
  if (!isCount(effectiveAt) || !isCount(gracePeriodMs)) return bad('effectiveAt or gracePeriodMs is not a non-negative safe integer')
  if (typeof sig !== 'string') return bad('sig is not a string')
  const checked: KeyRotation = { v: 1, type: 'key-rotation', oldSignPub, newSignPub, newEncryptPub, reason, effectiveAt, gracePeriodMs, sig }
  if (!verifyBody(rotationSignedJson(checked), sig, oldKey)) return bad('signature by oldSignPub does not verify')
  if (newSignPub === oldSignPub) return bad('newSignPub equals oldSignPub')
  // Written as !(… <= …) so that a NaN clock fails closed.
  if (!(Math.abs(now - effectiveAt) <= freshnessMs)) return bad('effectiveAt is outside the freshness window')
  if (gracePeriodMs > ROTATION_GRACE_CEILING_MS) return bad(`gracePeriodMs exceeds the ${ROTATION_GRACE_CEILING_MS} ms ceiling`)
  return accept(checked)
}

/**
 * When the old key stops being honoured: effectiveAt + min(announced grace, our maxGraceMs). The
 * old key is valid while now < graceEndsAt (upstream's isInGracePeriod boundary).
 */
export function graceEndsAt(rotation: KeyRotation, maxGraceMs: number): number {
  return rotation.effectiveAt + Math.min(rotation.gracePeriodMs, maxGraceMs)
}

/** The bytes the old key signs, always in the emitted key order whatever order the object's keys are in. */
export function rotationSignedJson(r: Omit<KeyRotation, 'sig'>): string {
  const { v, type, oldSignPub, newSignPub, newEncryptPub, reason, effectiveAt, gracePeriodMs } = r
  return JSON.stringify({ v, type, oldSignPub, newSignPub, newEncryptPub, reason, effectiveAt, gracePeriodMs })
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function bad(detail: string): Refusal {
  return refuse('ADMIT_BAD_ROTATION', detail)
}
