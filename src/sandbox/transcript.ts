// The recent exchanges of each session, in memory (DESIGN.md "Capabilities": an inject
// turn sees "the session's recent transcript"). Bounded twice: entries per session and
// characters per session, oldest dropped first; and sessions, least recently used dropped.

import type { TranscriptEntry } from '../runner/protocol.ts'

export interface TranscriptStore {
  recent(session: string): TranscriptEntry[]
  append(session: string, entries: readonly TranscriptEntry[]): void
}

export type TranscriptLimits = { entries: number; chars: number; sessions: number }

export const DEFAULT_TRANSCRIPT_LIMITS: Readonly<TranscriptLimits> = { entries: 20, chars: 64 * 1024, sessions: 1024 }

export class MemoryTranscripts implements TranscriptStore {
  private readonly bySession = new Map<string, TranscriptEntry[]>()

  constructor(private readonly limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS) {}

  recent(session: string): TranscriptEntry[] {
    return [...(this.bySession.get(session) ?? [])]
  }

  append(session: string, entries: readonly TranscriptEntry[]): void {
    const list = [...(this.bySession.get(session) ?? []), ...entries]
    let chars = list.reduce((n, e) => n + e.content.length, 0)
    while (list.length > this.limits.entries || (list.length > 0 && chars > this.limits.chars)) chars -= list.shift()!.content.length
    // Delete first so the session moves to the back of the LRU order.
    this.bySession.delete(session)
    this.bySession.set(session, list)
    for (const oldest of this.bySession.keys()) {
      if (this.bySession.size <= this.limits.sessions) break
      this.bySession.delete(oldest)
    }
  }
}
