import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TokenBudget } from '../../../src/model/budget.ts'

const HOUR = 3_600_000
const T0 = 1_700_000_000_000

test('refuses a peer once its hourly budget is spent, and allows it again an hour later', () => {
  const b = new TokenBudget({ perHour: 100, perDay: 1000 })
  assert.ok(b.check('p', T0).ok)
  b.record('p', 100, T0)
  assert.equal(b.check('p', T0 + 1000), { ok: false, reason: 'MODEL_BUDGET_EXHAUSTED', detail: 'hourly budget of 100 tokens spent' })
  assert.ok(b.check('other', T0).ok, 'budgets are per peer')
  assert.ok(b.check('p', T0 + HOUR).ok)
})

test('the daily budget slides over 24 hours', () => {
  const b = new TokenBudget({ perHour: 100, perDay: 150 })
  b.record('p', 80, T0)
  b.record('p', 80, T0 + 2 * HOUR)
  assert.equal(b.used('p', T0 + 2 * HOUR), { hour: 80, day: 160 })
  assert.is(b.check('p', T0 + 3 * HOUR).ok, false)
  assert.ok(b.check('p', T0 + 24 * HOUR).ok)
  assert.equal(b.used('p', T0 + 27 * HOUR), { hour: 0, day: 0 })
})

test('a zero budget refuses every call', () => {
  assert.is(new TokenBudget({ perHour: 0, perDay: 10 }).check('p', T0).ok, false)
})

test.run()
