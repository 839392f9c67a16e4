// Scratch directories for filesystem tests, all under one 0700 root that is
// removed when the test process exits, plus the two mode helpers those tests share.

import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let root: string | undefined
let count = 0

/** A new, not-yet-existing path under the root (the code under test decides how to create it). */
export function freshPath(name = 'p2p'): string {
  if (root === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'wopr-p2p-test-'))
    process.on('exit', () => rmSync(made, { recursive: true, force: true }))
    root = made
  }
  return join(root, `${++count}-${name}`)
}

/** Permission bits of `path` (following symlinks), e.g. 0o600. */
export function modeOf(path: string): number {
  return statSync(path).mode & 0o7777
}

/** Run `fn` under `mask` and restore the previous umask, even when `fn` throws. */
export function withUmask<T>(mask: number, fn: () => T): T {
  const previous = process.umask(mask)
  try {
    return fn()
  } finally {
    process.umask(previous)
  }
}
