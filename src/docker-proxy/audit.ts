// The proxy's audit trail: one JSON line per request (DESIGN.md "The narrowed
// Docker proxy"): time, method, path, verdict, reason. The path is the raw target,
// bounded; JSON escaping keeps a hostile target on its own line.

import type { Writable } from 'node:stream'
import type { Reason } from '../reasons.ts'

export type AuditEntry = {
  time: string
  method: string
  path: string
  verdict: 'allow' | 'refuse' | 'error'
  reason?: Reason
  status?: number
}

export type AuditSink = (entry: AuditEntry) => void

export function auditEntry(method: string | undefined, target: string | undefined, rest: Omit<AuditEntry, 'time' | 'method' | 'path'>): AuditEntry {
  return { time: new Date().toISOString(), method: (method ?? '-').slice(0, 16), path: (target ?? '-').slice(0, 256), ...rest }
}

export function jsonLinesAudit(out: Writable): AuditSink {
  return (entry) => {
    out.write(`${JSON.stringify(entry)}\n`)
  }
}
