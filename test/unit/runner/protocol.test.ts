// The runner's RPC parsers (src/runner/protocol.ts): exact field sets, bounded
// values, out-of-turn messages named as such, and every hostile value of the
// shared list refused without a throw.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_LIMITS, LIMIT_BOUNDS } from '../../../src/runner/limits.ts'
import { encodeLine, MAX_TOOL_CALLS, parseJob, parseModelResult } from '../../../src/runner/protocol.ts'
import type { Reason, Verdict } from '../../../src/reasons.ts'
import { HOSTILE_LINES, HOSTILE_NON_STRINGS, HOSTILE_STRINGS } from '../wire/hostile-values.ts'

const MESSAGE_JOB = { type: 'job', kind: 'message', text: 'hi', session: 'friend-p2p-alice-3f9a1c' }
const INJECT_JOB = {
  type: 'job',
  kind: 'inject',
  text: 'what is in /tmp?',
  session: 'friend-p2p-alice-3f9a1c',
  systemPrompt: 'You are helpful.',
  transcript: [
    { role: 'user', content: 'hello' },
    { role: 'assistant', content: 'hi!' },
  ],
  limits: { maxSteps: 3 },
}
const CALL = { id: 'call_1', type: 'function', function: { name: 'shell', arguments: '{"command":"ls"}' } }
const RESULT = { type: 'model-result', id: 'm1', message: { role: 'assistant', content: null, tool_calls: [CALL] } }

function reasonOf<T>(v: Verdict<T>): Reason | 'ok' {
  return v.ok ? 'ok' : v.reason
}

test('a message job parses with the default limits', () => {
  const r = parseJob(JSON.stringify(MESSAGE_JOB))
  assert.equal(r, { ok: true, value: { kind: 'message', text: 'hi', session: MESSAGE_JOB.session, transcript: [], limits: { ...DEFAULT_LIMITS } } })
})

test('an inject job keeps prompt and transcript, and its limits only override what they name', () => {
  const r = parseJob(JSON.stringify(INJECT_JOB))
  assert.ok(r.ok)
  if (!r.ok) return
  assert.is(r.value.systemPrompt, 'You are helpful.')
  assert.equal(r.value.transcript, INJECT_JOB.transcript)
  assert.equal(r.value.limits, { ...DEFAULT_LIMITS, maxSteps: 3 })
})

test('a message job with a prompt or transcript is malformed', () => {
  assert.is(reasonOf(parseJob(JSON.stringify({ ...MESSAGE_JOB, systemPrompt: 'x' }))), 'RUNNER_BAD_MESSAGE')
  assert.is(reasonOf(parseJob(JSON.stringify({ ...MESSAGE_JOB, transcript: [] }))), 'RUNNER_BAD_MESSAGE')
})

test('hostile lines are refused without a throw', () => {
  for (const line of HOSTILE_LINES) {
    const r = reasonOf(parseJob(line))
    assert.ok(r === 'RUNNER_NOT_JSON' || r === 'RUNNER_BAD_MESSAGE', `${line.slice(0, 40)} → ${r}`)
    const m = reasonOf(parseModelResult(line, 'm1'))
    assert.ok(m === 'RUNNER_NOT_JSON' || m === 'RUNNER_BAD_MESSAGE', `${line.slice(0, 40)} → ${m}`)
  }
  assert.is(({} as Record<string, unknown>).polluted, undefined)
})

test('every job field refuses every hostile value of the wrong kind', () => {
  const fields: Record<string, readonly string[]> = {
    type: [...HOSTILE_NON_STRINGS, ...HOSTILE_STRINGS],
    kind: [...HOSTILE_NON_STRINGS, ...HOSTILE_STRINGS],
    text: HOSTILE_NON_STRINGS,
    session: [...HOSTILE_NON_STRINGS, '""', JSON.stringify('s'.repeat(257))],
    systemPrompt: HOSTILE_NON_STRINGS,
    transcript: [...HOSTILE_NON_STRINGS.filter((v) => v !== '[]'), '[{"role":"system","content":"x"}]', '[{"role":"user"}]', '[{"role":"user","content":"x","name":"y"}]'],
    limits: [...HOSTILE_NON_STRINGS.filter((v) => v !== '{}'), '{"maxSteps":0}', `{"maxSteps":${LIMIT_BOUNDS.maxSteps.max + 1}}`, '{"shellTimeoutMs":99}', '{"maxTextBytes":1.5}', '{"other":1}'],
  }
  for (const [field, values] of Object.entries(fields)) {
    // Values are raw JSON texts (1e309 and -0 do not survive JSON.stringify), so the line is spliced.
    const { [field]: _dropped, ...rest } = INJECT_JOB as Record<string, unknown>
    for (const value of values) {
      const line = `${JSON.stringify(rest).slice(0, -1)},"${field}":${value}}`
      const r = reasonOf(parseJob(line))
      assert.ok(r === 'RUNNER_BAD_MESSAGE' || r === 'RUNNER_OUT_OF_TURN', `${field}=${value.slice(0, 30)} → ${r}`)
    }
  }
})

test('unknown, missing and prototype-shaped fields are refused', () => {
  assert.is(reasonOf(parseJob(JSON.stringify({ ...MESSAGE_JOB, extra: 1 }))), 'RUNNER_BAD_MESSAGE')
  assert.is(reasonOf(parseJob('{"type":"job","kind":"message","text":"hi","session":"s","__proto__":{"x":1}}')), 'RUNNER_BAD_MESSAGE')
  for (const key of ['type', 'kind', 'text', 'session']) {
    const job: Record<string, unknown> = { ...MESSAGE_JOB }
    delete job[key]
    assert.is(reasonOf(parseJob(JSON.stringify(job))), 'RUNNER_BAD_MESSAGE', key)
  }
})

test('a model-result as the first line is out of turn', () => {
  assert.is(reasonOf(parseJob(JSON.stringify(RESULT))), 'RUNNER_OUT_OF_TURN')
})

test('a model result parses to its assistant message', () => {
  assert.equal(parseModelResult(JSON.stringify(RESULT), 'm1'), { ok: true, value: RESULT.message })
  const final = { type: 'model-result', id: 'm2', message: { role: 'assistant', content: 'done' } }
  assert.equal(parseModelResult(JSON.stringify(final), 'm2'), { ok: true, value: final.message })
})

test('a result for another request, or a second job, is out of turn', () => {
  assert.is(reasonOf(parseModelResult(JSON.stringify(RESULT), 'm2')), 'RUNNER_OUT_OF_TURN')
  assert.is(reasonOf(parseModelResult(JSON.stringify(MESSAGE_JOB), 'm1')), 'RUNNER_OUT_OF_TURN')
})

test('malformed assistant messages are refused', () => {
  const bad: unknown[] = [
    { role: 'user', content: 'x' },
    { role: 'assistant' },
    { role: 'assistant', content: 1 },
    { role: 'assistant', content: 'x', refusal: null },
    { role: 'assistant', content: null, tool_calls: {} },
    { role: 'assistant', content: null, tool_calls: Array(MAX_TOOL_CALLS + 1).fill(CALL) },
    { role: 'assistant', content: null, tool_calls: [{ ...CALL, type: 'code' }] },
    { role: 'assistant', content: null, tool_calls: [{ ...CALL, id: '' }] },
    { role: 'assistant', content: null, tool_calls: [{ ...CALL, function: { name: 'shell', arguments: { command: 'ls' } } }] },
    { role: 'assistant', content: null, tool_calls: [{ ...CALL, function: { name: 'shell' } }] },
  ]
  for (const message of bad) {
    assert.is(reasonOf(parseModelResult(JSON.stringify({ type: 'model-result', id: 'm1', message }), 'm1')), 'RUNNER_BAD_MESSAGE', JSON.stringify(message))
  }
  assert.is(reasonOf(parseModelResult(JSON.stringify({ ...RESULT, extra: true }), 'm1')), 'RUNNER_BAD_MESSAGE')
})

test('errors name fields but never echo arbitrary input', () => {
  const r = parseJob(JSON.stringify({ ...MESSAGE_JOB, '\u001b]0;pwned\u0007': 1 }))
  assert.ok(!r.ok && r.detail !== undefined && !r.detail.includes('pwned'))
})

test('an encoded line is one line of JSON, lone surrogates escaped', () => {
  const line = encodeLine({ type: 'result', text: 'a\nb\ud800' })
  assert.ok(line.endsWith('\n'))
  assert.is(line.indexOf('\n'), line.length - 1)
  assert.ok(line.includes('\\ud800'))
  assert.equal(JSON.parse(line), { type: 'result', text: 'a\nb\ud800' })
})

test.run()
