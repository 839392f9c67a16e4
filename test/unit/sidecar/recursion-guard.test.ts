import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RecursionGuard } from '../../../src/sidecar/recursion-guard.ts'

test('the mark follows the handling path through awaits, timers and promise callbacks', async () => {
  const guard = new RecursionGuard()
  const seen: (string | null)[] = []
  await guard.whileHandlingInject('peer-a', async () => {
    seen.push(guard.handlingInjectOf())
    await new Promise((r) => setTimeout(r, 1))
    seen.push(guard.handlingInjectOf())
    await new Promise<void>((resolve) => setImmediate(() => {
      seen.push(guard.handlingInjectOf())
      resolve()
    }))
    await Promise.resolve().then(() => seen.push(guard.handlingInjectOf()))
  })
  assert.equal(seen, ['peer-a', 'peer-a', 'peer-a', 'peer-a'])
})

test('outside the handling path — before, after, and on a concurrent path — nothing is marked', async () => {
  const guard = new RecursionGuard()
  assert.is(guard.handlingInjectOf(), null)
  let release!: () => void
  const held = guard.whileHandlingInject('peer-a', () => new Promise<void>((r) => (release = r)))
  // A control-socket request arriving meanwhile runs on its own path.
  const concurrent = await new Promise<string | null>((resolve) => setTimeout(() => resolve(guard.handlingInjectOf()), 1))
  assert.is(concurrent, null)
  release()
  await held
  assert.is(guard.handlingInjectOf(), null)
})

test('a failing handler leaves no mark behind', async () => {
  const guard = new RecursionGuard()
  await guard.whileHandlingInject('peer-a', async () => {
    throw new Error('boom')
  }).catch(() => undefined)
  assert.is(guard.handlingInjectOf(), null)
})

test.run()
