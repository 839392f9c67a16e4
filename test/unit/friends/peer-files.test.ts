import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PeerFiles } from '../../../src/friends/peer-files.ts'
import { addFriend, emptyPeerState, grant, removeFriend, revoke } from '../../../src/friends/model.ts'
import { ensureSecureDir } from '../../../src/store/secure-dir.ts'
import { freshPath } from '../../support/temp-dirs.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

const alice = vectors.identities.alice
const friend = { name: 'alice', signPub: alice.signPub, encryptPub: alice.encryptPub, session: 'friend:p2p:alice(f10736)', addedAt: 1 }

function dir(): string {
  const d = freshPath()
  ensureSecureDir(d)
  return d
}

test('an empty data dir loads as no friends, no grants', () => {
  assert.equal(new PeerFiles(dir()).load(), emptyPeerState())
})

test('friends and grants survive a reload; files are 0600', () => {
  const d = dir()
  const files = new PeerFiles(d)
  const before = emptyPeerState()
  const after = grant(addFriend(before, friend), alice.signPub, friend.session, 'inject')
  files.save(before, after)
  assert.equal(new PeerFiles(d).load(), after)
  for (const f of ['friends.json', 'access.json', 'peers.json']) assert.is(statSync(join(d, f)).mode & 0o777, 0o600, f)
})

test('revoke and unfriend are persisted: the grant is gone after a reload', () => {
  const d = dir()
  const files = new PeerFiles(d)
  const granted = grant(addFriend(emptyPeerState(), friend), alice.signPub, friend.session, 'inject')
  files.save(emptyPeerState(), granted)
  const revoked = revoke(granted, alice.signPub, 'inject')
  files.save(granted, revoked)
  assert.equal(new PeerFiles(d).load().access.grants[alice.signPub], { [friend.session]: ['message'] })
  const gone = removeFriend(revoked, alice.signPub)
  files.save(revoked, gone)
  const reloaded = new PeerFiles(d).load()
  assert.is(reloaded.access.grants[alice.signPub], undefined)
  assert.equal(reloaded.friends.friends, [])
})

test('a damaged or hand-widened file is refused, naming the file', () => {
  const d = dir()
  writeFileSync(join(d, 'access.json'), JSON.stringify({ v: 1, grants: { k: { s: ['owner'] } }, invites: [], claimed: [] }), { mode: 0o600 })
  assert.throws(() => new PeerFiles(d).load(), (e: Error) => /access\.json/.test(e.message))
  writeFileSync(join(d, 'access.json'), JSON.stringify({ v: 1, grants: { __proto__: {} }, invites: [], claimed: [], extra: 1 }), { mode: 0o600 })
  assert.throws(() => new PeerFiles(d).load(), (e: Error) => /access\.json/.test(e.message))
})

test.run()
