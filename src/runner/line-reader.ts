// stdin as a queue of bounded lines for the runner (DESIGN.md "The sandbox": the
// runner talks only through stdin/stdout). The wire Framer enforces the cap before
// the newline; reading pauses while a line waits, so a chatty sender meets backpressure.

import type { Readable } from 'node:stream'
import { refuse, type Verdict } from '../reasons.ts'
import { Framer } from '../wire/framer.ts'

/** A line, a refusal (too long, not UTF-8), or null once stdin has ended. */
export type NextLine = Verdict<string> | null

export class LineReader {
  private readonly queue: NextLine[] = []
  private waiting: ((line: NextLine) => void) | undefined
  private ended = false

  constructor(
    private readonly stream: Readable,
    maxLineBytes: number,
  ) {
    const framer = new Framer(maxLineBytes)
    stream.on('data', (chunk: Buffer) => {
      for (const v of framer.push(chunk)) {
        this.deliver(v.ok ? v : refuse(v.reason === 'WIRE_LINE_TOO_LONG' ? 'RUNNER_LINE_TOO_LONG' : 'RUNNER_NOT_JSON'))
      }
      if (this.queue.length > 0) stream.pause()
    })
    // An unterminated last line is dropped by the framer: only "\n" completes a message.
    const end = () => {
      if (this.ended) return
      this.ended = true
      this.deliver(null)
    }
    stream.on('end', end)
    stream.on('error', end)
  }

  next(): Promise<NextLine> {
    const line = this.queue.shift()
    if (line !== undefined) {
      if (this.queue.length === 0 && !this.ended) this.stream.resume()
      return Promise.resolve(line)
    }
    if (this.ended) return Promise.resolve(null)
    return new Promise((resolve) => {
      this.waiting = resolve
    })
  }

  private deliver(line: NextLine): void {
    const waiting = this.waiting
    if (waiting) {
      this.waiting = undefined
      waiting(line)
    } else {
      this.queue.push(line)
    }
  }
}
