// The durable WOPR outbox (DESIGN.md "The path of one inbound message": WOPR log, "durable
// outbox if WOPR is down"): enqueue() persists before it returns; one loop delivers in enqueue
// order, paced under WOPR's 60/min, backing off on 429, 5xx and an unreachable WOPR.

import { join } from 'node:path'
import { accept, refuse, WoprP2PError, type Verdict } from '../reasons.ts'
import type { WoprApi } from './client.ts'
import { WoprError, type WoprReason } from './errors.ts'
import { entryBytes, OUTBOX_FILE, OutboxJournal, type JournalEntry, type OutboxEntry } from './outbox-journal.ts'
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_PACE, TokenBucket, type BackoffOptions, type PaceOptions } from './pacer.ts'
import { isWoprSessionName } from './session-name.ts'

/*
 * Delivery semantics. An entry leaves the journal only after WOPR answered 200 to its log, or
 * after a read-back showed it already there. A send that may have reached WOPR without our
 * seeing the answer (a timeout or a connection cut after sending, or a SIGKILL mid-request,
 * known at the next start from the entry's durable `try` record) leaves the entry *in doubt*.
 * Before sending it again we read the session's last `verifyLimit` entries and count it
 * delivered if one has its `from` and content and a WOPR ts at or after our first try. So an
 * entry is logged exactly once, except:
 *  - WOPR logged more than verifyLimit entries to that session meanwhile, its clock is behind
 *    ours (different hosts), or the read-back is not understood (e.g. over the client's answer
 *    cap): we send again, a duplicate (at-least-once);
 *  - something other than this outbox logged the same text with the same `from` to that session
 *    after our first try: we skip ours, a loss. Our own earlier copy cannot be the match: the
 *    queue is FIFO, so it got its 200 before our first try.
 * `from` stays `p2p:<peer key>`: an id in it would show in WOPR and the model's context, and
 * WOPR does not dedupe on it. A 500 is taken as "not stored": WOPR's log handler appends last.
 */

export interface OutboxClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const REAL_CLOCK: OutboxClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

export type OutboxEvent =
  | { type: 'delivered'; id: number; session: string; verified: boolean }
  | { type: 'rejected'; id: number; session: string; reason: WoprReason }
  | { type: 'retry'; id: number; reason: WoprP2PError['code']; delayMs: number }

export interface OutboxOptions {
  /** The data dir, already opened with store/secure-dir.ts openStateDir. */
  dataDir: string
  client: WoprApi
  maxEntries?: number
  /** Over all pending entries (session + from + message, UTF-8). */
  maxBytes?: number
  maxEntryBytes?: number
  pace?: PaceOptions
  backoff?: BackoffOptions
  /** How often an idle outbox asks GET /health, so status() knows whether WOPR is there; 0: never. */
  probeIntervalMs?: number
  /** Entries read back to settle an entry in doubt. */
  verifyLimit?: number
  clock?: OutboxClock
  random?: () => number
  /** One call per delivery, rejection or retry; carries no message text. The role logs them. */
  onEvent?: (event: OutboxEvent) => void
}

export interface OutboxStatus {
  pending: number
  pendingBytes: number
  maxEntries: number
  maxBytes: number
  /** No room for another entry of any size; enqueue() answers WOPR_OUTBOX_FULL. */
  full: boolean
  /** Enqueues refused with WOPR_OUTBOX_FULL since start. */
  refusedFull: number
  delivered: number
  rejected: number
  /** null until WOPR has been tried; false while it does not answer at all. */
  reachable: boolean | null
  lastError: { reason: WoprP2PError['code']; message: string; at: number } | null
  lastDeliveryAt: number | null
  /** When the head entry will next be tried, if it is waiting for a backoff. */
  retryAt: number | null
}

/** The entry is at fault, not WOPR: retrying can never succeed, and it would block everything behind it. */
const PERMANENT: ReadonlySet<string> = new Set<WoprReason>(['WOPR_BAD_SESSION', 'WOPR_EMPTY_MESSAGE', 'WOPR_RELAY_DENIED', 'WOPR_RELAY_BODY_TOO_LARGE'])

export class Outbox {
  private readonly journal: OutboxJournal
  private readonly clock: OutboxClock
  private readonly bucket: TokenBucket
  private readonly maxEntries: number
  private readonly maxBytes: number
  private readonly maxEntryBytes: number
  private readonly probeIntervalMs: number
  private readonly verifyLimit: number
  private readonly backoff: BackoffOptions
  private readonly random: () => number
  /** Ids whose last send may have landed; entries tried before this start are in doubt too. */
  private readonly inDoubt = new Set<number>()
  private failures = 0
  private retryAt = 0
  private counts = { delivered: 0, rejected: 0, refusedFull: 0 }
  private reachable: boolean | null = null
  private lastError: OutboxStatus['lastError'] = null
  private lastDeliveryAt: number | null = null
  private wakeUp: (() => void) | null = null
  private running: Promise<void> | null = null
  private closing = false

  private constructor(private readonly opts: OutboxOptions) {
    this.clock = opts.clock ?? REAL_CLOCK
    this.journal = OutboxJournal.open(join(opts.dataDir, OUTBOX_FILE))
    for (const e of this.journal.pending) if (e.firstTryAt !== null) this.inDoubt.add(e.id)
    this.bucket = new TokenBucket(opts.pace ?? DEFAULT_PACE, this.clock.now())
    this.maxEntries = opts.maxEntries ?? 10_000
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024
    this.maxEntryBytes = opts.maxEntryBytes ?? 4 * 1024 * 1024
    this.probeIntervalMs = opts.probeIntervalMs ?? 30_000
    this.verifyLimit = opts.verifyLimit ?? 50
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF
    this.random = opts.random ?? Math.random
  }

  /** Opens (and rewrites) the journal; delivery starts with start(). */
  static open(opts: OutboxOptions): Outbox {
    return new Outbox(opts)
  }

  start(): void {
    this.running ??= this.run()
  }

  /** Refusals are values; an accepted entry is on disk (fsynced) before this returns. Throws only on I/O failure. */
  enqueue(entry: OutboxEntry): Verdict<{ id: number }> {
    if (!isWoprSessionName(entry.session)) return refuse('WOPR_BAD_SESSION')
    if (entry.message === '') return refuse('WOPR_EMPTY_MESSAGE')
    const bytes = entryBytes(entry)
    if (bytes > this.maxEntryBytes) return refuse('WOPR_ENTRY_TOO_LARGE', `${bytes} bytes, at most ${this.maxEntryBytes}`)
    if (this.journal.pending.length >= this.maxEntries || this.journal.pendingBytes + bytes > this.maxBytes) {
      this.counts.refusedFull++
      return refuse('WOPR_OUTBOX_FULL', `${this.journal.pending.length} entries, ${this.journal.pendingBytes} bytes pending`)
    }
    const { id } = this.journal.add(entry, this.clock.now())
    this.wakeUp?.()
    return accept({ id })
  }

  status(): OutboxStatus {
    const pending = this.journal.pending.length
    return {
      pending,
      pendingBytes: this.journal.pendingBytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
      full: pending >= this.maxEntries || this.journal.pendingBytes >= this.maxBytes,
      ...this.counts,
      reachable: this.reachable,
      lastError: this.lastError,
      lastDeliveryAt: this.lastDeliveryAt,
      retryAt: pending > 0 && this.retryAt > this.clock.now() ? this.retryAt : null,
    }
  }

  /** Stops after the request in flight (bounded by the client's timeout) and closes the journal. */
  async close(): Promise<void> {
    this.closing = true
    this.wakeUp?.()
    await this.running
    this.journal.close()
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      const head = this.journal.pending[0]
      if (head === undefined) {
        // Status should say from the start whether WOPR is there, not only after the first interval.
        if (this.reachable === null && this.probeIntervalMs > 0) {
          await this.probe()
          continue
        }
        if ((await this.sleep(this.probeIntervalMs || Infinity)) && this.journal.pending.length === 0 && !this.closing) await this.probe()
        continue
      }
      const now = this.clock.now()
      const wait = Math.max(this.retryAt - now, this.bucket.wait(now))
      if (wait > 0) {
        await this.sleep(wait)
        continue
      }
      this.bucket.take(now)
      try {
        await this.attempt(head)
      } catch (err) {
        this.failed(head, err)
      }
    }
  }

  /** One request towards delivering `head`: a read-back if it is in doubt, else its log. */
  private async attempt(head: JournalEntry): Promise<void> {
    if (this.inDoubt.has(head.id)) {
      const entries = await this.opts.client.conversation(head.session, this.verifyLimit).then(
        (c) => c.entries,
        (err: unknown) => {
          // An answer we cannot read will not get readable by asking again: send rather than block the queue.
          if (err instanceof WoprError && err.code === 'WOPR_BAD_RESPONSE') return []
          throw err
        },
      )
      this.reachable = true
      this.inDoubt.delete(head.id)
      const since = head.firstTryAt ?? head.enqueuedAt
      if (entries.some((e) => e.from === head.from && e.content === head.message && e.ts >= since)) this.succeeded(head, true)
      return
    }
    this.journal.markTried(head.id, this.clock.now())
    await this.opts.client.log(head.session, head.message, head.from)
    this.succeeded(head, false)
  }

  private succeeded(head: JournalEntry, verified: boolean): void {
    this.journal.markDone(head.id)
    this.reachable = true
    this.failures = 0
    this.retryAt = 0
    this.lastDeliveryAt = this.clock.now()
    this.counts.delivered++
    this.opts.onEvent?.({ type: 'delivered', id: head.id, session: head.session, verified })
  }

  private failed(head: JournalEntry, err: unknown): void {
    const now = this.clock.now()
    const reason = err instanceof WoprP2PError ? err.code : 'IO'
    this.lastError = { reason, message: err instanceof Error ? err.message : String(err), at: now }
    if (err instanceof WoprError) {
      if (err.maybeDelivered) this.inDoubt.add(head.id)
      if (err.code === 'WOPR_UNREACHABLE' || err.code === 'WOPR_TIMEOUT') this.reachable = false
      else if (err.status !== undefined) this.reachable = true
      if (PERMANENT.has(err.code)) {
        try {
          this.journal.markDone(head.id)
        } catch (ioErr) {
          return this.failed(head, ioErr)
        }
        this.counts.rejected++
        this.opts.onEvent?.({ type: 'rejected', id: head.id, session: head.session, reason: err.code })
        return
      }
    }
    this.failures++
    let delayMs = backoffDelay(this.failures, this.backoff, this.random)
    if (err instanceof WoprError && err.code === 'WOPR_RATE_LIMITED') {
      // WOPR's window is shared with its other clients: our bucket was optimistic, so drain it too.
      this.bucket.drain(now)
      delayMs = Math.max(delayMs, err.retryAfterMs ?? 60_000)
    }
    this.retryAt = now + delayMs
    this.opts.onEvent?.({ type: 'retry', id: head.id, reason, delayMs })
  }

  private async probe(): Promise<void> {
    try {
      await this.opts.client.health()
      this.reachable = true
    } catch (err) {
      this.reachable = false
      const reason = err instanceof WoprP2PError ? err.code : 'IO'
      this.lastError = { reason, message: err instanceof Error ? err.message : String(err), at: this.clock.now() }
    }
  }

  /** Resolves true when `ms` passed, false when woken early (an enqueue, or close()). */
  private sleep(ms: number): Promise<boolean> {
    if (this.closing) return Promise.resolve(false)
    return new Promise((resolve) => {
      const handle = Number.isFinite(ms) ? this.clock.setTimeout(() => done(true), ms) : undefined
      const done = (timedOut: boolean) => {
        if (handle !== undefined && !timedOut) this.clock.clearTimeout(handle)
        this.wakeUp = null
        resolve(timedOut)
      }
      this.wakeUp = () => done(false)
    })
  }
}
