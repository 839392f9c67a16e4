// When a cron expression next fires, after a given instant (pure: no clock, no timers).
// node-cron decides what matches — its parser and its matcher, so `L`, names, steps and
// day-of-month/day-of-week rules mean exactly what they mean to node-cron — but its own
// scheduler reads the real clock and real timers and replays missed slots, so the walking is
// done here, against whatever instant the caller gives.

import { createTask, parse, type ScheduledTask } from 'node-cron'

const HOUR_MS = 3_600_000
/** Long enough for the rarest valid schedule (29 February) to come round twice. */
const SEARCH_HOURS = 24 * 366 * 9

export interface CronSlots {
  readonly expression: string
  /** The first instant strictly after `after` (ms since epoch) at which the expression fires; null if none within nine years. */
  next(after: number): number | null
  /** Release node-cron's registration of the matcher. */
  dispose(): void
}

/** Local time, as node-cron uses without a timezone option (the image runs in UTC). Throws node-cron's error for a bad expression. */
export function cronSlots(expression: string): CronSlots {
  const fields = parse(expression)
  const seconds = [...fields.second].sort((a, b) => a - b)
  const minutes = [...fields.minute].sort((a, b) => a - b)
  const hours = new Set(fields.hour)
  // Never started: only its match() is used. createTask registers it globally, hence dispose().
  const matcher: ScheduledTask = createTask(expression, () => undefined)

  return {
    expression,
    next(after) {
      const top = new Date(after)
      top.setMinutes(0, 0, 0)
      for (let h = 0; h < SEARCH_HOURS; h++) {
        const hourStart = top.getTime() + h * HOUR_MS
        if (!hours.has(new Date(hourStart).getHours())) continue
        for (const minute of minutes) {
          for (const second of seconds) {
            const t = hourStart + minute * 60_000 + second * 1000
            if (t > after && matcher.match(new Date(t))) return t
          }
        }
      }
      return null
    },
    dispose() {
      void matcher.destroy()
    },
  }
}
