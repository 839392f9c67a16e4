// The admission gate's read-only view of who may talk to us (DESIGN.md "The
// path of one inbound message", stage "known sender"): every key that is a
// friend or a grantee — current keys, and rotated-away keys until their grace
// ends — mapped to the peer and its grants. Built once per state change, so
// the per-message lookup is one Map get, and a stranger costs nothing more.

import { decodeKey } from '../crypto/der.ts'
import type { Capability, PeerState } from './model.ts'

export interface PeerView {
  /** The peer's current signing key (grants and nonces are keyed by it). */
  id: string
  name?: string
  encryptPub: string
  encryptPublicRaw: Buffer
  sessions: ReadonlyMap<string, ReadonlySet<Capability>>
  /** When the grace of each key this peer rotated away from ends. */
  previousGraceEnds: readonly number[]
}

export interface KeyEntry {
  peer: PeerView
  /** Raw Ed25519 key the message's `from` names (may be an old, rotated key). */
  signPublicRaw: Buffer
  /** Absent for a current key; for an old key, the end of its grace period. */
  validUntil?: number
}

export class PeerDirectory {
  private readonly keys = new Map<string, KeyEntry>()

  constructor(state: PeerState) {
    const names = new Map(state.friends.friends.map((f) => [f.signPub, f]))
    for (const [id, grants] of Object.entries(state.access.grants)) {
      const friend = names.get(id)
      const known = state.peers.peers[id]
      const encryptPub = friend?.encryptPub ?? known?.encryptPub
      const encryptPublicRaw = decodeKey('x25519Spki', encryptPub)
      const signPublicRaw = decodeKey('ed25519Spki', id)
      if (!encryptPub || !encryptPublicRaw || !signPublicRaw) continue
      const sessions = new Map<string, ReadonlySet<Capability>>()
      for (const [session, caps] of Object.entries(grants)) if (caps.length) sessions.set(session, new Set(caps))
      if (!sessions.size) continue
      const peer: PeerView = { id, encryptPub, encryptPublicRaw, sessions, previousGraceEnds: (known?.previousKeys ?? []).map((k) => k.validUntil) }
      const name = friend?.name ?? known?.name
      if (name !== undefined) peer.name = name
      this.keys.set(id, { peer, signPublicRaw })
      for (const old of known?.previousKeys ?? []) {
        const raw = decodeKey('ed25519Spki', old.signPub)
        if (raw && !this.keys.has(old.signPub)) this.keys.set(old.signPub, { peer, signPublicRaw: raw, validUntil: old.validUntil })
      }
    }
  }

  /** Whether `signPub` is any peer's key, current or still in its grace. */
  holds(signPub: string, now: number): boolean {
    return this.resolve(signPub, now) !== null
  }

  /** The peer a `from` key speaks for at `now`, or null for strangers and expired old keys. */
  resolve(signPub: string, now: number): KeyEntry | null {
    const entry = this.keys.get(signPub)
    if (!entry) return null
    if (entry.validUntil !== undefined && now >= entry.validUntil) return null
    return entry
  }

  get size(): number {
    return this.keys.size
  }
}

export function mayUse(peer: PeerView, session: string, cap: Capability): boolean {
  return peer.sessions.get(session)?.has(cap) === true
}
