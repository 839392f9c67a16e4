// Which peer an operator means (`<peer>` in CLI verbs): a full signing key, a friend's name,
// or a short id (the 8 hex of `wopr-p2p id`, or a prefix of at least 6 as in session names).
// Pure over PeerState. Two matches are an error, never a guess: a send to the wrong peer
// cannot be taken back.

import { decodeKey } from '../crypto/der.ts'
import { normaliseName } from '../friends/auto-accept.ts'
import type { PeerState } from '../friends/model.ts'
import { shortIdOf } from '../identity/ids.ts'
import { accept, refuse, type Verdict } from '../reasons.ts'

export interface KnownPeerRef {
  signPub: string
  /** The recorded X25519 key; absent for a key we were only given (only v1 exchanges need it). */
  encryptPub?: string
  name?: string
  /** The friend's dedicated session on our side, when the peer is a friend. */
  session?: string
}

const SHORT_ID = /^[0-9a-f]{6,8}$/

/** Every friend and grantee, friends first (a friend's record carries its name and session). */
export function knownPeers(state: PeerState): KnownPeerRef[] {
  const out = new Map<string, KnownPeerRef>()
  for (const f of state.friends.friends) out.set(f.signPub, { signPub: f.signPub, encryptPub: f.encryptPub, name: f.name, session: f.session })
  for (const key of Object.keys(state.access.grants)) {
    if (out.has(key)) continue
    const known = state.peers.peers[key]
    const ref: KnownPeerRef = { signPub: key }
    if (known?.encryptPub) ref.encryptPub = known.encryptPub
    if (known?.name) ref.name = known.name
    out.set(key, ref)
  }
  return [...out.values()]
}

/**
 * A full key resolves even when we do not know it (sending to a key is harmless, and an
 * invite issuer is addressed by key); a name or short id must match exactly one known peer.
 */
export function resolvePeer(state: PeerState, query: string): Verdict<KnownPeerRef> {
  const q = query.trim()
  const peers = knownPeers(state)
  const byKey = peers.find((p) => p.signPub === q)
  if (byKey) return accept(byKey)
  if (decodeKey('ed25519Spki', q)) return accept({ signPub: q })
  const wanted = normaliseName(q)
  const matches = peers.filter((p) => (p.name !== undefined && normaliseName(p.name) === wanted) || (SHORT_ID.test(q) && shortIdOf(p.signPub).startsWith(q)))
  if (matches.length === 1) return accept(matches[0]!)
  return matches.length === 0 ? refuse('SIDECAR_UNKNOWN_PEER', query) : refuse('SIDECAR_AMBIGUOUS_PEER', query)
}
