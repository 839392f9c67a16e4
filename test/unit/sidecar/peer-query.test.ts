import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { addFriend, claimInvite, emptyPeerState, issueInvite, type PeerState } from '../../../src/friends/model.ts'
import { shortIdOf } from '../../../src/identity/ids.ts'
import { createIdentityRecord, loadIdentity } from '../../../src/identity/keys.ts'
import { knownPeers, resolvePeer } from '../../../src/sidecar/peer-query.ts'
import { friendSessionName } from '../../../src/wire/friend-lines.ts'

const [alice, bob, carol, dave] = [1, 2, 3, 4].map(() => loadIdentity(createIdentityRecord(0)))

function befriend(state: PeerState, name: string, id: typeof alice): PeerState {
  return addFriend(state, { name, signPub: id!.signPub, encryptPub: id!.encryptPub, session: friendSessionName(name, id!.signPub), addedAt: 0 })
}

let state = befriend(befriend(emptyPeerState(), 'Alice', alice), 'bob', bob)
state = issueInvite(state, { nonce: 'n'.repeat(32), sub: carol!.signPub, sessions: ['shared'], exp: 10 })
state = claimInvite(state, 'n'.repeat(32), { signPub: carol!.signPub, encryptPub: carol!.encryptPub }, 0)

test('a friend resolves by name (case and a leading @ ignored), by short id or prefix, and by full key', () => {
  for (const q of ['alice', '@ALICE', shortIdOf(alice!.signPub), shortIdOf(alice!.signPub).slice(0, 6), alice!.signPub]) {
    const r = resolvePeer(state, q)
    assert.ok(r.ok && r.value.signPub === alice!.signPub && r.value.session === friendSessionName('Alice', alice!.signPub), q)
  }
})

test('a grantee who is not a friend resolves by short id, with its recorded encryption key', () => {
  const r = resolvePeer(state, shortIdOf(carol!.signPub))
  assert.ok(r.ok)
  if (r.ok) assert.equal(r.value, { signPub: carol!.signPub, encryptPub: carol!.encryptPub })
})

test('an unknown full key resolves as itself; unknown names and short ids are refused', () => {
  assert.equal(resolvePeer(state, dave!.signPub), { ok: true, value: { signPub: dave!.signPub } })
  for (const q of ['mallory', shortIdOf(dave!.signPub), '12345', 'MCowBQYDK2VwAyEA']) {
    const r = resolvePeer(state, q)
    assert.ok(!r.ok && r.reason === 'SIDECAR_UNKNOWN_PEER', q)
  }
})

test('a name two peers share is ambiguous, never a guess', () => {
  const twice = befriend(state, 'alice', dave)
  const r = resolvePeer(twice, 'alice')
  assert.ok(!r.ok && r.reason === 'SIDECAR_AMBIGUOUS_PEER')
  assert.ok(resolvePeer(twice, dave!.signPub).ok, 'the full key still picks one')
})

test('knownPeers lists friends and grantees once each', () => {
  assert.equal(knownPeers(state).map((p) => p.signPub).sort(), [alice, bob, carol].map((i) => i!.signPub).sort())
})

test.run()
