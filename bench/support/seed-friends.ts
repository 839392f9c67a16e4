// Friends written straight into a data dir through the real pure operations and PeerFiles,
// for the RSS measurement: making a hundred friends through friend lines would need a
// hundred daemons, and the state a daemon loads is the same either way.

import { addFriend, grant } from '../../src/friends/model.ts'
import { PeerFiles } from '../../src/friends/peer-files.ts'
import { createIdentityRecord, loadIdentity } from '../../src/identity/keys.ts'
import { openStateDir } from '../../src/store/secure-dir.ts'
import { friendSessionName } from '../../src/wire/friend-lines.ts'

/** Add `count` friends with fresh keys: each holds message on its own session, every second one inject too. */
export function seedFriends(dataDir: string, count: number, now: number): void {
  openStateDir(dataDir)
  const files = new PeerFiles(dataDir)
  const before = files.load()
  let state = before
  for (let i = 0; i < count; i++) {
    const peer = loadIdentity(createIdentityRecord(now))
    const name = `friend-${i}`
    const session = friendSessionName(name, peer.signPub)
    state = addFriend(state, { name, signPub: peer.signPub, encryptPub: peer.encryptPub, session, addedAt: now })
    if (i % 2 === 0) state = grant(state, peer.signPub, session, 'inject')
  }
  files.save(before, state)
}
