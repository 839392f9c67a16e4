// Tests compare outcome classes, not wording: this asserts a WoprP2PError with the
// given code was thrown and hands it back so a test can check what the message names.

import * as assert from 'uvu/assert'
import { WoprP2PError } from '../../src/reasons.ts'

export function expectWoprError(fn: () => unknown, code: WoprP2PError['code']): WoprP2PError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  if (!(thrown instanceof WoprP2PError)) throw thrown ?? new Error(`expected WoprP2PError ${code}, but nothing was thrown`)
  assert.is(thrown.code, code, `expected ${code}, got ${thrown.code}: ${thrown.message}`)
  return thrown
}
