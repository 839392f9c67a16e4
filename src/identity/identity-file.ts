// identity.json in the data dir: the agent's private keys, 0600 (SECURITY.md "Cryptographic
// Identity", "Data Protection"). Made once by `wopr-p2p init`; replaced only with --force,
// because a new identity means every friend stops recognising this agent.

import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import { WoprP2PError } from '../reasons.ts'
import { writeFileAtomic } from '../store/atomic-file.ts'
import { JsonFile } from '../store/json-file.ts'
import { ensureSecureDir, openStateDir } from '../store/secure-dir.ts'
import { createIdentityRecord, loadIdentity, type Identity, type IdentityRecord } from './keys.ts'

export const IDENTITY_FILE = 'identity.json'

const KEY_FIELDS = ['signPub', 'signPriv', 'encryptPub', 'encryptPriv'] as const

/** Create a new identity in `dataDir` (made 0700 if missing); refuses to replace one unless `force`. */
export function initIdentity(dataDir: string, { force = false, now = Date.now() }: { force?: boolean; now?: number } = {}): Identity {
  openStateDir(dataDir)
  const path = join(dataDir, IDENTITY_FILE)
  if (!force && exists(path)) {
    throw new WoprP2PError('STORE_EXISTS', `${path} already holds this agent's identity; refusing to replace it`, 'wopr-p2p init --force replaces it, and every friend will then stop recognising this agent')
  }
  const record = createIdentityRecord(now)
  writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`)
  return loadIdentity(record)
}

/** Read and check identity.json: secure modes, exact shape, and every public key matching its private half. */
export function readIdentity(dataDir: string): Identity {
  ensureSecureDir(dataDir)
  const path = join(dataDir, IDENTITY_FILE)
  const file = new JsonFile<Identity>(path, {
    validate: (value) => loadIdentity(toIdentityRecord(value)),
    defaultValue: () => {
      throw new WoprP2PError('STORE_MISSING', `no identity at ${path}`, `wopr-p2p init (with --data-dir ${dataDir} if that is not the default)`)
    },
  })
  return file.load()
}

function toIdentityRecord(value: unknown): IdentityRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not a JSON object')
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort().join(',')
  if (keys !== [...KEY_FIELDS, 'createdAt'].sort().join(',')) throw new TypeError(`fields are ${keys}; expected ${[...KEY_FIELDS, 'createdAt'].join(', ')}`)
  for (const field of KEY_FIELDS) if (typeof record[field] !== 'string') throw new TypeError(`${field} is not a string`)
  if (!Number.isSafeInteger(record.createdAt)) throw new TypeError('createdAt is not an integer timestamp')
  return record as unknown as IdentityRecord
}

function exists(path: string): boolean {
  try {
    lstatSync(path) // lstat: a dangling symlink named identity.json still counts as something not to clobber
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}
