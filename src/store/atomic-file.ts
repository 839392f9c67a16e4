// Reading and writing one state file (DESIGN.md "State": files 0600, every write
// temp file → fsync → rename → fsync dir, so a crash leaves the old or the new
// contents, never a mix). Synchronous on purpose: the replay store calls it mid-check.

import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { WoprP2PError } from '../reasons.ts'

// `.<target>.<pid>.<16 hex>.wopr-tmp` — the sweep removes only names of exactly this shape.
const TEMP_NAME = /^\..+\.([1-9]\d{0,9})\.[0-9a-f]{16}\.wopr-tmp$/

/** Replace `path` with `data` (mode 0600) so that readers and crashes see either the old file or the new one. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(8).toString('hex')}.wopr-tmp`)
  // O_EXCL: never write through a name someone else prepared. Outside the try: if it fails, there is nothing of ours to remove.
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    try {
      fchmodSync(fd, 0o600) // the umask may have cleared owner bits; make it exact
      writeFileSync(fd, data)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, path)
  } catch (err) {
    rmSync(temp, { force: true })
    throw err
  }
  // The rename is only durable once the directory entry is on disk.
  const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}

/** The file's bytes, or null when it does not exist; refuses a symlink, a non-regular file or any group/other mode bit. */
export function readSecureFile(path: string): Buffer | null {
  let fd: number
  try {
    // O_NOFOLLOW turns a symlink into ELOOP instead of following it; O_NONBLOCK keeps a planted FIFO from hanging us.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ELOOP') {
      throw new WoprP2PError('STORE_INSECURE_MODE', `state file ${path} is a symbolic link; whoever controls its target controls this state`, `replace ${path} with the real file`)
    }
    throw err
  }
  try {
    // fstat of the open descriptor: what we checked is what we read.
    const st = fstatSync(fd)
    if (!st.isFile()) throw new WoprP2PError('STORE_WRONG_TYPE', `state file ${path} is not a regular file`, `move ${path} aside`)
    if ((st.mode & 0o077) !== 0) {
      throw new WoprP2PError('STORE_INSECURE_MODE', `state file ${path} has mode ${formatMode(st.mode)}; group and others must have no access`, `chmod 600 ${path}`)
    }
    return readFileSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Remove temp files a crash left in `dir`; returns their names. Only our temp-name
 * shape, only regular files, and never one whose writer is another live process
 * (ours cannot be mid-write, since writes are synchronous; and a restarted
 * container often gets the same pid as the one that crashed).
 */
export function sweepTempFiles(dir: string): string[] {
  const removed: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const pid = TEMP_NAME.exec(entry.name)?.[1]
    if (pid === undefined || !entry.isFile() || isOtherLiveProcess(Number(pid))) continue
    rmSync(join(dir, entry.name), { force: true })
    removed.push(entry.name)
  }
  return removed
}

/** Mode bits as four octal digits, for messages (`0644`). */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}

function isOtherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
