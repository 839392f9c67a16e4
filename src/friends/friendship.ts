// Making friends through chat-channel lines (SECURITY.md "Friend Protocol
// Security"; WIRE.md "Friend request / accept lines"): pure steps over
// PeerState that return the new state and the line to post. Every friend made
// here — accepted, completed or auto-accepted — gets `message` only.

import { fingerprintOf } from '../identity/ids.ts'
import type { Identity } from '../identity/keys.ts'
import { accept, refuse, type Verdict } from '../reasons.ts'
import {
  createFriendAccept, createFriendRequest, friendSessionName, parseFriendAccept, parseFriendRequest,
  verifyFriendAccept, verifyFriendRequest, type FriendPeer,
} from '../wire/friend-lines.ts'
import { matchesAutoAccept, normaliseName } from './auto-accept.ts'
import { addFriend, dropPendingRequest, recordPendingRequest, type Friend, type PeerState } from './model.ts'

/** A pending request is kept this long; its accept must arrive (fresh) within it. */
export const PENDING_REQUEST_TTL_MS = 24 * 3_600_000

export interface Made {
  state: PeerState
  friend: Friend
  shortId: string
  fingerprint: string
}

export function requestFriend(state: PeerState, me: Identity, o: { ourName: string; theirName: string; now: number }): { state: PeerState; line: string } {
  const { line, sig } = createFriendRequest(me, { to: o.theirName, from: o.ourName, now: o.now })
  const kept = { ...state, friends: { ...state.friends, pending: state.friends.pending.filter((p) => o.now - p.ts < PENDING_REQUEST_TTL_MS) } }
  return { state: recordPendingRequest(kept, { to: o.theirName, sig, ts: o.now }), line }
}

/**
 * Two friends must never share a session name: a stranger who picks a
 * friend's name and grinds a key with the same 6-hex prefix would otherwise
 * land in that friend's session.
 */
function befriend(state: PeerState, peer: FriendPeer, now: number): Verdict<Made> {
  const session = friendSessionName(peer.name, peer.signPub)
  const clash = state.friends.friends.find((f) => f.session === session && f.signPub !== peer.signPub)
  if (clash) return refuse('FRIEND_NAME_TAKEN', `session ${session} already belongs to another key`)
  const friend: Friend = { name: peer.name, signPub: peer.signPub, encryptPub: peer.encryptPub, session, addedAt: now }
  return accept({ state: addFriend(state, friend), friend, shortId: peer.shortId, fingerprint: fingerprintOf(peer.signPub) })
}

/** Accept a request addressed to us: the requester becomes a friend with `message`, and we answer with an accept line. */
export function acceptFriend(state: PeerState, me: Identity, o: { ourName: string; line: string; now: number }): Verdict<Made & { line: string }> {
  const parsed = parseFriendRequest(o.line)
  if (!parsed.ok) return parsed
  const verified = verifyFriendRequest(parsed.value, { ourName: o.ourName, now: o.now })
  if (!verified.ok) return verified
  const made = befriend(state, verified.value, o.now)
  if (!made.ok) return made
  const reply = createFriendAccept(me, { to: verified.value.name, from: o.ourName, requestSig: parsed.value.sig, now: o.now })
  return accept({ ...made.value, line: reply.line })
}

/** Accept a request only if an auto-accept rule names its sender. */
export function autoAcceptFriend(state: PeerState, me: Identity, o: { ourName: string; line: string; now: number }): Verdict<Made & { line: string }> {
  const parsed = parseFriendRequest(o.line)
  if (!parsed.ok) return parsed
  if (!matchesAutoAccept(state.friends.autoAccept, parsed.value.from)) return refuse('FRIEND_NOT_AUTO_ACCEPTED')
  return acceptFriend(state, me, o)
}

/**
 * Requester side: honour an accept only for our own pending request (matching
 * requestSig), from the name we asked; the caller shows short id and
 * fingerprint so the operator can confirm who answered.
 */
export function completeFriend(state: PeerState, o: { ourName: string; line: string; now: number }): Verdict<Made> {
  const parsed = parseFriendAccept(o.line)
  if (!parsed.ok) return parsed
  const pending = state.friends.pending.filter((p) => normaliseName(p.to) === normaliseName(parsed.value.from))
  const verified = verifyFriendAccept(parsed.value, { ourName: o.ourName, now: o.now, pendingRequestSigs: pending.map((p) => p.sig) })
  if (!verified.ok) return verified
  const made = befriend(dropPendingRequest(state, parsed.value.requestSig), verified.value, o.now)
  return made
}
