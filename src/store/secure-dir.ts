// The data directory: where it is, and that only its owner can enter it
// (DESIGN.md "State": directory 0700; SECURITY.md "Data Protection").
// An existing directory that is too open is refused, never quietly tightened.

import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { WoprP2PError } from '../reasons.ts'
import { formatMode, sweepTempFiles } from './atomic-file.ts'

/** `--data-dir` flag, else WOPR_P2P_DATA_DIR, else ~/.wopr/p2p; always absolute. Empty values count as unset. */
export function resolveDataDir({ flag, env = process.env }: { flag?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return resolve(flag || env.WOPR_P2P_DATA_DIR || join(env.HOME || homedir(), '.wopr', 'p2p'))
}

/** Create `path` (and missing parents) as 0700, or check that the existing one is a real directory with no group/other bits. */
export function ensureSecureDir(path: string): void {
  let st = lstatOrNull(path)
  if (st === null) {
    // The umask can only clear bits; chmod makes a directory we made exactly 0700 even under an odd umask.
    // mkdir returns undefined when another process made it first: then it is checked like any existing one.
    if (mkdirSync(path, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(path, 0o700)
    st = lstatSync(path)
  }
  if (st.isSymbolicLink()) {
    throw new WoprP2PError('STORE_INSECURE_MODE', `data directory ${path} is a symbolic link; whoever controls its target controls our state`, `replace it with a real directory (mkdir -m 700 ${path})`)
  }
  if (!st.isDirectory()) throw new WoprP2PError('STORE_WRONG_TYPE', `data directory ${path} exists but is not a directory`, 'point --data-dir or WOPR_P2P_DATA_DIR at a directory')
  if ((st.mode & 0o077) !== 0) {
    throw new WoprP2PError('STORE_INSECURE_MODE', `data directory ${path} has mode ${formatMode(st.mode)}; group and others must have no access`, `chmod 700 ${path}`)
  }
}

/** The one way a role opens its data dir: secure it, then remove temp files a crash left behind. */
export function openStateDir(path: string): void {
  ensureSecureDir(path)
  sweepTempFiles(path)
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}
