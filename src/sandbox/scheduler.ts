// Who runs next in the sandbox (DESIGN.md "The sandbox"; issue #4 "Global concurrency
// cap, per-session FIFO, bounded queue that refuses with busy"). Pure bookkeeping: the
// handler offers jobs and reports them done; this decides order and refusals.
// One job per session runs at a time, so an inject always sees the transcript its
// predecessor left; sessions take turns, so one chatty friend cannot starve the rest.

import { accept, refuse, type Verdict } from '../reasons.ts'

export type SchedulerLimits = {
  /** Jobs running at once, over all sessions. */
  concurrency: number
  /** Jobs one session may have waiting (its running one not counted). */
  perSession: number
  /** Jobs waiting over all sessions. */
  total: number
}

export type Scheduled<T> = { session: string; job: T }

export class JobScheduler<T> {
  /** Waiting jobs by session; Map order is the round-robin order (a served session moves to the back). */
  private readonly waiting = new Map<string, T[]>()
  private readonly busySessions = new Set<string>()
  private queuedCount = 0

  constructor(private readonly limits: SchedulerLimits) {}

  get running(): number {
    return this.busySessions.size
  }

  get queued(): number {
    return this.queuedCount
  }

  /** Queue a job, or refuse it rather than grow past a bound. */
  offer(session: string, job: T): Verdict<void> {
    const mine = this.waiting.get(session)
    if ((mine?.length ?? 0) >= this.limits.perSession) return refuse('SANDBOX_BUSY', 'session queue full')
    if (this.queuedCount >= this.limits.total) return refuse('SANDBOX_BUSY', 'sandbox queue full')
    if (mine) mine.push(job)
    else this.waiting.set(session, [job])
    this.queuedCount++
    return accept(undefined)
  }

  /** The next job allowed to start now (marked running), or undefined. */
  next(): Scheduled<T> | undefined {
    if (this.busySessions.size >= this.limits.concurrency) return undefined
    for (const [session, jobs] of this.waiting) {
      if (this.busySessions.has(session)) continue
      const job = jobs.shift() as T
      this.waiting.delete(session)
      if (jobs.length > 0) this.waiting.set(session, jobs)
      this.queuedCount--
      this.busySessions.add(session)
      return { session, job }
    }
    return undefined
  }

  /** The running job of `session` finished: its slot and its session are free again. */
  done(session: string): void {
    this.busySessions.delete(session)
  }

  /** Empty the queue (shutdown); the jobs are returned so each can be answered. */
  drain(): Scheduled<T>[] {
    const out: Scheduled<T>[] = []
    for (const [session, jobs] of this.waiting) for (const job of jobs) out.push({ session, job })
    this.waiting.clear()
    this.queuedCount = 0
    return out
  }
}
