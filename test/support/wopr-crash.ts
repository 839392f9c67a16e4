// Shared by wopr-outbox-child.ts and outbox-crash.test.ts: the entries the child enqueues and
// the outbox options both sides use (no pacing wait and millisecond backoff, so a real-clock
// run finishes fast).

import type { OutboxEntry } from '../../src/wopr/outbox-journal.ts'

export const CRASH_SESSIONS = ['friend-p2p-alice-aaaaaa', 'friend-p2p-bob-bbbbbb']

export const CRASH_OUTBOX_OPTIONS = {
  pace: { ratePerMinute: 600_000, burst: 1000 },
  backoff: { baseMs: 5, maxMs: 50, jitter: 0 },
}

export function crashEntry(i: number): OutboxEntry {
  const session = CRASH_SESSIONS[i % CRASH_SESSIONS.length]!
  return { session, from: `p2p:KEY-${session}`, message: `entry ${i}` }
}
