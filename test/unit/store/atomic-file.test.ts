// writeFileAtomic / readSecureFile / sweepTempFiles (DESIGN.md "State"; SECURITY.md
// "Data Protection"): 0600 after every write under any umask, no temp left behind,
// insecure or odd files refused, and the sweep touches only our own dead temp files.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readSecureFile, sweepTempFiles, writeFileAtomic } from '../../../src/store/atomic-file.ts'
import { ensureSecureDir } from '../../../src/store/secure-dir.ts'
import { expectWoprError } from '../../support/expect-error.ts'
import { freshPath, modeOf, withUmask } from '../../support/temp-dirs.ts'

function stateDir(): string {
  const dir = freshPath()
  ensureSecureDir(dir)
  return dir
}

test('every write leaves exactly 0600 and no temp file, under umask 000, 022 and 277', () => {
  for (const mask of [0o000, 0o022, 0o277]) {
    const dir = stateDir()
    const file = join(dir, 'friends.json')
    withUmask(mask, () => {
      writeFileAtomic(file, 'one')
      assert.is(modeOf(file), 0o600)
      writeFileAtomic(file, Buffer.from('two'))
      assert.is(modeOf(file), 0o600)
    })
    assert.is(readFileSync(file, 'utf8'), 'two')
    assert.equal(readdirSync(dir), ['friends.json'])
  }
})

test('replacing a 0644 file or a symlink yields a private regular file and leaves the link target alone', () => {
  const dir = stateDir()
  const file = join(dir, 'peers.json')
  writeFileSync(file, 'old', { mode: 0o644 })
  chmodSync(file, 0o644)
  writeFileAtomic(file, 'new')
  assert.is(modeOf(file), 0o600)
  const outside = join(stateDir(), 'outside')
  writeFileSync(outside, 'untouched', { mode: 0o600 })
  const link = join(dir, 'access.json')
  symlinkSync(outside, link)
  writeFileAtomic(link, 'ours')
  assert.is(readFileSync(outside, 'utf8'), 'untouched')
  assert.is(readSecureFile(link)?.toString(), 'ours')
})

test('a failed write throws and removes its temp file', () => {
  const dir = stateDir()
  const target = join(dir, 'friends.json')
  mkdirSync(target)
  writeFileSync(join(target, 'inside'), '')
  assert.throws(() => writeFileAtomic(target, 'x'), /EISDIR|ENOTEMPTY|EEXIST/)
  assert.equal(readdirSync(dir), ['friends.json'])
  assert.throws(() => writeFileAtomic(join(dir, 'missing', 'f.json'), 'x'), /ENOENT/)
})

test('readSecureFile: missing → null; 0600 → contents', () => {
  const dir = stateDir()
  assert.is(readSecureFile(join(dir, 'nope.json')), null)
  writeFileAtomic(join(dir, 'ok.json'), 'hello')
  assert.is(readSecureFile(join(dir, 'ok.json'))?.toString(), 'hello')
})

test('readSecureFile refuses any group/other bit, naming path and mode', () => {
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
    const file = join(stateDir(), 'identity.json')
    writeFileAtomic(file, '{}')
    chmodSync(file, mode)
    const err = expectWoprError(() => readSecureFile(file), 'STORE_INSECURE_MODE')
    assert.ok(err.message.includes(file) && err.message.includes(`0${mode.toString(8)}`), err.message)
    assert.is(err.hint, `chmod 600 ${file}`)
    assert.is(modeOf(file), mode, 'never silently chmod')
  }
})

test('readSecureFile refuses a symlink (even to a 0600 file), a directory and a FIFO without blocking', () => {
  const dir = stateDir()
  writeFileAtomic(join(dir, 'real.json'), '{}')
  symlinkSync(join(dir, 'real.json'), join(dir, 'link.json'))
  expectWoprError(() => readSecureFile(join(dir, 'link.json')), 'STORE_INSECURE_MODE')
  mkdirSync(join(dir, 'dir.json'), { mode: 0o700 })
  expectWoprError(() => readSecureFile(join(dir, 'dir.json')), 'STORE_WRONG_TYPE')
  assert.is(spawnSync('mkfifo', ['-m', '600', join(dir, 'fifo.json')]).status, 0)
  expectWoprError(() => readSecureFile(join(dir, 'fifo.json')), 'STORE_WRONG_TYPE')
})

test('sweepTempFiles removes only our temp-name shape, only regular files, never a live writer’s', () => {
  const dir = stateDir()
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid
  const names = {
    dead: `.friends.json.${deadPid}.0123456789abcdef.wopr-tmp`,
    ours: `.peers.json.${process.pid}.fedcba9876543210.wopr-tmp`,
    liveOther: `.access.json.${process.ppid}.00112233445566aa.wopr-tmp`,
  }
  const keep = ['friends.json', '.friends.json.tmp', 'x.1.0123456789abcdef.wopr-tmp', `.a.${deadPid}.0123456789ABCDEF.wopr-tmp`, `.a.${deadPid}.0123.wopr-tmp`]
  for (const name of [...Object.values(names), ...keep]) writeFileSync(join(dir, name), '', { mode: 0o600 })
  mkdirSync(join(dir, `.d.${deadPid}.0123456789abcdef.wopr-tmp`))
  symlinkSync(join(dir, 'friends.json'), join(dir, `.l.${deadPid}.0123456789abcdef.wopr-tmp`))
  assert.equal(sweepTempFiles(dir).sort(), [names.dead, names.ours].sort())
  assert.ok(existsSync(join(dir, names.liveOther)), 'a live process may be mid-write')
  for (const name of keep) assert.ok(existsSync(join(dir, name)), name)
})

test.run()
