import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRunnerLine } from '../../../src/sandbox/runner-lines.ts'

test('accepts the three runner lines', () => {
  assert.equal(parseRunnerLine('{"type":"result","text":"hi"}'), { ok: true, value: { type: 'result', text: 'hi' } })
  assert.equal(parseRunnerLine('{"type":"error","code":"RUNNER_EOF","message":"x"}'), { ok: true, value: { type: 'error', code: 'RUNNER_EOF' } })
  const model = { type: 'model', id: 'm1', messages: [{ role: 'user', content: 'q' }], tools: [] }
  assert.equal(parseRunnerLine(JSON.stringify(model)), { ok: true, value: { type: 'model', id: 'm1', messages: [{ role: 'user', content: 'q' }] } })
})

test('rebuilds model messages from known fields only', () => {
  const messages = [
    { role: 'assistant', content: null, extra: 1, tool_calls: [{ id: 'c', type: 'function', function: { name: 'shell', arguments: '{}', x: 2 } }] },
    { role: 'tool', tool_call_id: 'c', content: 'out', name: 'shell' },
  ]
  const r = parseRunnerLine(JSON.stringify({ type: 'model', id: 'm2', messages }))
  assert.equal(r.ok && r.value, {
    type: 'model',
    id: 'm2',
    messages: [
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'shell', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c', content: 'out' },
    ],
  })
})

test('refuses what the runner never writes', () => {
  for (const line of [
    'not json',
    '[]',
    '{"type":"result"}',
    '{"type":"error","code":"ADMIT_BAD_SIGNATURE"}',
    '{"type":"error","code":"RUNNER_NOPE"}',
    '{"type":"model","id":"m1","messages":[]}',
    '{"type":"model","id":"m1","messages":[{"role":"root","content":"x"}]}',
    '{"type":"model","id":"","messages":[{"role":"user","content":"x"}]}',
    '{"type":"exec"}',
  ]) {
    const r = parseRunnerLine(line)
    assert.is(r.ok, false, line)
    assert.is(!r.ok && r.reason, 'SANDBOX_BAD_OUTPUT', line)
  }
})

test.run()
