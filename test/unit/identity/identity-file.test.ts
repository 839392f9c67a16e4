// identity.json (SECURITY.md "Cryptographic Identity", "Data Protection"): created 0600 in a
// 0700 dir, never replaced without --force, and read back only when private, well-formed and
// with every public key matching its private half.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { IDENTITY_FILE, initIdentity, readIdentity } from '../../../src/identity/identity-file.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }
import { expectWoprError } from '../../support/expect-error.ts'
import { freshPath, modeOf, withUmask } from '../../support/temp-dirs.ts'

const NOW = 1_700_000_000_000

function vectorRecord(who: 'alice' | 'bob') {
  const { signPub, signPriv, encryptPub, encryptPriv } = vectors.identities[who]
  return { signPub, signPriv, encryptPub, encryptPriv, createdAt: NOW }
}

function dirWithIdentity(record: unknown): string {
  const dir = freshPath()
  mkdirSync(dir, { mode: 0o700 })
  writeFileSync(join(dir, IDENTITY_FILE), JSON.stringify(record), { mode: 0o600 })
  return dir
}

test('init creates identity.json 0600 in a new 0700 dir under umask 000; read gives the same keys', () => {
  const dir = join(freshPath(), 'p2p')
  const made = withUmask(0, () => initIdentity(dir, { now: NOW }))
  assert.is(modeOf(dir), 0o700)
  assert.is(modeOf(join(dir, IDENTITY_FILE)), 0o600)
  const read = readIdentity(dir)
  assert.equal(read.record, made.record)
  assert.is(read.record.createdAt, NOW)
  assert.is(read.shortId, made.shortId)
})

test('init refuses to replace an identity (even a dangling symlink) without force, with a --force hint', () => {
  const dir = freshPath()
  initIdentity(dir, { now: NOW })
  const before = readFileSync(join(dir, IDENTITY_FILE))
  const err = expectWoprError(() => initIdentity(dir, { now: NOW + 1 }), 'STORE_EXISTS')
  assert.ok(err.hint?.includes('--force'), err.hint)
  assert.equal(readFileSync(join(dir, IDENTITY_FILE)), before)
  const other = freshPath()
  mkdirSync(other, { mode: 0o700 })
  symlinkSync(join(other, 'nowhere'), join(other, IDENTITY_FILE))
  expectWoprError(() => initIdentity(other, { now: NOW }), 'STORE_EXISTS')
})

test('init with force replaces the identity, still 0600', () => {
  const dir = freshPath()
  const first = initIdentity(dir, { now: NOW })
  const second = initIdentity(dir, { now: NOW + 1, force: true })
  assert.is.not(second.signPub, first.signPub)
  assert.is(readIdentity(dir).signPub, second.signPub)
  assert.is(modeOf(join(dir, IDENTITY_FILE)), 0o600)
})

test('read: a missing identity says to run wopr-p2p init', () => {
  const dir = freshPath()
  mkdirSync(dir, { mode: 0o700 })
  const err = expectWoprError(() => readIdentity(dir), 'STORE_MISSING')
  assert.ok(err.hint?.startsWith('wopr-p2p init'), err.hint)
})

test('read accepts the upstream vector keys', () => {
  const identity = readIdentity(dirWithIdentity(vectorRecord('alice')))
  assert.is(identity.shortId, vectors.identities.alice.shortId)
})

test('read refuses a 0644 identity, a 0755 dir and a symlinked identity', () => {
  const loose = dirWithIdentity(vectorRecord('alice'))
  chmodSync(join(loose, IDENTITY_FILE), 0o644)
  expectWoprError(() => readIdentity(loose), 'STORE_INSECURE_MODE')
  const openDir = dirWithIdentity(vectorRecord('alice'))
  chmodSync(openDir, 0o755)
  expectWoprError(() => readIdentity(openDir), 'STORE_INSECURE_MODE')
  const linked = freshPath()
  mkdirSync(linked, { mode: 0o700 })
  symlinkSync(join(loose, IDENTITY_FILE), join(linked, IDENTITY_FILE))
  expectWoprError(() => readIdentity(linked), 'STORE_INSECURE_MODE')
})

test('read: mismatched keys, missing, extra or mistyped fields, or bad JSON are STORE_CORRUPT', () => {
  const alice = vectorRecord('alice')
  const { createdAt: _dropped, ...noCreatedAt } = alice
  const cases: unknown[] = [
    { ...alice, signPub: vectors.identities.bob.signPub },
    { ...alice, encryptPub: vectors.identities.bob.encryptPub },
    { ...alice, signPriv: 'not base64 DER' },
    noCreatedAt,
    { ...alice, extra: 1 },
    { ...alice, createdAt: '1700000000000' },
    [alice],
    null,
  ]
  for (const record of cases) {
    const dir = dirWithIdentity(record)
    const err = expectWoprError(() => readIdentity(dir), 'STORE_CORRUPT')
    assert.ok(err.message.includes(join(dir, IDENTITY_FILE)), err.message)
  }
  const dir = dirWithIdentity(alice)
  writeFileSync(join(dir, IDENTITY_FILE), '{"signPub":')
  expectWoprError(() => readIdentity(dir), 'STORE_CORRUPT')
})

test.run()
