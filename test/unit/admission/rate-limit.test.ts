import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RateLimiter } from '../../../src/admission/rate-limit.ts'
import { P2P_ACTION_LIMITS, TRUST_LIMITS, clampP2PLimits, FRIEND_CAP_TO_TRUST_LEVEL } from '../../../src/admission/trust.ts'

const T0 = 1_800_000_000_000

function takeMany(l: RateLimiter, peer: string, action: 'message' | 'inject' | 'claim', n: number, at: (i: number) => number): number {
  let ok = 0
  for (let i = 0; i < n; i++) if (l.take(peer, action, at(i))) ok++
  return ok
}

test('untrusted peers get 30 messages per minute, the 31st is refused', () => {
  const l = new RateLimiter(P2P_ACTION_LIMITS)
  assert.is(takeMany(l, 'p', 'message', 31, (i) => T0 + i), 30)
  assert.not.ok(l.take('p', 'message', T0 + 59_999), 'still inside the minute of the first event')
  assert.ok(l.take('p', 'message', T0 + 60_000), 'the first event left the window')
})

test('the hour window caps at 300 even when every minute stays under 30', () => {
  const l = new RateLimiter(P2P_ACTION_LIMITS)
  // 30 per minute for 11 minutes = 330 attempts; only 300 may pass within the hour.
  let ok = 0
  for (let m = 0; m < 11; m++) ok += takeMany(l, 'p', 'inject', 30, (i) => T0 + m * 60_000 + i)
  assert.is(ok, 300)
  assert.not.ok(l.take('p', 'inject', T0 + 3_599_999))
  assert.ok(l.take('p', 'inject', T0 + 3_600_000))
})

test('limits are per peer and per action', () => {
  const l = new RateLimiter(P2P_ACTION_LIMITS)
  assert.is(takeMany(l, 'a', 'message', 30, (i) => T0 + i), 30)
  assert.not.ok(l.take('a', 'message', T0 + 100))
  assert.ok(l.take('a', 'inject', T0 + 100), 'inject has its own budget')
  assert.ok(l.take('b', 'message', T0 + 100), 'another peer has its own budget')
})

test('claims are limited to 5 per minute', () => {
  const l = new RateLimiter(P2P_ACTION_LIMITS)
  assert.is(takeMany(l, 'x', 'claim', 10, (i) => T0 + i * 1000), 5)
})

test('refused attempts do not consume budget', () => {
  const l = new RateLimiter(P2P_ACTION_LIMITS)
  takeMany(l, 'p', 'message', 30, () => T0)
  for (let i = 0; i < 1000; i++) l.take('p', 'message', T0 + 30_000)
  assert.ok(l.take('p', 'message', T0 + 60_000), 'hammering while limited did not extend the window')
})

test('contract numbers: untrusted 30/300, trusted 100/1000, owner 1000/10000; P2P is untrusted', () => {
  assert.equal(TRUST_LIMITS.untrusted, { perMinute: 30, perHour: 300 })
  assert.equal(TRUST_LIMITS.trusted, { perMinute: 100, perHour: 1000 })
  assert.equal(TRUST_LIMITS.owner, { perMinute: 1000, perHour: 10000 })
  assert.equal(FRIEND_CAP_TO_TRUST_LEVEL, { message: 'untrusted', inject: 'untrusted' })
  assert.equal(P2P_ACTION_LIMITS.message, TRUST_LIMITS.untrusted)
  assert.equal(P2P_ACTION_LIMITS.inject, TRUST_LIMITS.untrusted)
  assert.is(P2P_ACTION_LIMITS.claim.perMinute, 5)
})

test('policy can tighten P2P limits but never raise them above untrusted', () => {
  const raised = clampP2PLimits({ message: { perMinute: 1000, perHour: 10000 }, inject: { perMinute: 100 }, claim: { perMinute: 50 } })
  assert.equal(raised.message, TRUST_LIMITS.untrusted)
  assert.equal(raised.inject, TRUST_LIMITS.untrusted)
  assert.is(raised.claim.perMinute, 5)
  const lowered = clampP2PLimits({ message: { perMinute: 3, perHour: 10 } })
  assert.equal(lowered.message, { perMinute: 3, perHour: 10 })
  assert.equal(clampP2PLimits({ message: { perMinute: -5 } }).message.perMinute, 0)
})

test.run()
