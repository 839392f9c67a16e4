// Pacing under WOPR's shared 60/min (WOPR-API.md "Rate limit"): the token bucket's bound over
// any 60 s, its behaviour after a 429 and on a clock that steps back, and the backoff curve.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_PACE, TokenBucket } from '../../../src/wopr/pacer.ts'
import { maxInAnyWindow, T0 } from '../../support/wopr-fixtures.ts'

/** Send as fast as the bucket allows for `ms`; returns the send times. */
function sendGreedily(bucket: TokenBucket, from: number, ms: number): number[] {
  const sent: number[] = []
  for (let t = from; t < from + ms; ) {
    const wait = bucket.wait(t)
    if (wait > 0) t += wait
    else {
      bucket.take(t)
      sent.push(t)
    }
  }
  return sent
}

test('the defaults allow at most burst + rate = 40 requests in any 60 s, under WOPR\'s 60', () => {
  const sent = sendGreedily(new TokenBucket(DEFAULT_PACE, T0), T0, 10 * 60_000)
  const max = maxInAnyWindow(sent, 60_000)
  assert.ok(max <= DEFAULT_PACE.burst + DEFAULT_PACE.ratePerMinute && max > DEFAULT_PACE.ratePerMinute, `${max} in the busiest 60 s`)
  assert.ok(sent.length >= 10 * 30 && sent.length <= 10 * 30 + 10, `${sent.length} sent in 10 min`)
})

test('drain after a 429 leaves nothing to spend until tokens refill; a clock stepping back mints none', () => {
  const bucket = new TokenBucket({ ratePerMinute: 60, burst: 5 }, T0)
  assert.is(bucket.wait(T0), 0)
  bucket.drain(T0)
  assert.is(bucket.wait(T0), 1000)
  assert.is(bucket.wait(T0 - 50_000), 1000)
  assert.is(bucket.wait(T0 + 1000), 0)
  assert.throws(() => new TokenBucket({ ratePerMinute: 0, burst: 1 }, T0), RangeError)
})

test('backoff doubles from 1 s to a 60 s cap and jitters only downwards', () => {
  const none = () => 0
  assert.equal([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffDelay(n, DEFAULT_BACKOFF, none)), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000])
  assert.is(backoffDelay(3, DEFAULT_BACKOFF, () => 1), 3200)
})

test.run()
