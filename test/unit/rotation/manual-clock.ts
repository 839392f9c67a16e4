// A clock the rotation tests move by hand: timers fire only when time is advanced past them,
// in time order, and pending promise callbacks run after each one (so an awaited rotate()
// settles before the next timer). `jump` moves the wall clock without firing anything, as a
// suspended host or a clock step does.

import type { ScheduleClock } from '../../../src/rotation/schedule.ts'

interface Timer {
  id: number
  at: number
  fn: () => void
}

export class ManualClock implements ScheduleClock {
  private timers: Timer[] = []
  private ids = 0
  /** Every delay ever asked for, to check no timer exceeds setTimeout's ceiling. */
  readonly delays: number[] = []

  constructor(private t: number) {}

  now(): number {
    return this.t
  }

  setTimer(fn: () => void, ms: number): unknown {
    this.delays.push(ms)
    const timer = { id: ++this.ids, at: this.t + ms, fn }
    this.timers.push(timer)
    return timer.id
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle)
  }

  get pending(): number {
    return this.timers.length
  }

  async advanceTo(to: number): Promise<void> {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (due === undefined) break
      this.t = Math.max(this.t, due.at)
      this.clearTimer(due.id)
      due.fn()
      await settle()
    }
    this.t = to
    await settle()
  }

  jump(to: number): void {
    this.t = to
  }
}

export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
