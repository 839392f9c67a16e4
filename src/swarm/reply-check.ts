// What makes a reply usable (WIRE.md "Where the sidecar is stricter"): a protocol reply,
// in canonical bytes, signed by exactly the key we addressed, fresh, with a nonce that
// peer never used before. Pure apart from the injected nonce record.

import type { ReplayCheck } from '../admission/gate.ts'
import { parseMessage, type WireMessage } from '../wire/messages.ts'
import { isCanonicalSignedLine, signedBody, verifyBody } from '../wire/signed-json.ts'
import type { SwarmReason } from '../reasons.ts'

export type Reply = Extract<WireMessage, { type: 'hello-ack' | 'ack' | 'response' | 'reject' }>

export interface AddressedPeer {
  /** Base64 SPKI of the key we addressed (its topic is the one we dialled). */
  signPub: string
  signPublicRaw: Buffer
}

export type ReplyVerdict = { ok: true; reply: Reply } | { ok: false; reason: SwarmReason }

const REPLY_TYPES = new Set(['hello-ack', 'ack', 'response', 'reject'])

export function checkReply(line: string, peer: AddressedPeer, ctx: { now: number; freshnessMs: number; replay: ReplayCheck }): ReplyVerdict {
  const parsed = parseMessage(line)
  if (!parsed.ok) return { ok: false, reason: 'SEND_REPLY_MALFORMED' }
  const msg = parsed.value
  if (!REPLY_TYPES.has(msg.type)) return { ok: false, reason: 'SEND_REPLY_UNEXPECTED' }
  const body = signedBody(msg)
  if (msg.from !== peer.signPub || !isCanonicalSignedLine(line, msg, body) || !verifyBody(body, msg.sig, peer.signPublicRaw)) {
    return { ok: false, reason: 'SEND_REPLY_NOT_FROM_PEER' }
  }
  if (Math.abs(ctx.now - msg.ts) > ctx.freshnessMs) return { ok: false, reason: 'SEND_REPLY_STALE' }
  if (ctx.replay.check(peer.signPub, msg.nonce, msg.ts, ctx.now) !== 'fresh') return { ok: false, reason: 'SEND_REPLY_REPLAYED' }
  return { ok: true, reply: msg as Reply }
}
