// Friendship through request/accept lines, both sides, with an injected clock.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PeerDirectory, mayUse } from '../../../src/friends/directory.ts'
import { acceptFriend, autoAcceptFriend, completeFriend, requestFriend } from '../../../src/friends/friendship.ts'
import { emptyPeerState } from '../../../src/friends/model.ts'
import { createIdentityRecord, loadIdentity } from '../../../src/identity/keys.ts'
import { T0, alice, bob } from '../../support/gate-fixture.ts'

function handshake() {
  const asked = requestFriend(emptyPeerState(), alice, { ourName: 'alice', theirName: 'bob', now: T0 })
  const accepted = acceptFriend(emptyPeerState(), bob, { ourName: 'bob', line: asked.line, now: T0 + 1000 })
  if (!accepted.ok) throw new Error(accepted.reason)
  return { asked, accepted: accepted.value }
}

test('request → accept → complete makes both sides friends with message only', () => {
  const { asked, accepted } = handshake()
  assert.match(asked.line, /^FRIEND_REQUEST \| to:bob \| from:alice \| /)
  assert.is(asked.state.friends.pending.length, 1)
  assert.is(accepted.friend.signPub, alice.signPub)
  assert.is(accepted.friend.session, `friend:p2p:alice(${alice.shortId.slice(0, 6)})`)
  const bobView = new PeerDirectory(accepted.state).resolve(alice.signPub, T0)!.peer
  assert.ok(mayUse(bobView, accepted.friend.session, 'message'))
  assert.not.ok(mayUse(bobView, accepted.friend.session, 'inject'))

  const done = completeFriend(asked.state, { ourName: 'alice', line: accepted.line, now: T0 + 2000 })
  assert.ok(done.ok)
  if (!done.ok) return
  assert.is(done.value.shortId, bob.shortId)
  assert.match(done.value.fingerprint, /^([0-9a-f]{4} ){7}[0-9a-f]{4}$/)
  assert.equal(done.value.state.friends.pending, [], 'the pending request is consumed')
  const aliceView = new PeerDirectory(done.value.state).resolve(bob.signPub, T0)!.peer
  assert.ok(mayUse(aliceView, done.value.friend.session, 'message'))
  assert.not.ok(mayUse(aliceView, done.value.friend.session, 'inject'))
})

test('an accept is honoured only once, only for our pending request, only from the name we asked', () => {
  const { asked, accepted } = handshake()
  const done = completeFriend(asked.state, { ourName: 'alice', line: accepted.line, now: T0 + 2000 })
  assert.ok(done.ok)
  if (!done.ok) return
  const twice = completeFriend(done.value.state, { ourName: 'alice', line: accepted.line, now: T0 + 3000 })
  assert.equal(twice, { ok: false, reason: 'FRIEND_NO_PENDING' })
  const unsolicited = completeFriend(emptyPeerState(), { ourName: 'alice', line: accepted.line, now: T0 + 2000 })
  assert.equal(unsolicited, { ok: false, reason: 'FRIEND_NO_PENDING' })
  // mallory reuses the public requestSig under her own name: not the name alice asked.
  const mallory = loadIdentity(createIdentityRecord(T0))
  const forged = acceptFriend(emptyPeerState(), mallory, { ourName: 'bob', line: asked.line, now: T0 + 1000 })
  assert.ok(forged.ok, 'mallory can accept a public request line as "bob"')
  if (forged.ok) {
    const viaMallory = completeFriend(asked.state, { ourName: 'alice', line: forged.value.line, now: T0 + 2000 })
    assert.ok(viaMallory.ok, 'which is why the operator is shown the short id and fingerprint')
    if (viaMallory.ok) assert.is.not(viaMallory.value.shortId, bob.shortId)
  }
})

test('requests for someone else, stale or tampered lines are refused', () => {
  const { asked } = handshake()
  assert.equal(acceptFriend(emptyPeerState(), bob, { ourName: 'carol', line: asked.line, now: T0 }), { ok: false, reason: 'FRIEND_NOT_FOR_US' })
  assert.equal(acceptFriend(emptyPeerState(), bob, { ourName: 'bob', line: asked.line, now: T0 + 300_001 }), { ok: false, reason: 'FRIEND_STALE' })
  assert.is(acceptFriend(emptyPeerState(), bob, { ourName: 'bob', line: asked.line.replace('from:alice', 'from:alicf'), now: T0 }).ok, false)
})

test('two friends can never share a session name', () => {
  const { accepted } = handshake()
  const impostor = loadIdentity(createIdentityRecord(T0))
  // Force the clash: a different key whose session name would equal alice's.
  const state = { ...accepted.state, friends: { ...accepted.state.friends, friends: accepted.state.friends.friends.map((f) => ({ ...f, session: `friend:p2p:alice(${impostor.shortId.slice(0, 6)})` })) } }
  const line = requestFriend(emptyPeerState(), impostor, { ourName: 'alice', theirName: 'bob', now: T0 }).line
  const r = acceptFriend(state, bob, { ourName: 'bob', line, now: T0 })
  assert.is(r.ok, false)
  if (!r.ok) assert.is(r.reason, 'FRIEND_NAME_TAKEN')
})

test('auto-accept only for requesters a rule names, and still message only', () => {
  const { asked } = handshake()
  assert.equal(autoAcceptFriend(emptyPeerState(), bob, { ourName: 'bob', line: asked.line, now: T0 }), { ok: false, reason: 'FRIEND_NOT_AUTO_ACCEPTED' })
  const ruled = { ...emptyPeerState(), friends: { ...emptyPeerState().friends, autoAccept: ['carol|Alice'] } }
  const r = autoAcceptFriend(ruled, bob, { ourName: 'bob', line: asked.line, now: T0 })
  assert.ok(r.ok)
  if (r.ok) assert.equal(r.value.state.access.grants[alice.signPub], { [r.value.friend.session]: ['message'] })
})

test.run()
