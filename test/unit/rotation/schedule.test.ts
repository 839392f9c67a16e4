// Scheduled key rotation on an injected clock: the slots node-cron's expression names, one run
// per slot, nothing replayed after a stop or a suspend, no overlapping runs, the switch and
// reloads from policy, and the outcome `status` reports.

process.env.TZ = 'UTC'

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Writable } from 'node:stream'
import { createLogger, silentLogger } from '../../../src/log/logger.ts'
import { WoprP2PError } from '../../../src/reasons.ts'
import { cronSlots } from '../../../src/rotation/next-slot.ts'
import { MISSED_TOLERANCE_MS, RotationSchedule, type RotationSettings } from '../../../src/rotation/schedule.ts'
import { ManualClock, settle } from './manual-clock.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const WEEKLY: RotationSettings = { enabled: true, schedule: '0 3 * * 1' }
const HOURLY: RotationSettings = { enabled: true, schedule: '0 * * * *' }
const at = (iso: string) => Date.parse(iso)

/** A schedule on a manual clock whose rotate() records each call and does what `behave` says. */
function rig(rotation: RotationSettings, start: string, behave: () => Promise<void> = async () => undefined) {
  const clock = new ManualClock(at(start))
  const calls: number[] = []
  const schedule = new RotationSchedule({
    rotation,
    clock,
    log: silentLogger(),
    rotate: (reason) => {
      assert.is(reason, 'scheduled')
      calls.push(clock.now())
      return behave()
    },
  })
  return { clock, calls, schedule }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

test('slots: node-cron semantics for weekly, hourly, last-day and leap-day expressions', () => {
  const slots = (expr: string, after: string) => {
    const s = cronSlots(expr)
    try {
      const t = s.next(at(after))
      return t === null ? null : new Date(t).toISOString()
    } finally {
      s.dispose()
    }
  }
  // 2025-01-01 is a Wednesday.
  assert.is(slots('0 3 * * 1', '2025-01-01T12:00:00Z'), '2025-01-06T03:00:00.000Z')
  assert.is(slots('0 3 * * 1', '2025-01-06T03:00:00Z'), '2025-01-13T03:00:00.000Z', 'strictly after: the slot itself is not next')
  assert.is(slots('0 3 * * 1', '2025-01-06T02:59:59.999Z'), '2025-01-06T03:00:00.000Z')
  assert.is(slots('15 * * * *', '2025-01-01T12:15:00Z'), '2025-01-01T13:15:00.000Z')
  assert.is(slots('30 4 * * mon', '2025-01-01T00:00:00Z'), '2025-01-06T04:30:00.000Z', 'weekday names')
  assert.is(slots('0 0 L * *', '2025-02-03T00:00:00Z'), '2025-02-28T00:00:00.000Z', 'last day of month')
  assert.is(slots('0 0 29 2 *', '2025-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z', 'leap day, three years on')
})

test('nothing runs at start, even just after a slot; the next slot runs once and status reports it', async () => {
  // Started a minute after Monday's 03:00: that slot is gone, not replayed.
  const { clock, calls, schedule } = rig(WEEKLY, '2025-01-06T03:01:00Z')
  schedule.start()
  await settle()
  assert.equal(calls, [])
  assert.is(schedule.status().nextRun, '2025-01-13T03:00:00.000Z')
  assert.is(schedule.status().lastRun, null)

  await clock.advanceTo(at('2025-01-13T03:00:00Z') - 1)
  assert.equal(calls, [], 'not a millisecond early')
  await clock.advanceTo(at('2025-01-13T12:00:00Z'))
  assert.equal(calls, [at('2025-01-13T03:00:00Z')])
  assert.equal(schedule.status(), {
    enabled: true,
    schedule: '0 3 * * 1',
    running: false,
    nextRun: '2025-01-20T03:00:00.000Z',
    lastRun: { slot: '2025-01-13T03:00:00.000Z', startedAt: '2025-01-13T03:00:00.000Z', finishedAt: '2025-01-13T03:00:00.000Z', result: 'rotated' },
    skipped: { overlap: 0, missed: 0 },
  })
  await schedule.stop()
})

test('a restart after weeks stopped replays nothing: the first run is the next slot', async () => {
  const first = rig(WEEKLY, '2025-01-01T00:00:00Z')
  first.schedule.start()
  await first.clock.advanceTo(at('2025-01-07T00:00:00Z'))
  assert.is(first.calls.length, 1)
  await first.schedule.stop()
  assert.is(first.clock.pending, 0, 'stop leaves no timer')

  // Three Mondays pass while stopped; a new process starts on a Thursday.
  const second = rig(WEEKLY, '2025-01-30T10:00:00Z')
  second.schedule.start()
  await second.clock.advanceTo(at('2025-02-03T02:59:00Z'))
  assert.equal(second.calls, [])
  await second.clock.advanceTo(at('2025-02-11T00:00:00Z'))
  assert.equal(second.calls, [at('2025-02-03T03:00:00Z'), at('2025-02-10T03:00:00Z')])
  await second.schedule.stop()
})

test('a slot reached far too late (suspend, clock step) is recorded as missed, not run; the next one runs', async () => {
  const { clock, calls, schedule } = rig(WEEKLY, '2025-01-01T00:00:00Z')
  schedule.start()
  // Suspended from Sunday to Wednesday: Monday's timer fires on wake.
  clock.jump(at('2025-01-08T09:00:00Z'))
  await clock.advanceTo(clock.now())
  assert.equal(calls, [])
  assert.equal(schedule.status().skipped, { overlap: 0, missed: 1 })
  assert.is(schedule.status().nextRun, '2025-01-13T03:00:00.000Z')
  await clock.advanceTo(at('2025-01-13T03:00:00Z'))
  assert.equal(calls, [at('2025-01-13T03:00:00Z')])

  // A little late (event loop busy, within tolerance) still runs, once.
  clock.jump(at('2025-01-20T03:00:00Z') + MISSED_TOLERANCE_MS - MIN)
  await clock.advanceTo(clock.now())
  assert.is(calls.length, 2)
  assert.equal(schedule.status().skipped, { overlap: 0, missed: 1 })
  await schedule.stop()
})

test('never two rotations at once: a slot during a run is skipped and counted', async () => {
  const gates = [deferred(), deferred()]
  let n = 0
  const { clock, calls, schedule } = rig(HOURLY, '2025-01-01T00:30:00Z', () => gates[n++]!.promise)
  schedule.start()
  await clock.advanceTo(at('2025-01-01T01:00:00Z'))
  assert.is(calls.length, 1)
  assert.is(schedule.status().running, true)

  await clock.advanceTo(at('2025-01-01T02:30:00Z'))
  assert.is(calls.length, 1, 'the 02:00 slot did not start a second rotation')
  assert.equal(schedule.status().skipped, { overlap: 1, missed: 0 })

  gates[0]!.resolve()
  await settle()
  const status = schedule.status()
  assert.is(status.running, false)
  assert.is(status.lastRun?.slot, '2025-01-01T01:00:00.000Z')
  assert.is(status.lastRun?.finishedAt, '2025-01-01T02:30:00.000Z')

  await clock.advanceTo(at('2025-01-01T03:00:00Z'))
  assert.equal(calls, [at('2025-01-01T01:00:00Z'), at('2025-01-01T03:00:00Z')])
  gates[1]!.resolve()
  await schedule.stop()
  assert.is(schedule.status().running, false, 'stop waited for the running rotation')
})

test('a failed rotation is recorded with its code and the schedule goes on', async () => {
  const failures = [new WoprP2PError('IO', 'cannot write key-history.json'), new Error('peer notify crashed')]
  const { clock, calls, schedule } = rig(HOURLY, '2025-01-01T00:00:00Z', async () => {
    const f = failures.shift()
    if (f) throw f
  })
  schedule.start()
  await clock.advanceTo(at('2025-01-01T01:00:00Z'))
  assert.equal({ result: schedule.status().lastRun?.result, reason: schedule.status().lastRun?.reason }, { result: 'failed', reason: 'IO' })
  await clock.advanceTo(at('2025-01-01T02:00:00Z'))
  assert.is(schedule.status().lastRun?.reason, 'ROTATION_FAILED')
  await clock.advanceTo(at('2025-01-01T03:00:00Z'))
  assert.is(schedule.status().lastRun?.result, 'rotated')
  assert.is(schedule.status().lastRun?.reason, undefined)
  assert.is(calls.length, 3)
  await schedule.stop()
})

test('disabled by policy: no timer, no runs; a reload switches it on or changes the schedule from now', async () => {
  const { clock, calls, schedule } = rig({ enabled: false, schedule: '0 3 * * 1' }, '2025-01-01T00:00:00Z')
  schedule.start()
  assert.is(clock.pending, 0)
  assert.is(schedule.status().nextRun, null)
  await clock.advanceTo(at('2025-02-01T00:00:00Z'))
  assert.equal(calls, [])

  schedule.update({ enabled: true, schedule: '0 3 * * 1' })
  assert.is(schedule.status().nextRun, '2025-02-03T03:00:00.000Z')
  schedule.update({ enabled: true, schedule: '0 3 * * 1' })
  assert.is(clock.pending, 1, 'the same settings do not add a timer')

  schedule.update({ enabled: true, schedule: '45 6 * * *' })
  assert.is(clock.pending, 1, 'the old timer is replaced')
  await clock.advanceTo(at('2025-02-02T00:00:00Z'))
  assert.equal(calls, [at('2025-02-01T06:45:00Z')])

  schedule.update({ enabled: false, schedule: '45 6 * * *' })
  assert.is(clock.pending, 0)
  await clock.advanceTo(at('2025-03-01T00:00:00Z'))
  assert.is(calls.length, 1)
  await schedule.stop()
})

test('a month-long wait is reached through timers within setTimeout\'s ceiling, and runs once', async () => {
  const { clock, calls, schedule } = rig({ enabled: true, schedule: '0 3 1 * *' }, '2025-01-01T04:00:00Z')
  schedule.start()
  await clock.advanceTo(at('2025-02-01T03:00:00Z'))
  assert.equal(calls, [at('2025-02-01T03:00:00Z')])
  assert.ok(clock.delays.every((d) => d <= 2 ** 31 - 1))
  assert.ok(clock.delays.length >= 2, 'the 31-day wait took more than one timer')
  await schedule.stop()
})

test('the log says what happened, with reason codes and no more', async () => {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')))
      done()
    },
  })
  const clock = new ManualClock(at('2025-01-01T00:30:00Z'))
  let fail = true
  const schedule = new RotationSchedule({
    rotation: HOURLY,
    clock,
    log: createLogger({ role: 'sidecar', destination: sink, level: 'info' }),
    rotate: async () => {
      if (fail) throw new WoprP2PError('IO', 'disk full')
    },
  })
  schedule.start()
  await clock.advanceTo(at('2025-01-01T01:00:00Z'))
  fail = false
  clock.jump(at('2025-01-01T03:00:00Z'))
  await clock.advanceTo(clock.now())
  await clock.advanceTo(at('2025-01-01T04:00:00Z'))
  await schedule.stop()
  assert.equal(
    lines.map((l) => [l.level, l.event, l.reason]),
    [
      ['info', 'rotation.schedule.planned', undefined],
      ['info', 'rotation.started', undefined],
      ['error', 'rotation.failed', 'IO'],
      ['warn', 'rotation.skipped', 'ROTATION_MISSED'],
      ['info', 'rotation.started', undefined],
      ['info', 'rotation.finished', undefined],
    ],
  )
})

test.run()
