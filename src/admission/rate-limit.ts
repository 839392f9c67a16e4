// Per-peer, per-action sliding-window rate limits (SECURITY.md "Rate Limiting").
// Each (peer, action) keeps the times of its last N accepted events in a ring,
// N = the window's limit: the event is allowed when the oldest of those N is
// outside the window. O(1) per check, exact, and refused attempts cost nothing.

import type { PeerAction, WindowLimit } from './trust.ts'

const MINUTE = 60_000
const HOUR = 3_600_000

class Ring {
  private readonly times: Float64Array
  private next = 0

  constructor(size: number) {
    this.times = new Float64Array(size).fill(Number.NEGATIVE_INFINITY)
  }

  /** True when one more event at `now` stays within `size` events per `windowMs`. */
  hasRoom(now: number, windowMs: number): boolean {
    return this.times.length > 0 && now - this.times[this.next]! >= windowMs
  }

  record(now: number): void {
    this.times[this.next] = now
    this.next = (this.next + 1) % this.times.length
  }
}

interface Buckets {
  minute: Ring
  hour: Ring
}

export class RateLimiter {
  private readonly buckets = new Map<string, Buckets>()

  constructor(private readonly limits: Readonly<Record<PeerAction, WindowLimit>>) {}

  /** Take one event for (peer, action) at `now`; false (nothing recorded) when over either window. */
  take(peer: string, action: PeerAction, now: number): boolean {
    const key = `${action}\0${peer}`
    let b = this.buckets.get(key)
    if (!b) {
      const limit = this.limits[action]
      b = { minute: new Ring(limit.perMinute), hour: new Ring(limit.perHour) }
      this.buckets.set(key, b)
    }
    if (!b.minute.hasRoom(now, MINUTE) || !b.hour.hasRoom(now, HOUR)) return false
    b.minute.record(now)
    b.hour.record(now)
    return true
  }
}
