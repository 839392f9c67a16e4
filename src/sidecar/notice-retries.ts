// Retry bookkeeping for rotation notices (SECURITY.md "Key Rotation": offline peers are told
// later). key-history.json says who still has to be told; this says when to try each one
// next. Pure and in memory: after a restart every pending notice is simply due at once.

/** Pauses after the 1st, 2nd, … failed attempt; the last one repeats until the grace ends. */
export const NOTICE_BACKOFF_MS: readonly number[] = [5_000, 15_000, 60_000, 300_000]

export interface PendingNotice {
  /** The retired signing key whose rotation notice this is. */
  oldSignPub: string
  /** The peer that has not acknowledged it yet. */
  peer: string
}

interface Attempts {
  failures: number
  nextAt: number
}

export class NoticeRetries {
  private readonly attempts = new Map<string, Attempts>()

  constructor(private readonly backoffMs: readonly number[] = NOTICE_BACKOFF_MS) {}

  /** The pending notices whose next attempt is due at `now` (never tried counts as due). */
  due(pending: readonly PendingNotice[], now: number): PendingNotice[] {
    return pending.filter((p) => (this.attempts.get(keyOf(p))?.nextAt ?? -Infinity) <= now)
  }

  /** When `p` is next tried, or null if it is due now or was never tried. */
  nextAt(p: PendingNotice): number | null {
    return this.attempts.get(keyOf(p))?.nextAt ?? null
  }

  failed(p: PendingNotice, now: number): void {
    const failures = (this.attempts.get(keyOf(p))?.failures ?? 0) + 1
    const pause = this.backoffMs[Math.min(failures, this.backoffMs.length) - 1] ?? 0
    this.attempts.set(keyOf(p), { failures, nextAt: now + pause })
  }

  /** Acknowledged, or no longer pending (grace over, peer removed): stop tracking it. */
  settled(p: PendingNotice): void {
    this.attempts.delete(keyOf(p))
  }

  /** Forget every notice not in `pending`, so the map never outgrows key-history.json. */
  keepOnly(pending: readonly PendingNotice[]): void {
    const live = new Set(pending.map(keyOf))
    for (const k of this.attempts.keys()) if (!live.has(k)) this.attempts.delete(k)
  }
}

function keyOf(p: PendingNotice): string {
  return `${p.oldSignPub}\0${p.peer}`
}
