// The outbox's durable state (DESIGN.md "State": a crash at any instant loses nothing
// acknowledged): an append-only journal in the data dir, each record fsynced before the call
// returns, rewritten atomically (store/atomic-file.ts) at open and once enough is done.

import { closeSync, constants, fdatasyncSync, openSync, writeSync } from 'node:fs'
import { WoprP2PError } from '../reasons.ts'
import { readSecureFile, writeFileAtomic } from '../store/atomic-file.ts'

export const OUTBOX_FILE = 'wopr-outbox.jsonl'

export interface OutboxEntry {
  /** A WOPR-safe session name (wire/friend-lines.ts woprSafeSessionName). */
  session: string
  /** WOPR's `from`: `p2p:<peer key>` for what peers said. */
  from: string
  message: string
}

export interface JournalEntry extends OutboxEntry {
  /** Increasing in enqueue order: the delivery order. */
  id: number
  enqueuedAt: number
  /** Set, durably, just before the first send: from then on a crash leaves the entry in doubt. */
  firstTryAt: number | null
  /** UTF-8 bytes of session + from + message: what the outbox bounds count. */
  bytes: number
}

const HEADER = '["wopr-p2p outbox journal",1]'

export class OutboxJournal {
  private readonly queue: JournalEntry[] = []
  private bytes = 0
  private nextId = 1
  private appended = 0
  private fd = -1

  private constructor(
    readonly path: string,
    private readonly compactAfter: number,
  ) {}

  /** Load the journal at `path` (missing: empty), drop a torn last record, rewrite it compactly. */
  static open(path: string, { compactAfter = 1000 }: { compactAfter?: number } = {}): OutboxJournal {
    const journal = new OutboxJournal(path, compactAfter)
    const bytes = readSecureFile(path)
    if (bytes !== null) {
      const pending = replay(path, bytes.toString('utf8'))
      for (const e of pending.values()) journal.push(e)
      journal.nextId = Math.max(0, ...pending.keys()) + 1
    }
    // Rewriting now also drops a torn last line, so no later append can follow a partial one.
    journal.compact()
    return journal
  }

  /** Pending entries in delivery order (oldest first). */
  get pending(): readonly JournalEntry[] {
    return this.queue
  }

  get pendingBytes(): number {
    return this.bytes
  }

  /** Durably record a new entry; when this returns it survives SIGKILL. */
  add(entry: OutboxEntry, now: number): JournalEntry {
    const e: JournalEntry = { ...entry, id: this.nextId, enqueuedAt: now, firstTryAt: null, bytes: entryBytes(entry) }
    this.append(addLine(e))
    this.nextId++
    this.push(e)
    return e
  }

  /** Durably mark the first send attempt of `id` (later attempts add nothing: the first is the bound that matters). */
  markTried(id: number, now: number): void {
    const e = this.queue.find((q) => q.id === id)
    if (e === undefined || e.firstTryAt !== null) return
    this.append(`${JSON.stringify({ try: id, at: now })}\n`)
    e.firstTryAt = now
  }

  /** Durably remove `id`: delivered, or refused for good. */
  markDone(id: number): void {
    const i = this.queue.findIndex((q) => q.id === id)
    if (i === -1) return
    this.append(`${JSON.stringify({ done: id })}\n`)
    this.bytes -= this.queue[i]!.bytes
    this.queue.splice(i, 1)
    if (this.appended >= Math.max(this.compactAfter, this.queue.length)) this.compact()
  }

  close(): void {
    if (this.fd !== -1) closeSync(this.fd)
    this.fd = -1
  }

  private push(e: JournalEntry): void {
    this.queue.push(e)
    this.bytes += e.bytes
  }

  private append(line: string): void {
    if (this.fd === -1) throw new WoprP2PError('IO', `outbox journal ${this.path} is closed`, 'restart the sidecar to reopen it')
    try {
      // Short only when the disk is full; the partial line is then the journal's last, which open() drops.
      if (writeSync(this.fd, line) !== Buffer.byteLength(line)) throw new Error('short write')
      fdatasyncSync(this.fd)
    } catch (err) {
      this.close()
      throw new WoprP2PError('IO', `failed to append to outbox journal ${this.path}: ${(err as Error).message}; outbox closed`, 'free disk space, then restart the sidecar')
    }
    this.appended++
  }

  private compact(): void {
    const lines = [HEADER]
    for (const e of this.queue) {
      lines.push(addLine(e).trimEnd())
      if (e.firstTryAt !== null) lines.push(JSON.stringify({ try: e.id, at: e.firstTryAt }))
    }
    writeFileAtomic(this.path, `${lines.join('\n')}\n`)
    // The old descriptor still points at the replaced file.
    this.close()
    this.fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW)
    this.appended = 0
  }
}

export function entryBytes(e: OutboxEntry): number {
  return Buffer.byteLength(e.session) + Buffer.byteLength(e.from) + Buffer.byteLength(e.message)
}

function addLine(e: JournalEntry): string {
  return `${JSON.stringify({ add: e.id, session: e.session, from: e.from, message: e.message, at: e.enqueuedAt })}\n`
}

/** Replays every complete record; the segment after the last newline is empty or torn by a crash mid-append. */
function replay(path: string, text: string): Map<number, JournalEntry> {
  const lines = text.split('\n')
  lines.pop()
  if (lines[0] !== HEADER) throw corrupt(path, 'does not start with the outbox journal header')
  const pending = new Map<number, JournalEntry>()
  let lastAdd = 0
  for (let i = 1; i < lines.length; i++) {
    const r = parseRecord(lines[i]!)
    const bad = (what: string) => corrupt(path, `line ${i + 1} ${what}`)
    if (r === null) throw bad('is not an add, try or done record')
    if ('add' in r) {
      if (r.add <= lastAdd) throw bad('adds an id out of order')
      lastAdd = r.add
      const entry = { session: r.session, from: r.from, message: r.message }
      pending.set(r.add, { ...entry, id: r.add, enqueuedAt: r.at, firstTryAt: null, bytes: entryBytes(entry) })
    } else if ('try' in r) {
      const e = pending.get(r.try)
      if (e === undefined) throw bad('marks a try of an entry it does not hold')
      e.firstTryAt ??= r.at
    } else if (!pending.delete(r.done)) throw bad('removes an entry it does not hold')
  }
  return pending
}

type JournalRecord =
  | { add: number; session: string; from: string; message: string; at: number }
  | { try: number; at: number }
  | { done: number }

const SHAPES: Record<string, Record<string, 'id' | 'string' | 'time'>> = {
  add: { add: 'id', session: 'string', from: 'string', message: 'string', at: 'time' },
  try: { try: 'id', at: 'time' },
  done: { done: 'id' },
}

/** Exactly one of the three shapes, no extra keys: anything else means the file is not ours or was damaged. */
function parseRecord(line: string): JournalRecord | null {
  let r: unknown
  try {
    r = JSON.parse(line)
  } catch {
    return null
  }
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return null
  const keys = Object.keys(r)
  const kind = keys[0] ?? ''
  const shape = Object.hasOwn(SHAPES, kind) ? SHAPES[kind] : undefined
  if (shape === undefined || keys.length !== Object.keys(shape).length) return null
  for (const [key, kind] of Object.entries(shape)) {
    const v = (r as Record<string, unknown>)[key]
    const ok = kind === 'string' ? typeof v === 'string' : kind === 'id' ? Number.isSafeInteger(v) && (v as number) > 0 : Number.isFinite(v)
    if (!ok) return null
  }
  return r as JournalRecord
}

function corrupt(path: string, what: string): WoprP2PError {
  return new WoprP2PError('STORE_CORRUPT', `outbox journal ${path} ${what}`, `restore ${path} from a backup or move it aside (its pending entries are then lost); it is never reset automatically`)
}
