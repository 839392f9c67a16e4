// What the sidecar puts around the sandbox handler (DESIGN.md "The path of one inbound
// message", last steps): an inject is handled with the recursion guard's mark on its async
// path, and each exchange the handler completed is queued for WOPR's log of the friend's own
// session — a log's text as the sandbox returned it, an inject's request and then its response — with `from` =
// `p2p:<peer key>`. Without a handler there is nothing to wrap: the listener fails closed.

import type { Friend } from '../friends/model.ts'
import type { Logger } from '../log/logger.ts'
import type { HandledMessage, Handler, HandlerResult } from '../swarm/listener.ts'
import { friendLogEntry } from '../wopr/friend-entry.ts'
import type { Outbox } from '../wopr/outbox.ts'
import type { RecursionGuard } from './recursion-guard.ts'

export interface InboundOptions {
  guard: RecursionGuard
  /** The friend record of a peer key (current state), for its WOPR session; null for grantees who are not friends. */
  friendOf: (peer: string) => Friend | null
  outbox?: Outbox
  log: Logger
}

export function wrapHandler(inner: Handler, o: InboundOptions): Handler {
  return {
    handle: async (admitted) => {
      // Nothing is acknowledged that could not be kept: with the outbox full the peer is refused up front.
      if (o.outbox?.status().full && bridged(admitted, o)) return { ok: false, reason: 'WOPR_OUTBOX_FULL' }
      const result = admitted.kind === 'inject' ? await o.guard.whileHandlingInject(admitted.peer.id, () => inner.handle(admitted)) : await inner.handle(admitted)
      if (!result.ok || !o.outbox) return result
      return bridge(admitted, result, o)
    },
  }
}

/** The friend whose WOPR session this exchange belongs to; null for what is not bridged. */
function bridged(admitted: HandledMessage, o: InboundOptions): Friend | null {
  const friend = o.friendOf(admitted.peer.id)
  // WOPR keeps one conversation per friend; an invite grantee's own sessions are not bridged.
  return friend && friend.session === admitted.session ? friend : null
}

/** Queue the exchange for WOPR; a refused entry turns the answer into that refusal, never a silent loss. */
function bridge(admitted: HandledMessage, result: Extract<HandlerResult, { ok: true }>, o: InboundOptions): HandlerResult {
  const friend = bridged(admitted, o)
  if (!friend) return result
  // A log's text as the sandbox returned it (normalised there: valid UTF-8, no control characters).
  const texts = admitted.kind === 'log' ? [result.text ?? ''] : [admitted.text, result.text ?? '']
  for (const text of texts) {
    if (text === '') continue
    const queued = o.outbox!.enqueue(friendLogEntry(friend, text))
    if (!queued.ok) {
      o.log.warn({ reason: queued.reason, session: friend.session }, 'wopr-outbox-refused')
      return { ok: false, reason: queued.reason }
    }
  }
  return result
}
