// JsonFile (DESIGN.md "State"): missing → default, round trip through an atomic 0600
// write, and anything unreadable is STORE_CORRUPT naming the file, which is left untouched.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { JsonFile } from '../../../src/store/json-file.ts'
import { ensureSecureDir } from '../../../src/store/secure-dir.ts'
import { expectWoprError } from '../../support/expect-error.ts'
import { freshPath, modeOf, withUmask } from '../../support/temp-dirs.ts'

interface Friends {
  friends: string[]
}

function validateFriends(value: unknown): Friends {
  const friends = (value as Partial<Friends> | null)?.friends
  if (!Array.isArray(friends) || !friends.every((f) => typeof f === 'string')) throw new TypeError('friends must be an array of strings')
  return { friends }
}

function friendsFile(): JsonFile<Friends> {
  const dir = freshPath()
  ensureSecureDir(dir)
  return new JsonFile(join(dir, 'friends.json'), { validate: validateFriends, defaultValue: () => ({ friends: [] }) })
}

test('a missing file loads as a fresh default each time', () => {
  const file = friendsFile()
  const a = file.load()
  a.friends.push('mutated')
  assert.equal(file.load(), { friends: [] })
})

test('save then load round-trips, and the file is 0600 after every save under umask 000', () => {
  const file = friendsFile()
  withUmask(0, () => {
    file.save({ friends: ['alice'] })
    assert.is(modeOf(file.path), 0o600)
    file.save({ friends: ['alice', 'bob'] })
    assert.is(modeOf(file.path), 0o600)
  })
  assert.equal(file.load(), { friends: ['alice', 'bob'] })
})

test('unparsable, empty, invalid UTF-8 or wrongly shaped → STORE_CORRUPT naming the file, never reset', () => {
  const cases: Array<string | Buffer> = ['{"friends": [', '', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), '{"friends": [1]}', 'null', '[]']
  for (const bytes of cases) {
    const file = friendsFile()
    writeFileSync(file.path, bytes, { mode: 0o600 })
    const err = expectWoprError(() => file.load(), 'STORE_CORRUPT')
    assert.ok(err.message.includes(file.path), err.message)
    assert.equal(readFileSync(file.path), Buffer.from(bytes), 'the corrupt file is left for the operator')
  }
})

test('an insecure file is refused before it is parsed', () => {
  const file = friendsFile()
  file.save({ friends: ['alice'] })
  chmodSync(file.path, 0o644)
  expectWoprError(() => file.load(), 'STORE_INSECURE_MODE')
})

test.run()
