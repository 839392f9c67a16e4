// Pacing and backoff for the WOPR outbox (WOPR-API.md "Rate limit": 60 requests per 60 s per
// token, shared with every other client of that token). Pure functions of an injected `now`
// and randomness, so the outbox tests can run hours of backoff in microseconds.

export interface PaceOptions {
  /** Sustained requests per minute; the default leaves WOPR's other clients half its budget. */
  ratePerMinute: number
  /** Requests that may go back to back after a quiet spell. */
  burst: number
}

export const DEFAULT_PACE: PaceOptions = { ratePerMinute: 30, burst: 10 }

/**
 * A token bucket: at most `burst + ratePerMinute` requests in any 60 s, whatever the phase of
 * WOPR's fixed window, so the defaults (≤ 40) stay under its 60 with room for others.
 */
export class TokenBucket {
  private tokens: number
  private at: number

  constructor(
    private readonly pace: PaceOptions,
    now: number,
  ) {
    if (!(pace.ratePerMinute > 0) || !(pace.burst >= 1)) throw new RangeError('TokenBucket: ratePerMinute must be > 0 and burst >= 1')
    this.tokens = pace.burst
    this.at = now
  }

  /** Milliseconds until one token is available (0: now). */
  wait(now: number): number {
    this.refill(now)
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 60_000) / this.pace.ratePerMinute)
  }

  /** Spend one token; call only when wait() is 0. */
  take(now: number): void {
    this.refill(now)
    this.tokens -= 1
  }

  /** After a 429 our estimate of WOPR's budget was wrong: start again from empty. */
  drain(now: number): void {
    this.refill(now)
    this.tokens = Math.min(this.tokens, 0)
  }

  private refill(now: number): void {
    // A clock that steps back must not mint tokens on the next step forward.
    if (now > this.at) this.tokens = Math.min(this.pace.burst, this.tokens + ((now - this.at) * this.pace.ratePerMinute) / 60_000)
    this.at = Math.max(this.at, now)
  }
}

export interface BackoffOptions {
  baseMs: number
  maxMs: number
  /** Fraction of the delay drawn at random (0.2: between 80 % and 100 %), so restarted sidecars do not retry in step. */
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60_000, jitter: 0.2 }

/** Delay before retry number `failures` (1 = after the first failure): base · 2^(failures−1), capped, jittered down. */
export function backoffDelay(failures: number, opts: BackoffOptions, random: () => number): number {
  const full = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30))
  return Math.round(full * (1 - opts.jitter * random()))
}
