// Scheduled key rotation (issue 5 "Scheduled key rotation"): runs `rotate('scheduled')` at each
// slot of the policy's `rotation.schedule` and remembers how the last run went, for `status`.
//
// - Nothing runs on start: the first slot is the next one after now, so slots that passed
//   while the sidecar was stopped are never replayed (not one, not a burst).
// - A slot the timer reaches more than MISSED_TOLERANCE_MS late (host suspended, wall clock
//   jumped) is treated the same way: recorded as missed, not run; the next slot runs normally.
// - Never two rotations at once: a slot that comes while one is still running is skipped.
// - All time comes from an injected clock, so tests drive weeks of schedule in no time.

import { WoprP2PError, type Reason } from '../reasons.ts'
import type { Logger } from '../log/logger.ts'
import type { Policy } from '../policy/schema.ts'
import { cronSlots, type CronSlots } from './next-slot.ts'

export type RotationSettings = Pick<Policy['rotation'], 'enabled' | 'schedule'>

export interface ScheduleClock {
  now(): number
  setTimer(fn: () => void, ms: number): unknown
  clearTimer(handle: unknown): void
}

export const systemClock: ScheduleClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export const MISSED_TOLERANCE_MS = 5 * 60_000
/** setTimeout's ceiling (~24.8 days): a monthly slot is reached through several timers. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface RotationRun {
  /** The slot this run was for (ISO). */
  slot: string
  startedAt: string
  finishedAt: string
  result: 'rotated' | 'failed'
  /** The failure's reason code, when the rotation threw a coded error; else ROTATION_FAILED. */
  reason?: Reason | 'IO' | 'STATE' | 'USAGE'
}

export interface RotationScheduleStatus {
  enabled: boolean
  schedule: string
  running: boolean
  nextRun: string | null
  lastRun: RotationRun | null
  /** Slots not run, by why: they never pile up into later runs. */
  skipped: { overlap: number; missed: number }
}

export interface RotationScheduleOptions {
  rotation: RotationSettings
  rotate: (reason: 'scheduled') => Promise<void>
  clock?: ScheduleClock
  log: Logger
}

export class RotationSchedule {
  private readonly rotate: (reason: 'scheduled') => Promise<void>
  private readonly clock: ScheduleClock
  private readonly log: Logger
  private settings: RotationSettings
  private slots: CronSlots | undefined
  private nextSlot: number | null = null
  private timer: unknown
  private inFlight: Promise<void> | undefined
  private lastRun: RotationRun | null = null
  private readonly skipped = { overlap: 0, missed: 0 }
  private started = false

  constructor(opts: RotationScheduleOptions) {
    this.rotate = opts.rotate
    this.clock = opts.clock ?? systemClock
    this.log = opts.log
    this.settings = { ...opts.rotation }
  }

  start(): void {
    this.started = true
    this.plan()
  }

  /** A policy reload: a changed schedule or switch takes effect from now; the same settings change nothing. */
  update(rotation: RotationSettings): void {
    if (rotation.enabled === this.settings.enabled && rotation.schedule === this.settings.schedule) return
    this.settings = { ...rotation }
    if (this.started) this.plan()
  }

  /** No new runs; waits for a running rotation to finish writing its keys. */
  async stop(): Promise<void> {
    this.started = false
    this.disarm()
    this.slots?.dispose()
    this.slots = undefined
    this.nextSlot = null
    await this.inFlight
  }

  status(): RotationScheduleStatus {
    return {
      enabled: this.settings.enabled,
      schedule: this.settings.schedule,
      running: this.inFlight !== undefined,
      nextRun: this.nextSlot === null ? null : new Date(this.nextSlot).toISOString(),
      lastRun: this.lastRun,
      skipped: { ...this.skipped },
    }
  }

  private plan(): void {
    this.disarm()
    this.slots?.dispose()
    this.slots = undefined
    this.nextSlot = null
    if (!this.settings.enabled) {
      this.log.info({ schedule: this.settings.schedule }, 'rotation.schedule.disabled')
      return
    }
    try {
      this.slots = cronSlots(this.settings.schedule)
    } catch (err) {
      throw new WoprP2PError('POLICY_BAD_VALUE', `rotation.schedule "${this.settings.schedule}": ${(err as Error).message}`, 'run `wopr-p2p policy check` on the policy directory')
    }
    this.nextSlot = this.slots.next(this.clock.now())
    this.arm()
    this.log.info({ schedule: this.settings.schedule, nextRun: this.status().nextRun }, 'rotation.schedule.planned')
  }

  private arm(): void {
    if (this.nextSlot === null) return
    const wait = Math.min(Math.max(this.nextSlot - this.clock.now(), 0), MAX_TIMER_MS)
    this.timer = this.clock.setTimer(() => this.onTimer(), wait)
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer)
    this.timer = undefined
  }

  private onTimer(): void {
    this.timer = undefined
    const slot = this.nextSlot
    if (slot === null || this.slots === undefined) return
    const now = this.clock.now()
    // Woken early: a long wait is reached in chunks, or the clock was set back.
    if (now < slot) return this.arm()
    // The following slot comes after both the due one and now: a late wake skips what it slept through.
    this.nextSlot = this.slots.next(Math.max(now, slot))
    this.arm()
    if (now - slot > MISSED_TOLERANCE_MS) return this.skip('missed', slot, now)
    if (this.inFlight !== undefined) return this.skip('overlap', slot, now)
    this.inFlight = this.run(slot).finally(() => (this.inFlight = undefined))
  }

  private skip(why: 'missed' | 'overlap', slot: number, now: number): void {
    this.skipped[why]++
    const reason: Reason = why === 'missed' ? 'ROTATION_MISSED' : 'ROTATION_OVERLAP'
    this.log.warn({ reason, slot: new Date(slot).toISOString(), lateMs: now - slot }, 'rotation.skipped')
  }

  private async run(slot: number): Promise<void> {
    const slotIso = new Date(slot).toISOString()
    const startedAt = new Date(this.clock.now()).toISOString()
    this.log.info({ slot: slotIso }, 'rotation.started')
    let outcome: Pick<RotationRun, 'result' | 'reason'>
    try {
      await this.rotate('scheduled')
      outcome = { result: 'rotated' }
      this.log.info({ slot: slotIso }, 'rotation.finished')
    } catch (err) {
      outcome = { result: 'failed', reason: err instanceof WoprP2PError ? err.code : 'ROTATION_FAILED' }
      // The code and the error's own message: rotation errors carry no key material.
      this.log.error({ reason: outcome.reason, error: (err as Error).message }, 'rotation.failed')
    }
    this.lastRun = { slot: slotIso, startedAt, finishedAt: new Date(this.clock.now()).toISOString(), ...outcome }
  }
}
