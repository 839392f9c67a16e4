// The warm pool (DESIGN.md "The sandbox"; DOCKER-HAZARDS.md: start dominates a sandbox's
// cost): containers already started, the runner blocked reading its stdin. Each serves
// exactly one job; used ones are removed off the caller's path; idle ones are recycled
// after a bounded time so none lives long; refills happen in the background. The pool
// owns every container it hands out until `retire`, so `close` leaves none behind.

import type { Logger } from '../log/logger.ts'
import type { SandboxContainer } from './container.ts'

export type PoolOptions = {
  /** Started containers kept ready (0: every job starts its own). */
  size: number
  /** A member idle this long is removed and replaced. */
  idleMs: number
  launch: () => Promise<SandboxContainer>
  logger?: Logger
}

const RETRY_MIN_MS = 500
const RETRY_MAX_MS = 30_000

export class SandboxPool {
  private readonly ready: SandboxContainer[] = []
  private readonly live = new Set<SandboxContainer>()
  private readonly removals = new Set<Promise<void>>()
  private launching = 0
  private retryMs = RETRY_MIN_MS
  private retryTimer: NodeJS.Timeout | undefined
  private readonly sweeper: NodeJS.Timeout | undefined
  private closed = false
  /** Jobs served by an already-started member, and by a container started for them. */
  readonly served = { warm: 0, cold: 0 }

  constructor(private readonly opts: PoolOptions) {
    if (opts.size > 0) {
      this.sweeper = setInterval(() => this.recycleIdle(), Math.max(250, opts.idleMs / 4))
      this.sweeper.unref()
      this.fill()
    }
  }

  get readyCount(): number {
    return this.ready.length
  }

  /** Containers not yet removed: ready, in use, or being started. */
  get liveCount(): number {
    return this.live.size + this.launching
  }

  /** A started container for one job: a warm member if one is alive, else a fresh one. */
  async take(): Promise<SandboxContainer> {
    if (this.closed) throw new Error('pool closed')
    let box: SandboxContainer | undefined
    while ((box = this.ready.shift())) {
      if (!box.exited) break
      this.retire(box)
    }
    this.fill()
    if (box) {
      this.served.warm++
      return box
    }
    const fresh = await this.opts.launch()
    this.live.add(fresh)
    this.served.cold++
    if (this.closed) {
      this.retire(fresh)
      throw new Error('pool closed')
    }
    return fresh
  }

  /** Remove a container in the background; `close` waits for it. */
  retire(box: SandboxContainer): void {
    const removal = box.remove().finally(() => {
      this.live.delete(box)
      this.removals.delete(removal)
    })
    this.removals.add(removal)
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.sweeper)
    clearTimeout(this.retryTimer)
    this.ready.length = 0
    for (const box of this.live) this.retire(box)
    while (this.removals.size > 0 || this.launching > 0) await Promise.race([...this.removals, new Promise((r) => setTimeout(r, 20))])
  }

  private fill(): void {
    while (!this.closed && this.retryTimer === undefined && this.ready.length + this.launching < this.opts.size) {
      this.launching++
      this.opts.launch().then(
        (box) => {
          this.launching--
          this.live.add(box)
          this.retryMs = RETRY_MIN_MS
          if (this.closed) this.retire(box)
          else this.ready.push(box)
        },
        (err: Error) => {
          this.launching--
          this.opts.logger?.warn({ reason: 'SANDBOX_ENGINE', detail: err.message, retryMs: this.retryMs }, 'sandbox-pool-launch-failed')
          // Back off: an engine that refuses now would otherwise be asked again in a tight loop.
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined
            this.fill()
          }, this.retryMs)
          this.retryTimer.unref()
          this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS)
        },
      )
    }
  }

  private recycleIdle(): void {
    const now = performance.now()
    for (let i = this.ready.length - 1; i >= 0; i--) {
      const box = this.ready[i]!
      if (box.exited || now - box.startedAt >= this.opts.idleMs) {
        this.ready.splice(i, 1)
        this.retire(box)
      }
    }
    this.fill()
  }
}
