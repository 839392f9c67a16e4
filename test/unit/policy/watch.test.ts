// Reloading the running policy: SIGHUP and file changes, a bad reload keeps the last good policy
// and says why, a good one swaps and notifies. Signals, directory watching and the debounce
// timer are injected, so every path runs without waiting; one test sends a real SIGHUP.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EventEmitter } from 'node:events'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PolicyWatcher, type PolicyEvent, type Timers, type WatchDir } from '../../../src/policy/watch.ts'
import { DEFAULT_POLICY } from '../../../src/policy/schema.ts'
import { freshPath } from '../../support/temp-dirs.ts'
import { expectWoprError } from '../../support/expect-error.ts'

function policyDir(sandbox: string): string {
  const dir = freshPath('policies')
  mkdirSync(dir)
  writeFileSync(join(dir, 'sandbox.yaml'), sandbox)
  return dir
}

/** A directory watcher the test fires by hand. */
function fakeWatch() {
  const fake = { change: () => {}, fail: (_reason: string) => {}, closed: false }
  const watchDir: WatchDir = (_dir, onChange, onError) => {
    fake.change = onChange
    fake.fail = onError
    return { close: () => void (fake.closed = true) }
  }
  return { fake, watchDir }
}

/** Timers that only run when the test says so. */
function manualTimers() {
  const pending = new Map<number, () => void>()
  let next = 0
  const timers: Timers = {
    setTimeout: (fn) => (pending.set(++next, fn), next),
    clearTimeout: (h) => void pending.delete(h as number),
  }
  const fire = () => {
    const fns = [...pending.values()]
    pending.clear()
    for (const fn of fns) fn()
  }
  return { timers, pending, fire }
}

function start(dir: string) {
  const signals = new EventEmitter()
  const { fake, watchDir } = fakeWatch()
  const clock = manualTimers()
  const watcher = new PolicyWatcher({ dir, signals, watchDir, timers: clock.timers })
  const events: PolicyEvent[] = []
  watcher.subscribe((e) => events.push(e))
  return { watcher, signals, fake, clock, events }
}

test('a bad policy at start refuses to start, listing every problem', () => {
  const err = expectWoprError(() => new PolicyWatcher({ dir: policyDir('sandbox:\n  cpus: 2\n  network: host\n'), signals: new EventEmitter(), watchDir: fakeWatch().watchDir }), 'POLICY_EXCEEDS_CONTRACT')
  assert.match(err.message, /sandbox\.yaml:2:3 sandbox\.cpus: /)
  assert.match(err.message, /sandbox\.yaml:3:3 sandbox\.network: /)
  assert.match(err.hint ?? '', /wopr-p2p policy check/)
})

test('SIGHUP reloads: a good policy swaps in and subscribers see old and new', () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const { watcher, signals, events } = start(dir)
  const first = watcher.current
  assert.is(first.sandbox.pidsLimit, 50)
  writeFileSync(join(dir, 'sandbox.yaml'), 'sandbox:\n  pidsLimit: 40\n')
  signals.emit('SIGHUP')
  assert.is(watcher.current.sandbox.pidsLimit, 40)
  assert.equal(events.map((e) => e.type), ['applied'])
  const applied = events[0] as Extract<PolicyEvent, { type: 'applied' }>
  assert.is(applied.trigger, 'SIGHUP')
  assert.is(applied.previous, first)
  assert.is(applied.policy, watcher.current)
  watcher.close()
})

test('a bad reload keeps the last good policy and reports why', () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const { watcher, events } = start(dir)
  const good = watcher.current
  writeFileSync(join(dir, 'sandbox.yaml'), 'sandbox:\n  pidsLimit: 500\n')
  assert.is(watcher.reload(), 'rejected')
  assert.is(watcher.current, good)
  const rejected = events[0] as Extract<PolicyEvent, { type: 'rejected' }>
  assert.is(rejected.type, 'rejected')
  assert.is(rejected.kept, good)
  assert.equal(rejected.problems.map((p) => [p.reason, p.path, p.line]), [['POLICY_EXCEEDS_CONTRACT', 'sandbox.pidsLimit', 2]])
  writeFileSync(join(dir, 'sandbox.yaml'), '# emptied\n')
  assert.is(watcher.reload(), 'rejected', 'an emptied file is an error, not a silent reset')
  assert.is(watcher.current, good)
  watcher.close()
})

test('an unreadable directory is a refused reload, never a throw out of a timer or signal', () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const { watcher, events } = start(dir)
  const good = watcher.current
  rmSync(dir, { recursive: true })
  writeFileSync(dir, 'a file where the directory was')
  assert.is(watcher.reload('file'), 'rejected')
  assert.is(watcher.current, good)
  const rejected = events[0] as Extract<PolicyEvent, { type: 'rejected' }>
  assert.equal(rejected.problems.map((p) => p.reason), ['POLICY_UNREADABLE'])
  watcher.close()
})

test('a reload that changes nothing notifies nobody', () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const { watcher, events } = start(dir)
  writeFileSync(join(dir, 'sandbox.yaml'), '# same values, new comment\nsandbox:\n  pidsLimit: 50\n')
  assert.is(watcher.reload(), 'unchanged')
  assert.equal(events, [])
  watcher.close()
})

test('file changes are debounced into one reload', () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const { watcher, fake, clock, events } = start(dir)
  writeFileSync(join(dir, 'sandbox.yaml'), 'sandbox:\n  pidsLimit: 30\n')
  fake.change()
  fake.change()
  fake.change()
  assert.is(clock.pending.size, 1, 'each event restarts the one timer')
  assert.is(watcher.current.sandbox.pidsLimit, 50, 'nothing reloads before the quiet time')
  clock.fire()
  assert.is(watcher.current.sandbox.pidsLimit, 30)
  assert.equal(events.map((e) => [e.type, 'trigger' in e ? e.trigger : '']), [['applied', 'file']])
  watcher.close()
})

test('close stops SIGHUP handling, file watching and a pending reload', () => {
  const { watcher, signals, fake, clock } = start(policyDir('sandbox: {}\n'))
  fake.change()
  watcher.close()
  assert.is(signals.listenerCount('SIGHUP'), 0)
  assert.ok(fake.closed)
  assert.is(clock.pending.size, 0)
})

test('when watching dies, subscribers hear why and SIGHUP still reloads', () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const { watcher, signals, fake, events } = start(dir)
  fake.fail('directory removed')
  assert.is(watcher.fileWatchOff, 'directory removed')
  writeFileSync(join(dir, 'sandbox.yaml'), 'sandbox:\n  pidsLimit: 20\n')
  signals.emit('SIGHUP')
  assert.equal(events.map((e) => e.type), ['watch-stopped', 'applied'])
  watcher.close()
})

test('a missing directory runs the defaults unwatched; SIGHUP picks it up once it exists', () => {
  const dir = freshPath('later')
  const signals = new EventEmitter()
  const watcher = new PolicyWatcher({ dir, signals })
  assert.equal(watcher.current, DEFAULT_POLICY)
  assert.ok(watcher.fileWatchOff, 'fs.watch cannot watch a missing directory')
  mkdirSync(dir)
  writeFileSync(join(dir, 'rotation.yaml'), 'rotation:\n  enabled: false\n')
  signals.emit('SIGHUP')
  assert.is(watcher.current.rotation.enabled, false)
  watcher.close()
})

test('every subscriber is notified even when one throws; the error still surfaces', () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const { watcher } = start(dir)
  const seen: string[] = []
  watcher.subscribe(() => {
    throw new Error('listener bug')
  })
  watcher.subscribe((e) => seen.push(e.type))
  writeFileSync(join(dir, 'sandbox.yaml'), 'sandbox:\n  pidsLimit: 60\n')
  assert.throws(() => watcher.reload(), /listener bug/)
  assert.equal(seen, ['applied'])
  assert.is(watcher.current.sandbox.pidsLimit, 60)
  watcher.close()
})

test('a real SIGHUP to this process reloads (handler installed only while the watcher lives)', async () => {
  const dir = policyDir('sandbox:\n  pidsLimit: 50\n')
  const watcher = new PolicyWatcher({ dir, watchDir: fakeWatch().watchDir })
  // Signal handlers do not keep Node's event loop alive; this does, until the signal has arrived.
  const keepAlive = setInterval(() => {}, 60_000)
  try {
    const applied = new Promise<PolicyEvent>((resolve) => watcher.subscribe(resolve))
    writeFileSync(join(dir, 'sandbox.yaml'), 'sandbox:\n  pidsLimit: 70\n')
    process.kill(process.pid, 'SIGHUP')
    const event = await applied
    assert.equal([event.type, 'trigger' in event ? event.trigger : ''], ['applied', 'SIGHUP'])
    assert.is(watcher.current.sandbox.pidsLimit, 70)
  } finally {
    clearInterval(keepAlive)
    watcher.close()
  }
  assert.is(process.listenerCount('SIGHUP'), 0)
})

test.run()
