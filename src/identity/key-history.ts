// Our own rotated-away keys (SECURITY.md "Key Rotation"; WIRE.md "Rotation"):
// after `rotate-keys` the old identity keeps answering on its old topic until
// the grace period ends, and the signed rotation notice waits here for every
// peer that has not acknowledged it yet. One 0600 file, written atomically:
// key-history.json. Written BEFORE identity.json is replaced, so a crash in
// between never loses the old private key.

import { join } from 'node:path'
import { z } from 'zod'
import { JsonFile } from '../store/json-file.ts'
import type { KeyRotation } from '../wire/rotation.ts'
import type { IdentityRecord } from './keys.ts'

export interface RetiredIdentity {
  record: IdentityRecord
  rotation: KeyRotation
  /** The old key is honoured until here (effectiveAt + grace). */
  graceUntil: number
  /** Peers (signing keys) that still have to be told; retried until acknowledged or the grace ends. */
  unnotified: string[]
}

export interface KeyHistory {
  v: 1
  retired: RetiredIdentity[]
}

const recordSchema = z.strictObject({ signPub: z.string(), signPriv: z.string(), encryptPub: z.string(), encryptPriv: z.string(), createdAt: z.number() })
const rotationSchema = z.strictObject({
  v: z.literal(1),
  type: z.literal('key-rotation'),
  oldSignPub: z.string(),
  newSignPub: z.string(),
  newEncryptPub: z.string(),
  reason: z.enum(['scheduled', 'compromise', 'upgrade']),
  effectiveAt: z.number(),
  gracePeriodMs: z.number(),
  sig: z.string(),
})
const historySchema = z.strictObject({
  v: z.literal(1),
  retired: z.array(z.strictObject({ record: recordSchema, rotation: rotationSchema, graceUntil: z.number(), unnotified: z.array(z.string()) })),
})

export function keyHistoryFile(dataDir: string): JsonFile<KeyHistory> {
  return new JsonFile(join(dataDir, 'key-history.json'), { validate: (v) => historySchema.parse(v) as KeyHistory, defaultValue: () => ({ v: 1, retired: [] }) })
}

/** Retired identities still inside their grace at `now`. */
export function liveRetired(history: KeyHistory, now: number): RetiredIdentity[] {
  return history.retired.filter((r) => now < r.graceUntil)
}

export function markNotified(history: KeyHistory, oldSignPub: string, peer: string): KeyHistory {
  return {
    ...history,
    retired: history.retired.map((r) => (r.record.signPub === oldSignPub ? { ...r, unnotified: r.unnotified.filter((p) => p !== peer) } : r)),
  }
}

/** Forget retired keys whose grace has ended: their private halves are no longer needed. */
export function pruneHistory(history: KeyHistory, now: number): KeyHistory {
  return { ...history, retired: liveRetired(history, now) }
}
