// One connection as NDJSON lines (WIRE.md "Transport and framing"): the Framer caps each
// line before its newline; every line goes out as exactly one write, and write() === false
// is honoured by waiting for 'drain' (ENVIRONMENT.md "Hyperswarm without the internet").

import type { Verdict } from '../reasons.ts'
import { Framer } from '../wire/framer.ts'
import type { SwarmConnection } from './swarm.ts'

export class LineChannel {
  /** WIRE.md's cap (1 MiB + 4 KiB), held to before the newline arrives. */
  private readonly framer = new Framer()
  private ended = false

  /** `onLine` gets each framed line, or the framer's refusal, in stream order; `onClose` runs once. */
  constructor(
    readonly conn: SwarmConnection,
    onLine: (line: Verdict<string>) => void,
    onClose: () => void,
  ) {
    conn.on('data', (chunk) => {
      if (this.ended) return
      for (const line of this.framer.push(chunk)) {
        // A line may close the connection; the rest of its chunk is then dropped.
        if (this.ended) return
        onLine(line)
      }
    })
    conn.once('close', () => {
      this.ended = true
      onClose()
    })
  }

  get closed(): boolean {
    return this.ended || this.conn.destroyed
  }

  /** Write `line` + "\n" in one write; true once it is written and drained, false if the connection closed first. */
  send(line: string): Promise<boolean> {
    if (this.closed) return Promise.resolve(false)
    if (this.conn.write(Buffer.from(`${line}\n`, 'utf8'))) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (ok: boolean) => () => {
        this.conn.off('drain', onDrain)
        this.conn.off('close', onClose)
        resolve(ok)
      }
      const onDrain = done(true)
      const onClose = done(false)
      this.conn.once('drain', onDrain)
      this.conn.once('close', onClose)
    })
  }

  close(): void {
    this.ended = true
    this.conn.destroy()
  }
}
