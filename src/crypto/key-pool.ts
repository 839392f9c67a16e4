// X25519 pairs made ahead of need, so a reply that wants a fresh pair does not wait for one.
// Refills run on a timer, not setImmediate: the transport sends a written line on the event
// loop's next poll, and work queued for the check phase before it would delay that line.

import { generateEncryptionKeyPair, type EncryptionKeyPair } from './x25519.ts'

export class KeyPairPool {
  private readonly ready: EncryptionKeyPair[] = []
  private refill: NodeJS.Timeout | null = null
  private closed = false

  /** `size`: pairs kept ready; a burst past it makes the rest on demand. */
  constructor(private readonly size = 2) {
    this.schedule()
  }

  /** A pair nobody else has or will get; made on the spot when none is ready. */
  take(): EncryptionKeyPair {
    const pair = this.ready.pop() ?? generateEncryptionKeyPair()
    this.schedule()
    return pair
  }

  /** Wipe the pairs still held; later takes still work but nothing is kept ahead. */
  close(): void {
    this.closed = true
    if (this.refill) clearTimeout(this.refill)
    this.refill = null
    for (const pair of this.ready.splice(0)) pair.privateKey.fill(0)
  }

  private schedule(): void {
    if (this.closed || this.refill || this.ready.length >= this.size) return
    this.refill = setTimeout(() => {
      this.refill = null
      if (!this.closed && this.ready.length < this.size) this.ready.push(generateEncryptionKeyPair())
      this.schedule()
    }, 0)
    // Idle refills must not keep a process alive.
    this.refill.unref()
  }
}
