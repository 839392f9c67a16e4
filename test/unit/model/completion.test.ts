import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseCompletion } from '../../../src/model/completion.ts'

const wrap = (message: unknown, usage: unknown = { total_tokens: 12 }) => JSON.stringify({ choices: [{ message }], usage })

test('keeps only the assistant fields the runner knows, and the usage', () => {
  const r = parseCompletion(wrap({ role: 'assistant', content: 'hi', refusal: null, annotations: [] }))
  assert.equal(r, { ok: true, value: { message: { role: 'assistant', content: 'hi' }, totalTokens: 12 } })
  const call = { id: 'c1', type: 'function', index: 0, function: { name: 'shell', arguments: '{}', extra: 1 } }
  const t = parseCompletion(wrap({ role: 'assistant', content: null, tool_calls: [call] }, null))
  assert.equal(t, { ok: true, value: { message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'shell', arguments: '{}' } }] }, totalTokens: null } })
})

test('refuses what is not a chat completion', () => {
  for (const body of ['nope', '{}', '{"choices":[]}', wrap({ role: 'user', content: 'x' }), wrap({ role: 'assistant', content: 5 }), wrap({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'code' }] })]) {
    const r = parseCompletion(body)
    assert.is(!r.ok && r.reason, 'MODEL_BAD_RESPONSE', body)
  }
})

test.run()
