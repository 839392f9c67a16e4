// The live peer state of a running sidecar: the current PeerState in memory,
// every change written to disk (peer-files.ts) before it takes effect, and a
// PeerDirectory rebuilt on each change so admission sees it at once. Listeners
// hear about every change — a revoke closes that peer's open connections.

import { PeerDirectory } from './directory.ts'
import { pruneExpired, type PeerState } from './model.ts'
import type { PeerFiles } from './peer-files.ts'

export type PeerStateListener = (previous: PeerState, next: PeerState) => void

export class LivePeerState {
  private current: PeerState
  private dir: PeerDirectory
  private readonly listeners = new Set<PeerStateListener>()

  constructor(private readonly files: PeerFiles) {
    this.current = files.load()
    this.dir = new PeerDirectory(this.current)
  }

  get value(): PeerState {
    return this.current
  }

  get directory(): PeerDirectory {
    return this.dir
  }

  /** Apply a pure change; persisted first, so nothing acknowledged is lost. Returns the new state. */
  update(change: (state: PeerState) => PeerState): PeerState {
    const previous = this.current
    const next = change(previous)
    if (next === previous) return previous
    this.files.save(previous, next)
    this.current = next
    this.dir = new PeerDirectory(next)
    for (const l of this.listeners) l(previous, next)
    return next
  }

  /** Drop expired invites, claim records and rotated-away keys. */
  prune(now: number): void {
    const pruned = pruneExpired(this.current, now)
    const same = JSON.stringify(pruned) === JSON.stringify(this.current)
    if (!same) this.update(() => pruned)
  }

  onChange(listener: PeerStateListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
