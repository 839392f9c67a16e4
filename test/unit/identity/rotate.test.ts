import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { initIdentity, readIdentity } from '../../../src/identity/identity-file.ts'
import { keyHistoryFile, liveRetired, markNotified } from '../../../src/identity/key-history.ts'
import { rotateIdentity } from '../../../src/identity/rotate.ts'
import { verifyRotation } from '../../../src/wire/rotation.ts'
import { freshPath } from '../../support/temp-dirs.ts'

const T0 = 1_800_000_000_000

test('rotation replaces the identity, keeps the old one for the grace, and the notice verifies against the old key', () => {
  const dir = freshPath()
  const old = initIdentity(dir, { now: T0 })
  const r = rotateIdentity(dir, old, { reason: 'scheduled', now: T0 + 10, graceMs: 86_400_000, notify: ['p1', 'p2', 'p1'] })
  const current = readIdentity(dir)
  assert.is(current.signPub, r.identity.signPub)
  assert.is.not(current.signPub, old.signPub)
  assert.is(r.rotation.oldSignPub, old.signPub)
  assert.ok(verifyRotation(r.rotation, { now: T0 + 10 }).ok)
  const history = keyHistoryFile(dir).load()
  assert.is(history.retired.length, 1)
  assert.is(history.retired[0]!.record.signPriv, old.record.signPriv, 'the old private key is kept for the grace')
  assert.equal(history.retired[0]!.unnotified, ['p1', 'p2'])
  assert.is(statSync(join(dir, 'key-history.json')).mode & 0o777, 0o600)
  assert.is(liveRetired(history, T0 + 10 + 86_399_999).length, 1)
  assert.is(liveRetired(history, T0 + 10 + 86_400_000).length, 0, 'gone when the grace ends')
  assert.equal(markNotified(history, old.signPub, 'p1').retired[0]!.unnotified, ['p2'])
})

test('a second rotation drops keys whose grace ended', () => {
  const dir = freshPath()
  const first = initIdentity(dir, { now: T0 })
  const second = rotateIdentity(dir, first, { reason: 'scheduled', now: T0, graceMs: 1000, notify: [] }).identity
  rotateIdentity(dir, second, { reason: 'compromise', now: T0 + 5000, graceMs: 1000, notify: [] })
  const retired = keyHistoryFile(dir).load().retired
  assert.equal(retired.map((r) => r.record.signPub), [second.signPub])
})

test.run()
