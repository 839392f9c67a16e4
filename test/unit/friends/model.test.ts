import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PeerDirectory, mayUse } from '../../../src/friends/directory.ts'
import {
  addFriend, applyRotation, claimInvite, emptyPeerState, grant, issueInvite, pruneExpired, removeFriend, revoke, type Friend,
} from '../../../src/friends/model.ts'
import vectors from '../../vectors/wire-v2.json' with { type: 'json' }

const T0 = 1_800_000_000_000
const alice = vectors.identities.alice
const bob = vectors.identities.bob
const rotated = vectors.rotation.new

const friend: Friend = { name: 'alice', signPub: alice.signPub, encryptPub: alice.encryptPub, session: 'friend:p2p:alice(f10736)', addedAt: T0 }

test('a new friend holds message on its own session and nothing else', () => {
  const s = addFriend(emptyPeerState(), friend)
  assert.equal(s.access.grants[alice.signPub], { 'friend:p2p:alice(f10736)': ['message'] })
  const peer = new PeerDirectory(s).resolve(alice.signPub, T0)!.peer
  assert.ok(mayUse(peer, friend.session, 'message'))
  assert.not.ok(mayUse(peer, friend.session, 'inject'), 'message never implies inject')
  assert.not.ok(mayUse(peer, 'friend:p2p:bob(1dccd6)', 'message'), 'no other session')
})

test('grant upgrades to inject; revoke inject keeps message; revoke all removes the peer', () => {
  let s = grant(addFriend(emptyPeerState(), friend), alice.signPub, friend.session, 'inject')
  assert.ok(mayUse(new PeerDirectory(s).resolve(alice.signPub, T0)!.peer, friend.session, 'inject'))
  s = revoke(s, alice.signPub, 'inject')
  const peer = new PeerDirectory(s).resolve(alice.signPub, T0)!.peer
  assert.not.ok(mayUse(peer, friend.session, 'inject'))
  assert.ok(mayUse(peer, friend.session, 'message'))
  s = revoke(s, alice.signPub)
  assert.is(s.access.grants[alice.signPub], undefined)
  assert.is(new PeerDirectory(s).resolve(alice.signPub, T0), null, 'a peer with no grant is a stranger again')
})

test('unfriending removes the friend and every grant', () => {
  let s = grant(addFriend(emptyPeerState(), friend), alice.signPub, 'other', 'inject')
  s = removeFriend(s, alice.signPub)
  assert.equal(s.friends.friends, [])
  assert.is(s.access.grants[alice.signPub], undefined)
  assert.is(new PeerDirectory(s).resolve(alice.signPub, T0), null)
})

test('an invite is single-use and grants inject on its sessions to its subject only', () => {
  let s = issueInvite(emptyPeerState(), { nonce: 'n1', sub: bob.signPub, sessions: ['chat'], exp: T0 + 1000 })
  const wrong = claimInvite(s, 'n1', { signPub: alice.signPub, encryptPub: alice.encryptPub }, T0)
  assert.equal(wrong, s, 'another key cannot claim it')
  s = claimInvite(s, 'n1', { signPub: bob.signPub, encryptPub: bob.encryptPub }, T0)
  assert.equal(s.access.grants[bob.signPub], { chat: ['inject'] })
  assert.equal(s.access.invites, [])
  assert.equal(s.access.claimed, [{ nonce: 'n1', exp: T0 + 1000 }])
  assert.equal(claimInvite(s, 'n1', { signPub: bob.signPub, encryptPub: bob.encryptPub }, T0), s, 'second claim changes nothing')
  assert.equal(pruneExpired(s, T0 + 1000).access.claimed, [])
})

test('rotation moves grants to the new key; the old key works until the grace ends', () => {
  let s = grant(addFriend(emptyPeerState(), friend), alice.signPub, friend.session, 'inject')
  s = applyRotation(s, { oldSignPub: alice.signPub, newSignPub: rotated.signPub, newEncryptPub: rotated.encryptPub }, T0 + 86_400_000)
  const dir = new PeerDirectory(s)
  const viaNew = dir.resolve(rotated.signPub, T0)!
  const viaOld = dir.resolve(alice.signPub, T0 + 86_399_999)!
  assert.is(viaNew.peer.id, rotated.signPub)
  assert.is(viaOld.peer.id, rotated.signPub, 'the old key speaks for the same peer')
  assert.ok(mayUse(viaOld.peer, friend.session, 'inject'))
  assert.is(dir.resolve(alice.signPub, T0 + 86_400_000), null, 'refused once the grace has ended')
  assert.is(s.friends.friends[0]!.signPub, rotated.signPub)
  assert.is(s.friends.friends[0]!.session, friend.session, 'the session name survives rotation')
  assert.equal(pruneExpired(s, T0 + 86_400_000).peers.peers[rotated.signPub]!.previousKeys, [])
})

test('the directory ignores records whose keys do not decode', () => {
  const s = grant(emptyPeerState(), 'not-a-key', 'chat', 'inject')
  assert.is(new PeerDirectory(s).size, 0)
})

test.run()
