// ensureSecureDir / resolveDataDir (DESIGN.md "State": directory 0700): created
// exactly 0700 under any umask; an existing open, symlinked or non-directory path is refused untouched.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ensureSecureDir, resolveDataDir } from '../../../src/store/secure-dir.ts'
import { expectWoprError } from '../../support/expect-error.ts'
import { freshPath, modeOf, withUmask } from '../../support/temp-dirs.ts'

test('resolveDataDir: flag, then WOPR_P2P_DATA_DIR, then ~/.wopr/p2p; empty values count as unset', () => {
  assert.is(resolveDataDir({ flag: '/a', env: { WOPR_P2P_DATA_DIR: '/b', HOME: '/h' } }), '/a')
  assert.is(resolveDataDir({ env: { WOPR_P2P_DATA_DIR: '/b', HOME: '/h' } }), '/b')
  assert.is(resolveDataDir({ flag: '', env: { WOPR_P2P_DATA_DIR: '', HOME: '/h' } }), '/h/.wopr/p2p')
  assert.is(resolveDataDir({ flag: 'rel/dir', env: {} }), resolve('rel/dir'))
})

test('creates missing directories 0700, even under umask 000', () => {
  for (const mask of [0o000, 0o022, 0o077]) {
    const dir = join(freshPath(), 'nested', 'p2p')
    withUmask(mask, () => ensureSecureDir(dir))
    assert.is(modeOf(dir), 0o700, `umask ${mask.toString(8)}`)
    assert.is(modeOf(join(dir, '..')), 0o700, 'missing parents are made private too')
  }
})

test('accepts an existing 0700 directory', () => {
  const dir = freshPath()
  mkdirSync(dir, { mode: 0o700 })
  ensureSecureDir(dir)
  assert.is(modeOf(dir), 0o700)
})

test('refuses an existing 0755 or 0710 directory, naming path and mode, and leaves it as it was', () => {
  for (const mode of [0o755, 0o710, 0o701]) {
    const dir = freshPath()
    withUmask(0, () => mkdirSync(dir, { mode }))
    const err = expectWoprError(() => ensureSecureDir(dir), 'STORE_INSECURE_MODE')
    assert.ok(err.message.includes(dir) && err.message.includes(`0${mode.toString(8)}`), err.message)
    assert.is(err.hint, `chmod 700 ${dir}`)
    assert.is(modeOf(dir), mode, 'never silently chmod')
  }
})

test('refuses a symlink, even to a private directory', () => {
  const target = freshPath()
  mkdirSync(target, { mode: 0o700 })
  const link = freshPath()
  symlinkSync(target, link)
  expectWoprError(() => ensureSecureDir(link), 'STORE_INSECURE_MODE')
})

test('refuses a path that is a file', () => {
  const file = freshPath()
  writeFileSync(file, '', { mode: 0o600 })
  expectWoprError(() => ensureSecureDir(file), 'STORE_WRONG_TYPE')
})

test.run()
