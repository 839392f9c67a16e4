// The peer state on disk (SECURITY.md "Data Protection"): friends.json,
// access.json and peers.json in the data dir, each 0600 and written atomically,
// validated strictly on load so a hand-edited or damaged file is an error that
// names it, never a silent reset that would drop friends or grants.

import { join } from 'node:path'
import { z } from 'zod'
import { JsonFile } from '../store/json-file.ts'
import { emptyPeerState, type AccessState, type FriendsState, type PeersState, type PeerState } from './model.ts'

const capability = z.enum(['message', 'inject'])
// Record keys are peer keys and session names: refuse the ones that reach Object.prototype.
const safeKey = z.string().min(1).refine((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype', 'reserved key')

const friendsSchema = z.strictObject({
  v: z.literal(1),
  friends: z.array(z.strictObject({ name: z.string(), signPub: z.string(), encryptPub: z.string(), session: z.string(), addedAt: z.number() })),
  pending: z.array(z.strictObject({ to: z.string(), sig: z.string(), ts: z.number() })),
  autoAccept: z.array(z.string()),
})

const accessSchema = z.strictObject({
  v: z.literal(1),
  grants: z.record(safeKey, z.record(safeKey, z.array(capability))),
  invites: z.array(z.strictObject({ nonce: z.string(), sub: z.string(), sessions: z.array(z.string()), exp: z.number() })),
  claimed: z.array(z.strictObject({ nonce: z.string(), exp: z.number() })),
})

const peersSchema = z.strictObject({
  v: z.literal(1),
  peers: z.record(
    safeKey,
    z.strictObject({
      encryptPub: z.string(),
      name: z.string().optional(),
      firstSeen: z.number(),
      previousKeys: z.array(z.strictObject({ signPub: z.string(), validUntil: z.number() })),
    }),
  ),
})

export class PeerFiles {
  private readonly friends: JsonFile<FriendsState>
  private readonly access: JsonFile<AccessState>
  private readonly peers: JsonFile<PeersState>

  constructor(dataDir: string) {
    const empty = emptyPeerState()
    this.friends = new JsonFile(join(dataDir, 'friends.json'), { validate: (v) => friendsSchema.parse(v) as FriendsState, defaultValue: () => empty.friends })
    this.access = new JsonFile(join(dataDir, 'access.json'), { validate: (v) => accessSchema.parse(v) as AccessState, defaultValue: () => empty.access })
    this.peers = new JsonFile(join(dataDir, 'peers.json'), { validate: (v) => peersSchema.parse(v) as PeersState, defaultValue: () => empty.peers })
  }

  load(): PeerState {
    return { friends: this.friends.load(), access: this.access.load(), peers: this.peers.load() }
  }

  /**
   * Write the parts that changed, access.json first. A crash between two
   * files then fails safe both ways: a removed friend has already lost its
   * grant, and a new grant is inert until the peer's record (its keys) lands.
   */
  save(previous: PeerState, next: PeerState): void {
    if (next.access !== previous.access) this.access.save(next.access)
    if (next.friends !== previous.friends) this.friends.save(next.friends)
    if (next.peers !== previous.peers) this.peers.save(next.peers)
  }
}
