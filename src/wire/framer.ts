// NDJSON framing of one socket's byte stream (WIRE.md "Transport and framing"):
// bytes in, whole lines out. The line cap is enforced before the newline arrives,
// so a peer that never sends one costs at most the cap in memory.

import { isUtf8 } from 'node:buffer'
import { accept, refuse, type Verdict } from '../reasons.ts'

/** WIRE.md: max line 1 MiB + 4 KiB, counted in bytes (stricter than upstream's UTF-16 count). */
export const MAX_LINE_BYTES = 1024 * 1024 + 4096

const NEWLINE = 0x0a
// fatal: invalid UTF-8 is refused rather than turned into U+FFFD, which would give
// one signed message several byte spellings. ignoreBOM keeps a BOM in the text so
// JSON.parse refuses it instead of the decoder silently eating it.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * One framer per connection. `push` returns, in stream order, each complete line
 * (decoded once as a whole, so multi-byte characters may straddle chunks) or a
 * refusal: WIRE_LINE_TOO_LONG as soon as a line passes the cap, WIRE_NOT_JSON for
 * invalid UTF-8. Lines are delivered verbatim: only "\n" ends a line, so a "\r"
 * before it stays in the text and the canonical-line check refuses it (deployed
 * senders write "\n" only). Empty lines are skipped.
 */
export class Framer {
  private parts: Buffer[] = []
  private pending = 0
  /** True after an overlong line was dropped, until its newline is seen. */
  private discarding = false

  constructor(readonly maxLineBytes: number = MAX_LINE_BYTES) {}

  /** Bytes currently held for the unfinished line (never more than the cap). */
  get bufferedBytes(): number {
    return this.pending
  }

  push(chunk: Buffer): Verdict<string>[] {
    const out: Verdict<string>[] = []
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start)
      const end = newline === -1 ? chunk.length : newline
      const next = newline === -1 ? chunk.length : newline + 1
      if (this.discarding) {
        if (newline !== -1) this.discarding = false
      } else if (this.pending + (end - start) > this.maxLineBytes) {
        this.drop()
        this.discarding = newline === -1
        out.push(refuse('WIRE_LINE_TOO_LONG'))
      } else if (newline === -1) {
        // Copy a tail slice so the held bytes never pin the rest of a large chunk.
        this.parts.push(start === 0 ? chunk : Buffer.from(chunk.subarray(start)))
        this.pending += chunk.length - start
      } else {
        const line = this.finish(chunk.subarray(start, end))
        if (line) out.push(line)
      }
      start = next
    }
    return out
  }

  private finish(tail: Buffer): Verdict<string> | null {
    const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], this.pending + tail.length)
    this.drop()
    if (bytes.length === 0) return null
    // Checked first: a stranger's junk lines are refused without an exception thrown per line.
    if (!isUtf8(bytes)) return refuse('WIRE_NOT_JSON', 'invalid UTF-8')
    return accept(UTF8.decode(bytes))
  }

  private drop(): void {
    this.parts = []
    this.pending = 0
  }
}
