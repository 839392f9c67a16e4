// The one error type of the WOPR bridge: a WoprP2PError whose code is a WOPR_* reason,
// plus what the outbox needs to decide what to do next (WOPR-API.md "Rate limit";
// the "in doubt" rule in outbox.ts). Messages never carry the token or logged text.

import { WoprP2PError, type Reason } from '../reasons.ts'

export type WoprReason = Extract<Reason, `WOPR_${string}`>

export interface WoprErrorInit {
  /** The HTTP status, when WOPR (or the relay) answered. */
  status?: number
  /** From Retry-After on a 429. */
  retryAfterMs?: number
  /** The request may have reached WOPR and been acted on: sent, then no answer. */
  maybeDelivered?: boolean
  hint?: string
}

export class WoprError extends WoprP2PError {
  readonly status: number | undefined
  readonly retryAfterMs: number | undefined
  readonly maybeDelivered: boolean

  constructor(
    override readonly code: WoprReason,
    message: string,
    init: WoprErrorInit = {},
  ) {
    super(code, message, init.hint)
    this.name = 'WoprError'
    this.status = init.status
    this.retryAfterMs = init.retryAfterMs
    this.maybeDelivered = init.maybeDelivered ?? false
  }
}
