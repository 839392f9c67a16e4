// `rotate-keys` on disk (SECURITY.md "Key Rotation"): a new identity, a notice
// signed by the old key, and the old identity kept in key-history.json for the
// grace period. The history is written first: a crash before identity.json is
// replaced leaves the old identity current and nothing lost.

import { join } from 'node:path'
import { writeFileAtomic } from '../store/atomic-file.ts'
import { createRotation, type KeyRotation, type RotationReason } from '../wire/rotation.ts'
import { IDENTITY_FILE } from './identity-file.ts'
import { keyHistoryFile, pruneHistory } from './key-history.ts'
import { createIdentityRecord, loadIdentity, type Identity } from './keys.ts'

export interface Rotated {
  identity: Identity
  rotation: KeyRotation
  graceUntil: number
}

export function rotateIdentity(
  dataDir: string,
  current: Identity,
  o: { reason: RotationReason; now: number; graceMs: number; notify: readonly string[] },
): Rotated {
  const next = loadIdentity(createIdentityRecord(o.now))
  const rotation = createRotation(current, next, o.reason, { now: o.now, gracePeriodMs: o.graceMs })
  const graceUntil = o.now + o.graceMs
  const history = keyHistoryFile(dataDir)
  const kept = pruneHistory(history.load(), o.now)
  history.save({ ...kept, retired: [...kept.retired, { record: current.record, rotation, graceUntil, unnotified: [...new Set(o.notify)] }] })
  writeFileAtomic(join(dataDir, IDENTITY_FILE), `${JSON.stringify(next.record, null, 2)}\n`)
  return { identity: next, rotation, graceUntil }
}
