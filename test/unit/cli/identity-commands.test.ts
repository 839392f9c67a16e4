// `wopr-p2p init` and `wopr-p2p id` through the real launcher, as an operator runs them.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { freshPath } from '../../support/temp-dirs.ts'

const bin = new URL('../../../bin/wopr-p2p.js', import.meta.url).pathname

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, WOPR_P2P_DATA_DIR: '' } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

test('init creates a private identity; id shows it; a second init is refused with a hint', () => {
  const dir = freshPath()
  const first = cli('--data-dir', dir, 'init', '--json')
  assert.is(first.code, 0, first.err)
  const created = JSON.parse(first.out)
  assert.match(created.shortId, /^[0-9a-f]{8}$/)
  assert.match(created.signPub, /^MCowBQYDK2VwAyEA/)
  assert.match(created.encryptPub, /^MCowBQYDK2VuAyEA/)
  assert.match(created.fingerprint, /^([0-9a-f]{4} ){7}[0-9a-f]{4}$/)
  assert.is(statSync(dir).mode & 0o777, 0o700)
  assert.is(statSync(join(dir, 'identity.json')).mode & 0o777, 0o600)

  const shown = cli('--data-dir', dir, 'id', '--json')
  assert.is(shown.code, 0)
  assert.equal(JSON.parse(shown.out), created)

  const again = cli('--data-dir', dir, 'init')
  assert.is(again.code, 1)
  assert.match(again.err, /hint: .*--force/)
  assert.equal(JSON.parse(cli('--data-dir', dir, 'id', '--json').out), created, 'the identity was not replaced')

  const forced = cli('--data-dir', dir, 'init', '--force', '--json')
  assert.is(forced.code, 0)
  assert.is.not(JSON.parse(forced.out).signPub, created.signPub)
})

test('id refuses a world-readable identity file and says how to fix it', () => {
  const dir = freshPath()
  assert.is(cli('--data-dir', dir, 'init').code, 0)
  chmodSync(join(dir, 'identity.json'), 0o644)
  const r = cli('--data-dir', dir, 'id')
  assert.is(r.code, 1)
  assert.match(r.err, /0644/)
  assert.match(r.err, /hint: chmod 600/)
})

test('id without an identity says to run init; unknown verbs are usage errors', () => {
  const r = cli('--data-dir', freshPath(), 'id')
  assert.is(r.code, 1)
  assert.match(r.err, /wopr-p2p init/)
  assert.is(cli('frobnicate').code, 2)
})

test.run()
