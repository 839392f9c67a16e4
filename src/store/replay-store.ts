// The persistent per-peer nonce store (SECURITY.md "Replay Protection"; WIRE.md: nonces are
// tracked per peer, persisted, never wiped wholesale). A nonce is kept while a message with
// its ts could still pass the freshness window, and is on disk before check() says 'fresh'.

import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { WoprP2PError } from '../reasons.ts'
import { readSecureFile, writeFileAtomic } from './atomic-file.ts'

export type ReplayVerdict = 'fresh' | 'replay' | 'full'

export interface ReplayStoreOptions {
  /** WIRE.md freshness window: a message is fresh while |now − ts| ≤ windowMs. */
  windowMs?: number
  /** Live nonces one peer may hold; past it check() answers 'full' rather than forget one (fail closed). */
  maxPerPeer?: number
  /** Rewrite the journal after this many appends, or after as many appends as there are live nonces if that is more. */
  compactAfter?: number
  /** The clock at open, for dropping entries that expired while we were down. */
  now?: number
}

const HEADER = '["wopr-p2p replay journal",1]'

interface PeerNonces {
  /** nonce → ts in arrival order, which is roughly ts order, so expired entries are mostly at the front. */
  seen: Map<string, number>
  /** Set when full: nothing held expires before this instant, so sweeping earlier is wasted work. */
  fullUntil: number
}

export class ReplayStore {
  private readonly peers = new Map<string, PeerNonces>()
  private live = 0
  private appended = 0
  private fd = -1

  private constructor(
    readonly path: string,
    private readonly windowMs: number,
    private readonly maxPerPeer: number,
    private readonly compactAfter: number,
  ) {}

  /** Load the journal at `path` (a missing one starts empty), drop what expired, and rewrite it. */
  static open(path: string, { windowMs = 300_000, maxPerPeer = 10_000, compactAfter = 10_000, now = Date.now() }: ReplayStoreOptions = {}): ReplayStore {
    const store = new ReplayStore(path, windowMs, maxPerPeer, compactAfter)
    const bytes = readSecureFile(path)
    if (bytes !== null) {
      for (const [peer, nonce, ts] of parseJournal(path, bytes.toString('utf8'))) {
        const seen = store.peerNonces(peer).seen
        const held = seen.get(nonce)
        if (held === undefined) store.live++
        // A nonce journalled twice (re-accepted after it expired) is kept for its later ts.
        if (held === undefined || ts > held) seen.set(nonce, ts)
      }
    }
    // Rewriting now also drops a torn last line, so no later append can follow a partial one.
    store.compact(now)
    return store
  }

  /** Nonces held: live ones plus expired ones not yet dropped. */
  get size(): number {
    return this.live
  }

  /**
   * Call after the freshness check; records the nonce in the journal before answering 'fresh'.
   * A ts outside the window answers 'replay': its entry may be gone, so it can never be proven new.
   */
  check(peer: string, nonce: string, ts: number, now: number): ReplayVerdict {
    if (this.fd === -1) throw new WoprP2PError('IO', `replay store ${this.path} is closed`, 'restart the sidecar to reopen it')
    if (!(Math.abs(now - ts) <= this.windowMs)) return 'replay'
    if (this.appended >= Math.max(this.compactAfter, this.live)) this.compact(now)
    const state = this.peerNonces(peer)
    this.dropExpiredFront(state, now)
    if (state.seen.has(nonce)) return 'replay'
    if (state.seen.size >= this.maxPerPeer && !this.makeRoom(state, now)) return 'full'
    this.append(`${JSON.stringify([peer, nonce, ts])}\n`)
    state.seen.set(nonce, ts)
    this.live++
    this.appended++
    return 'fresh'
  }

  close(): void {
    if (this.fd !== -1) closeSync(this.fd)
    this.fd = -1
  }

  private peerNonces(peer: string): PeerNonces {
    let state = this.peers.get(peer)
    if (state === undefined) {
      state = { seen: new Map(), fullUntil: 0 }
      this.peers.set(peer, state)
    }
    return state
  }

  private dropExpiredFront(state: PeerNonces, now: number): void {
    for (const [nonce, ts] of state.seen) {
      if (ts + this.windowMs >= now) return
      state.seen.delete(nonce)
      this.live--
    }
  }

  /** Drops every expired entry of one peer; returns the oldest ts still held (Infinity if none). */
  private sweep(state: PeerNonces, now: number): number {
    let oldest = Infinity
    for (const [nonce, ts] of state.seen) {
      if (ts + this.windowMs < now) {
        state.seen.delete(nonce)
        this.live--
      } else if (ts < oldest) oldest = ts
    }
    return oldest
  }

  /** A full peer gets room only if some entry has expired; the front-only drop can miss out-of-order ones. */
  private makeRoom(state: PeerNonces, now: number): boolean {
    if (now < state.fullUntil) return false
    const oldest = this.sweep(state, now)
    if (state.seen.size < this.maxPerPeer) return true
    state.fullUntil = oldest + this.windowMs + 1
    return false
  }

  private append(line: string): void {
    try {
      // Short only when the disk is full; the partial line is then the journal's last, which open() ignores.
      if (writeSync(this.fd, line) !== Buffer.byteLength(line)) throw new Error('short write')
    } catch (err) {
      this.close()
      throw new WoprP2PError('IO', `failed to append to replay journal ${this.path}: ${(err as Error).message}; store closed`, 'free disk space, then restart the sidecar')
    }
  }

  private compact(now: number): void {
    const lines = [HEADER]
    for (const [peer, state] of this.peers) {
      this.sweep(state, now)
      if (state.seen.size === 0) this.peers.delete(peer)
      else for (const [nonce, ts] of state.seen) lines.push(JSON.stringify([peer, nonce, ts]))
    }
    writeFileAtomic(this.path, `${lines.join('\n')}\n`)
    // The old descriptor still points at the replaced file; if reopening fails the store stays closed.
    this.close()
    this.fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW)
    this.appended = 0
  }
}

function parseJournal(path: string, text: string): Array<[string, string, number]> {
  const lines = text.split('\n')
  // The segment after the last newline is empty, or an append torn by a crash before check() answered.
  lines.pop()
  if (lines[0] !== HEADER) throw corrupt(path, 'does not start with the replay journal header')
  const entries: Array<[string, string, number]> = []
  for (let i = 1; i < lines.length; i++) {
    let entry: unknown
    try {
      entry = JSON.parse(lines[i]!)
    } catch {
      entry = undefined
    }
    if (!Array.isArray(entry) || entry.length !== 3 || typeof entry[0] !== 'string' || typeof entry[1] !== 'string' || !Number.isFinite(entry[2])) {
      throw corrupt(path, `line ${i + 1} is not a [peer, nonce, ts] entry`)
    }
    entries.push(entry as [string, string, number])
  }
  return entries
}

function corrupt(path: string, what: string): WoprP2PError {
  return new WoprP2PError('STORE_CORRUPT', `replay journal ${path} ${what}`, `restore ${path}, or move it aside and keep the sidecar stopped for the 5-minute window so every nonce in it has expired`)
}
