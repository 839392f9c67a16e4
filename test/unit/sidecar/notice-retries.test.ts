import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NoticeRetries } from '../../../src/sidecar/notice-retries.ts'

const A = { oldSignPub: 'old', peer: 'a' }
const B = { oldSignPub: 'old', peer: 'b' }

test('never tried is due; a failure waits out the backoff, which grows and then repeats its last step', () => {
  const r = new NoticeRetries([10, 100])
  assert.equal(r.due([A, B], 0), [A, B])
  r.failed(A, 0)
  assert.equal(r.due([A, B], 9), [B])
  assert.is(r.nextAt(A), 10)
  assert.equal(r.due([A, B], 10), [A, B])
  r.failed(A, 10)
  assert.is(r.nextAt(A), 110)
  r.failed(A, 110)
  assert.is(r.nextAt(A), 210, 'the last pause repeats')
})

test('settled and no-longer-pending notices are forgotten', () => {
  const r = new NoticeRetries([10])
  r.failed(A, 0)
  r.failed(B, 0)
  r.settled(A)
  assert.is(r.nextAt(A), null)
  r.keepOnly([A])
  assert.is(r.nextAt(B), null)
  assert.equal(r.due([B], 0), [B], 'a notice pending again starts over')
})

test('the same peer under two retired keys is two notices', () => {
  const r = new NoticeRetries([10])
  const other = { oldSignPub: 'older', peer: 'a' }
  r.failed(A, 0)
  assert.equal(r.due([A, other], 5), [other])
})

test.run()
