// Per-peer model token budget (DESIGN.md "Capabilities → what the sandbox job does":
// "per-peer token budget"; policy model.tokensPerPeer). Pure: the caller passes the
// clock. Spend is kept in one-minute buckets for the last day, so memory per peer is
// bounded (≤ 1440 buckets) and both windows slide.

import { accept, refuse, type Verdict } from '../reasons.ts'

export type BudgetLimits = { perHour: number; perDay: number }

const MINUTE_MS = 60_000
const HOUR_MINUTES = 60
const DAY_MINUTES = 24 * 60

export class TokenBudget {
  /** peer → minute index → tokens spent in that minute. */
  private readonly spent = new Map<string, Map<number, number>>()

  constructor(private limits: BudgetLimits) {}

  /** New limits from a policy reload; what each peer spent is kept. */
  setLimits(limits: BudgetLimits): void {
    this.limits = limits
  }

  /** May `peer` start another model call at `now`? A call is allowed while any budget is left. */
  check(peer: string, now: number): Verdict<void> {
    const { hour, day } = this.used(peer, now)
    if (hour >= this.limits.perHour) return refuse('MODEL_BUDGET_EXHAUSTED', `hourly budget of ${this.limits.perHour} tokens spent`)
    if (day >= this.limits.perDay) return refuse('MODEL_BUDGET_EXHAUSTED', `daily budget of ${this.limits.perDay} tokens spent`)
    return accept(undefined)
  }

  /** Charge `tokens` (the endpoint's usage.total_tokens) to `peer`. */
  record(peer: string, tokens: number, now: number): void {
    if (!(tokens > 0)) return
    const minute = Math.floor(now / MINUTE_MS)
    let buckets = this.spent.get(peer)
    if (!buckets) this.spent.set(peer, (buckets = new Map()))
    buckets.set(minute, (buckets.get(minute) ?? 0) + tokens)
    this.prune(peer, minute)
  }

  used(peer: string, now: number): { hour: number; day: number } {
    const minute = Math.floor(now / MINUTE_MS)
    this.prune(peer, minute)
    let hour = 0
    let day = 0
    for (const [m, tokens] of this.spent.get(peer) ?? []) {
      day += tokens
      if (m > minute - HOUR_MINUTES) hour += tokens
    }
    return { hour, day }
  }

  private prune(peer: string, minute: number): void {
    const buckets = this.spent.get(peer)
    if (!buckets) return
    for (const m of buckets.keys()) if (m <= minute - DAY_MINUTES) buckets.delete(m)
    if (buckets.size === 0) this.spent.delete(peer)
  }
}
