import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { JobScheduler } from '../../../src/sandbox/scheduler.ts'

const limits = { concurrency: 2, perSession: 2, total: 3 }

test('runs up to the concurrency cap, one job per session at a time', () => {
  const s = new JobScheduler<string>(limits)
  for (const [session, job] of [['a', 'a1'], ['a', 'a2'], ['b', 'b1']] as const) assert.ok(s.offer(session, job).ok)
  assert.equal(s.next(), { session: 'a', job: 'a1' })
  // a is busy: its second job waits for it even though a slot is free.
  assert.equal(s.next(), { session: 'b', job: 'b1' })
  assert.is(s.next(), undefined)
  assert.is(s.running, 2)
  s.done('a')
  assert.equal(s.next(), { session: 'a', job: 'a2' })
})

test('keeps FIFO within a session and takes sessions in turn', () => {
  const s = new JobScheduler<string>({ concurrency: 1, perSession: 4, total: 10 })
  for (const job of ['a1', 'a2', 'a3']) s.offer('a', job)
  s.offer('b', 'b1')
  const order: string[] = []
  let n
  while ((n = s.next())) {
    order.push(n.job)
    s.done(n.session)
  }
  assert.equal(order, ['a1', 'b1', 'a2', 'a3'])
})

test('refuses with SANDBOX_BUSY past the per-session and total bounds instead of growing', () => {
  const s = new JobScheduler<string>(limits)
  assert.ok(s.offer('a', 'a1').ok)
  assert.ok(s.offer('a', 'a2').ok)
  assert.equal(s.offer('a', 'a3'), { ok: false, reason: 'SANDBOX_BUSY', detail: 'session queue full' })
  assert.ok(s.offer('b', 'b1').ok)
  assert.equal(s.offer('c', 'c1'), { ok: false, reason: 'SANDBOX_BUSY', detail: 'sandbox queue full' })
  assert.is(s.queued, 3)
  // A started job no longer counts against the queue.
  s.next()
  assert.ok(s.offer('c', 'c1').ok)
})

test('drain empties the queue and returns every waiting job', () => {
  const s = new JobScheduler<string>(limits)
  s.offer('a', 'a1')
  s.offer('b', 'b1')
  s.next()
  assert.equal(s.drain(), [{ session: 'b', job: 'b1' }])
  assert.is(s.queued, 0)
  assert.is(s.next(), undefined)
})

test.run()
