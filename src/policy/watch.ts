// The running policy (DESIGN.md "Configuration": validated at start and on reload). Holds the
// current frozen Policy, reloads it on SIGHUP and when a file in the policy directory changes
// (debounced), and swaps it in one assignment only when the whole new policy validates; a bad
// reload keeps the last good policy and tells subscribers why. Signals, directory watching,
// timers and the loader are injected so tests drive every path without waiting.

import { watch } from 'node:fs'
import { loadPolicyDir, isPolicyFileName, policyError, type PolicyLoad } from './load.ts'
import type { Policy } from './schema.ts'
import type { PolicyProblem } from './validate.ts'

export type ReloadTrigger = 'SIGHUP' | 'file' | 'manual'

export type PolicyEvent =
  | { type: 'applied'; trigger: ReloadTrigger; policy: Policy; previous: Policy }
  | { type: 'rejected'; trigger: ReloadTrigger; problems: readonly PolicyProblem[]; kept: Policy }
  /** File watching stopped (directory removed, watcher error); SIGHUP still reloads. */
  | { type: 'watch-stopped'; reason: string }

export type ReloadOutcome = 'applied' | 'unchanged' | 'rejected'

export interface SignalSource {
  on(signal: 'SIGHUP', listener: () => void): unknown
  off(signal: 'SIGHUP', listener: () => void): unknown
}

/** Calls `onChange` when something in `dir` may have changed; `onError` once if watching dies. */
export type WatchDir = (dir: string, onChange: () => void, onError: (reason: string) => void) => { close(): void }

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface PolicyWatcherOptions {
  dir: string
  signals?: SignalSource
  watchDir?: WatchDir
  /** Quiet time after the last file event before reloading: editors write a file in several steps. */
  debounceMs?: number
  timers?: Timers
  load?: (dir: string) => PolicyLoad
}

/** fs.watch on the directory, filtered to policy file names (a null name means "something changed"). */
export const watchPolicyDir: WatchDir = (dir, onChange, onError) => {
  const watcher = watch(dir, { persistent: false }, (_event, name) => {
    if (name === null || isPolicyFileName(String(name))) onChange()
  })
  watcher.on('error', (err) => {
    watcher.close()
    onError(err.message)
  })
  return watcher
}

const REAL_TIMERS: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }

export class PolicyWatcher {
  private policy: Policy
  private readonly listeners = new Set<(event: PolicyEvent) => void>()
  private readonly onSighup = () => void this.reload('SIGHUP')
  private readonly signals: SignalSource
  private readonly timers: Timers
  private readonly load: (dir: string) => PolicyLoad
  private fileWatch: { close(): void } | undefined
  private pending: unknown
  private watchOff: string | undefined

  /** Loads the policy or throws (a bad policy at start refuses to start), then starts listening. */
  constructor(private readonly opts: PolicyWatcherOptions) {
    this.signals = opts.signals ?? process
    this.timers = opts.timers ?? REAL_TIMERS
    this.load = opts.load ?? loadPolicyDir
    const first = this.load(opts.dir)
    if (!first.ok) throw policyError(first.problems, `fix the lines above; check with: wopr-p2p policy check ${opts.dir}`)
    this.policy = first.policy
    this.signals.on('SIGHUP', this.onSighup)
    try {
      this.fileWatch = (opts.watchDir ?? watchPolicyDir)(opts.dir, () => this.fileChanged(), (reason) => this.stopWatching(reason))
    } catch (err) {
      // A missing directory cannot be watched; the defaults run and SIGHUP picks up a later one.
      this.watchOff = (err as Error).message
    }
  }

  get current(): Policy {
    return this.policy
  }

  /** Why the directory is not being watched, if it is not (for `status`); SIGHUP works regardless. */
  get fileWatchOff(): string | undefined {
    return this.watchOff
  }

  /** Returns the unsubscribe function. Listeners run synchronously, after the swap. */
  subscribe(listener: (event: PolicyEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Never throws for what the directory holds: an unreadable one is a refused reload like any other. */
  reload(trigger: ReloadTrigger = 'manual'): ReloadOutcome {
    const next = this.loadQuietly()
    if (!next.ok) {
      this.emit({ type: 'rejected', trigger, problems: next.problems, kept: this.policy })
      return 'rejected'
    }
    // Editors touch files without changing them; only a different policy is news.
    if (JSON.stringify(next.policy) === JSON.stringify(this.policy)) return 'unchanged'
    const previous = this.policy
    this.policy = next.policy
    this.emit({ type: 'applied', trigger, policy: next.policy, previous })
    return 'applied'
  }

  private loadQuietly(): PolicyLoad {
    try {
      return this.load(this.opts.dir)
    } catch (err) {
      const message = `cannot read the policy directory: ${(err as Error).message}`
      return { ok: false, problems: [{ reason: 'POLICY_UNREADABLE', file: this.opts.dir, line: 0, col: 0, path: '', message }] }
    }
  }

  close(): void {
    this.signals.off('SIGHUP', this.onSighup)
    this.fileWatch?.close()
    this.fileWatch = undefined
    if (this.pending !== undefined) this.timers.clearTimeout(this.pending)
    this.pending = undefined
  }

  private fileChanged(): void {
    if (this.pending !== undefined) this.timers.clearTimeout(this.pending)
    this.pending = this.timers.setTimeout(() => {
      this.pending = undefined
      this.reload('file')
    }, this.opts.debounceMs ?? 250)
  }

  private stopWatching(reason: string): void {
    this.fileWatch = undefined
    this.watchOff = reason
    this.emit({ type: 'watch-stopped', reason })
  }

  /** Every listener sees the event even if one throws; the first error is rethrown after (a listener bug is a bug). */
  private emit(event: PolicyEvent): void {
    let failure: unknown
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (err) {
        failure ??= err
      }
    }
    if (failure !== undefined) throw failure
  }
}
