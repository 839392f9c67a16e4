// What a listener tells the sender about a refusal (WIRE.md "Messages": reject
// reasons in use). The reply strings are the deployed plugin's, so deployed
// senders show their users the same words. Nothing is said to a sender that
// has not proven its key: like the deployed listener, bad signatures, stale
// or replayed messages, strangers and unparsable lines get silence.

import type { Reason } from '../reasons.ts'
import type { GateRefusal } from './gate.ts'

const REPLIES: Partial<Record<Reason, (r: GateRefusal) => string>> = {
  ADMIT_UNAUTHORIZED: () => 'unauthorized',
  ADMIT_RATE_LIMITED: () => 'rate limited',
  ADMIT_REPLAY_FULL: () => 'rate limited',
  ADMIT_PAYLOAD_TOO_LARGE: (r) => `payload too large: ${r.detail ?? '?'} bytes exceeds 1048576 limit`,
  ADMIT_NO_COMMON_VERSION: () => 'no common protocol version',
  ADMIT_BAD_TOKEN: (r) => (r.detail === 'INVITE_EXPIRED' ? 'invalid token: Token expired' : 'invalid token: Invalid signature'),
  ADMIT_TOKEN_USED: () => 'invalid token: already claimed',
  ADMIT_BAD_ROTATION: () => 'invalid key rotation',
  ADMIT_ROTATION_KEY_TAKEN: () => 'invalid key rotation',
  ADMIT_ROTATION_TOO_SOON: () => 'rate limited',
  ADMIT_V1_REFUSED: () => 'unauthorized',
  ADMIT_NO_SESSION_KEY: (r) => `${r.type === 'inject' ? 'inject' : 'log'} failed`,
  ADMIT_DECRYPT_FAILED: (r) => `${r.type === 'inject' ? 'inject' : 'log'} failed`,
}

/** The reject reason to send, or null for silence. */
export function replyFor(refusal: GateRefusal): string | null {
  if (!refusal.authenticated) return null
  const make = REPLIES[refusal.reason]
  return make ? make(refusal) : null
}
