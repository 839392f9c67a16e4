// The peer state model (SECURITY.md "Access Control", "Session Isolation",
// "Key Rotation"): friends, grants, issued invites and rotated keys, as plain
// data with pure operations. The files friends.json, access.json and peers.json
// hold its three parts; the admission gate reads it through PeerDirectory.

export type Capability = 'message' | 'inject'
export const CAPABILITIES: readonly Capability[] = ['message', 'inject']

export interface Friend {
  name: string
  signPub: string
  encryptPub: string
  /** The friend's dedicated session (display form `friend:p2p:name(xxxxxx)`). */
  session: string
  addedAt: number
}

export interface PendingRequest {
  to: string
  sig: string
  ts: number
}

/** friends.json */
export interface FriendsState {
  v: 1
  friends: Friend[]
  pending: PendingRequest[]
  autoAccept: string[]
}

/** One grant: the capabilities a peer holds on each session. */
export type SessionGrants = Record<string, Capability[]>

export interface IssuedInvite {
  nonce: string
  sub: string
  sessions: string[]
  exp: number
}

/** access.json */
export interface AccessState {
  v: 1
  grants: Record<string, SessionGrants>
  invites: IssuedInvite[]
  /** Nonces of claimed invites, kept until the invite expires so a token is single-use. */
  claimed: { nonce: string; exp: number }[]
}

export interface KnownPeer {
  encryptPub: string
  name?: string
  firstSeen: number
  /** Keys this peer rotated away from, accepted only until `validUntil`. */
  previousKeys: { signPub: string; validUntil: number }[]
}

/** peers.json */
export interface PeersState {
  v: 1
  peers: Record<string, KnownPeer>
}

export interface PeerState {
  friends: FriendsState
  access: AccessState
  peers: PeersState
}

export function emptyPeerState(): PeerState {
  return {
    friends: { v: 1, friends: [], pending: [], autoAccept: [] },
    access: { v: 1, grants: {}, invites: [], claimed: [] },
    peers: { v: 1, peers: {} },
  }
}

function withGrant(grants: SessionGrants | undefined, session: string, cap: Capability): SessionGrants {
  // hasOwn: a session named like an Object.prototype member must not read the prototype.
  const current = grants && Object.hasOwn(grants, session) ? grants[session]! : []
  return { ...grants, [session]: current.includes(cap) ? current : [...current, cap].sort() }
}

function remember(state: PeerState, signPub: string, encryptPub: string, now: number, name?: string): PeersState {
  const known = state.peers.peers[signPub]
  const peer: KnownPeer = { encryptPub, firstSeen: known?.firstSeen ?? now, previousKeys: known?.previousKeys ?? [] }
  if (name ?? known?.name) peer.name = name ?? known?.name
  return { ...state.peers, peers: { ...state.peers.peers, [signPub]: peer } }
}

/** A new friend gets exactly `message` on its own session — never more (SECURITY.md "Auto-Accept Rules"). */
export function addFriend(state: PeerState, friend: Friend): PeerState {
  const others = state.friends.friends.filter((f) => f.signPub !== friend.signPub)
  return {
    friends: { ...state.friends, friends: [...others, friend] },
    access: { ...state.access, grants: { ...state.access.grants, [friend.signPub]: withGrant(undefined, friend.session, 'message') } },
    peers: remember(state, friend.signPub, friend.encryptPub, friend.addedAt, friend.name),
  }
}

/** Unfriending removes the friend and every grant it held, for real. */
export function removeFriend(state: PeerState, signPub: string): PeerState {
  const { [signPub]: _gone, ...grants } = state.access.grants
  return {
    ...state,
    friends: { ...state.friends, friends: state.friends.friends.filter((f) => f.signPub !== signPub) },
    access: { ...state.access, grants },
  }
}

export function grant(state: PeerState, signPub: string, session: string, cap: Capability): PeerState {
  return { ...state, access: { ...state.access, grants: { ...state.access.grants, [signPub]: withGrant(state.access.grants[signPub], session, cap) } } }
}

/**
 * Revoke one capability (on every session) or, with no capability, everything.
 * `inject` alone can be revoked and leave `message`; revoking `message` also
 * removes `inject`, since inject without message is not a state we model.
 */
export function revoke(state: PeerState, signPub: string, cap?: Capability): PeerState {
  const current = state.access.grants[signPub]
  if (!current) return state
  const drop = new Set<Capability>(cap === 'inject' ? ['inject'] : CAPABILITIES)
  const kept: SessionGrants = {}
  for (const [session, caps] of Object.entries(current)) {
    const left = caps.filter((c) => !drop.has(c))
    if (left.length) kept[session] = left
  }
  const { [signPub]: _old, ...others } = state.access.grants
  const grants = Object.keys(kept).length ? { ...others, [signPub]: kept } : others
  return { ...state, access: { ...state.access, grants } }
}

export function recordPendingRequest(state: PeerState, request: PendingRequest): PeerState {
  return { ...state, friends: { ...state.friends, pending: [...state.friends.pending, request] } }
}

export function dropPendingRequest(state: PeerState, sig: string): PeerState {
  return { ...state, friends: { ...state.friends, pending: state.friends.pending.filter((p) => p.sig !== sig) } }
}

export function issueInvite(state: PeerState, invite: IssuedInvite): PeerState {
  return { ...state, access: { ...state.access, invites: [...state.access.invites, invite] } }
}

/** Claiming consumes the invite for good and grants `inject` on its sessions to the claimer only. */
export function claimInvite(state: PeerState, nonce: string, claimer: { signPub: string; encryptPub: string }, now: number): PeerState {
  const invite = state.access.invites.find((i) => i.nonce === nonce)
  if (!invite || invite.sub !== claimer.signPub) return state
  let next: PeerState = {
    ...state,
    access: {
      ...state.access,
      invites: state.access.invites.filter((i) => i.nonce !== nonce),
      claimed: [...state.access.claimed, { nonce, exp: invite.exp }],
    },
  }
  for (const session of invite.sessions) next = grant(next, claimer.signPub, session, 'inject')
  return { ...next, peers: remember(next, claimer.signPub, claimer.encryptPub, now) }
}

/** Drop expired invites and claim records (an expired token is refused on its own). */
export function pruneExpired(state: PeerState, now: number): PeerState {
  return {
    ...state,
    access: {
      ...state.access,
      invites: state.access.invites.filter((i) => i.exp > now),
      claimed: state.access.claimed.filter((c) => c.exp > now),
    },
    peers: {
      ...state.peers,
      peers: Object.fromEntries(
        Object.entries(state.peers.peers).map(([k, p]) => [k, { ...p, previousKeys: p.previousKeys.filter((o) => o.validUntil > now) }]),
      ),
    },
  }
}

/**
 * A verified rotation moves everything the old key held to the new key; the
 * old key stays valid for this peer only until `validUntil` (SECURITY.md
 * "Key Rotation": grace period, bounded by policy).
 */
export function applyRotation(
  state: PeerState,
  rotation: { oldSignPub: string; newSignPub: string; newEncryptPub: string },
  validUntil: number,
): PeerState {
  const { oldSignPub, newSignPub, newEncryptPub } = rotation
  const { [oldSignPub]: oldGrants, ...grants } = state.access.grants
  const { [oldSignPub]: oldPeer, ...peers } = state.peers.peers
  const previousKeys = [...(oldPeer?.previousKeys ?? []), { signPub: oldSignPub, validUntil }]
  const moved: KnownPeer = { encryptPub: newEncryptPub, firstSeen: oldPeer?.firstSeen ?? validUntil, previousKeys }
  if (oldPeer?.name) moved.name = oldPeer.name
  return {
    friends: {
      ...state.friends,
      friends: state.friends.friends.map((f) => (f.signPub === oldSignPub ? { ...f, signPub: newSignPub, encryptPub: newEncryptPub } : f)),
    },
    access: { ...state.access, grants: oldGrants ? { ...grants, [newSignPub]: oldGrants } : grants },
    peers: { ...state.peers, peers: { ...peers, [newSignPub]: moved } },
  }
}
