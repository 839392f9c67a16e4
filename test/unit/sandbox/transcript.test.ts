import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MemoryTranscripts } from '../../../src/sandbox/transcript.ts'

const turn = (n: number) => [
  { role: 'user' as const, content: `q${n}` },
  { role: 'assistant' as const, content: `a${n}` },
]

test('keeps the most recent entries per session, oldest dropped first', () => {
  const t = new MemoryTranscripts({ entries: 4, chars: 1000, sessions: 8 })
  for (let n = 1; n <= 3; n++) t.append('s', turn(n))
  assert.equal(t.recent('s'), [...turn(2), ...turn(3)])
  assert.equal(t.recent('other'), [])
})

test('bounds characters per session', () => {
  const t = new MemoryTranscripts({ entries: 100, chars: 10, sessions: 8 })
  t.append('s', [{ role: 'user', content: 'x'.repeat(8) }])
  t.append('s', [{ role: 'assistant', content: 'y'.repeat(8) }])
  assert.equal(t.recent('s'), [{ role: 'assistant', content: 'y'.repeat(8) }])
})

test('forgets the least recently used session past the session bound', () => {
  const t = new MemoryTranscripts({ entries: 4, chars: 1000, sessions: 2 })
  t.append('a', turn(1))
  t.append('b', turn(1))
  t.append('a', turn(2))
  t.append('c', turn(1))
  assert.equal(t.recent('b'), [])
  assert.is(t.recent('a').length, 4)
})

test('recent returns a copy', () => {
  const t = new MemoryTranscripts()
  t.append('s', turn(1))
  t.recent('s').push({ role: 'user', content: 'mutated' })
  assert.is(t.recent('s').length, 2)
})

test.run()
