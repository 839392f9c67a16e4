import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { matchesAutoAccept, parseRule } from '../../../src/friends/auto-accept.ts'

test('exact names, case-insensitively and with or without @', () => {
  assert.ok(matchesAutoAccept(['trusted-bot'], 'trusted-bot'))
  assert.ok(matchesAutoAccept(['trusted-bot'], '@Trusted-Bot'))
  assert.not.ok(matchesAutoAccept(['trusted-bot'], 'trusted-bot2'))
  assert.not.ok(matchesAutoAccept(['trusted-bot'], 'trusted'))
})

test('* accepts anyone; a|b accepts either', () => {
  assert.ok(matchesAutoAccept(['*'], 'anyone'))
  assert.ok(matchesAutoAccept(['bot1|bot2'], 'bot2'))
  assert.not.ok(matchesAutoAccept(['bot1|bot2'], 'bot3'))
  assert.not.ok(matchesAutoAccept(['bot1|bot2'], 'bot1|bot2'), 'the rule text itself is not a name')
  assert.not.ok(matchesAutoAccept([], 'anyone'))
})

test('malformed rules never match and are refused when added', () => {
  for (const bad of ['', 'a||b', 'a b', '|', ' | ', 'x'.repeat(513)]) assert.is(parseRule(bad), null, JSON.stringify(bad))
  assert.not.ok(matchesAutoAccept(['a||b'], 'a'))
  assert.equal(parseRule(' a | b '), ['a', 'b'])
})

test.run()
