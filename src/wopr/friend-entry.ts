// What the sidecar logs to WOPR for a friend (issue 5 "WOPR bridge"): an outbox entry for the
// friend's own session in its WOPR-safe form, with `from` = `p2p:<peer key>`, the prefix WOPR
// itself reads as an untrusted P2P source.

import { woprSafeSessionName } from '../wire/friend-lines.ts'
import type { OutboxEntry } from './outbox-journal.ts'

/** `friend.session` is the display name from friendSessionName (friends/model.ts Friend). */
export function friendLogEntry(friend: { session: string; signPub: string }, message: string): OutboxEntry {
  return { session: woprSafeSessionName(friend.session), from: `p2p:${friend.signPub}`, message }
}
