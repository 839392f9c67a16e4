// The agent-turn loop (src/runner/turn.ts) with a scripted model and a fake shell:
// message order in each request, tool results fed back, bad tool calls answered
// as tool errors, the step bound, and the final text normalised.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_LIMITS } from '../../../src/runner/limits.ts'
import type { AssistantMessage, Job, ModelRequest } from '../../../src/runner/protocol.ts'
import type { ShellResult } from '../../../src/runner/shell.ts'
import { formatShellResult, runTurn, SHELL_TOOL } from '../../../src/runner/turn.ts'
import { refuse, type Verdict } from '../../../src/reasons.ts'

const JOB: Job = {
  kind: 'inject',
  text: 'list /tmp',
  session: 's',
  systemPrompt: 'be brief',
  transcript: [{ role: 'user', content: 'earlier' }, { role: 'assistant', content: 'noted' }],
  limits: { ...DEFAULT_LIMITS, maxSteps: 4 },
}

const OK_SHELL: ShellResult = { exitCode: 0, signal: null, output: 'a.txt\n', timedOut: false, truncated: false }

function shellCall(id: string, args: string, name = 'shell'): AssistantMessage {
  return { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] }
}

/** A model that answers from a script and records every request it saw. */
function scripted(replies: Array<AssistantMessage | Verdict<AssistantMessage>>) {
  const requests: ModelRequest[] = []
  const commands: string[] = []
  return {
    requests,
    commands,
    deps: {
      callModel: async (req: ModelRequest): Promise<Verdict<AssistantMessage>> => {
        requests.push(req)
        const next = replies.shift()
        if (next === undefined) throw new Error('the script ran out')
        return 'ok' in next ? next : { ok: true, value: next }
      },
      runShell: async (command: string) => {
        commands.push(command)
        return OK_SHELL
      },
    },
  }
}

test('a direct answer takes one model call with system, transcript and user in order', async () => {
  const m = scripted([{ role: 'assistant', content: 'hello' }])
  assert.equal(await runTurn(JOB, m.deps), { ok: true, value: 'hello' })
  assert.is(m.requests.length, 1)
  assert.equal(m.requests[0]!.messages, [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'earlier' },
    { role: 'assistant', content: 'noted' },
    { role: 'user', content: 'list /tmp' },
  ])
  assert.equal(m.requests[0]!.tools, [SHELL_TOOL])
  assert.is(m.requests[0]!.id, 'm1')
})

test('no system prompt, no system message', async () => {
  const m = scripted([{ role: 'assistant', content: 'x' }])
  const { systemPrompt: _omitted, ...job } = JOB
  await runTurn(job, m.deps)
  assert.is(m.requests[0]!.messages[0]!.role, 'user')
})

test('a tool call runs the shell and its result goes back with the call id', async () => {
  const m = scripted([shellCall('c1', '{"command":"ls /tmp"}'), { role: 'assistant', content: 'There is a.txt' }])
  assert.equal(await runTurn(JOB, m.deps), { ok: true, value: 'There is a.txt' })
  assert.equal(m.commands, ['ls /tmp'])
  const second = m.requests[1]!
  assert.is(second.id, 'm2')
  assert.equal(second.messages.slice(-2), [shellCall('c1', '{"command":"ls /tmp"}'), { role: 'tool', tool_call_id: 'c1', content: 'exit status 0\na.txt\n' }])
  // Each request is a snapshot: the first did not grow when the turn went on.
  assert.is(m.requests[0]!.messages.length, 4)
})

test('several tool calls in one reply run in order', async () => {
  const reply: AssistantMessage = {
    role: 'assistant',
    content: 'working',
    tool_calls: [
      { id: 'a', type: 'function', function: { name: 'shell', arguments: '{"command":"echo 1"}' } },
      { id: 'b', type: 'function', function: { name: 'shell', arguments: '{"command":"echo 2"}' } },
    ],
  }
  const m = scripted([reply, { role: 'assistant', content: 'done' }])
  await runTurn(JOB, m.deps)
  assert.equal(m.commands, ['echo 1', 'echo 2'])
  assert.equal(m.requests[1]!.messages.slice(-2).map((x) => ('tool_call_id' in x ? x.tool_call_id : '')), ['a', 'b'])
})

test('bad tool calls are answered as tool errors and never reach the shell', async () => {
  const bad = ['not json', '[]', '{"command":1}', '{"command":""}', '{"command":"ls","cwd":"/"}', '{"command":"a\\u0000b"}', JSON.stringify({ command: 'x'.repeat(16 * 1024 + 1) })]
  const m = scripted([...bad.map((args, i) => shellCall(`c${i}`, args)), { role: 'assistant', content: 'gave up' }])
  const job = { ...JOB, limits: { ...JOB.limits, maxSteps: bad.length + 1 } }
  assert.equal(await runTurn(job, m.deps), { ok: true, value: 'gave up' })
  assert.equal(m.commands, [])
  for (const [i, req] of m.requests.slice(1).entries()) {
    const last = req.messages.at(-1)!
    assert.ok(last.role === 'tool' && last.content.startsWith('error: arguments'), `case ${i}`)
  }
})

test('an unknown tool is answered as a tool error', async () => {
  const m = scripted([shellCall('c1', '{"command":"ls"}', 'python'), { role: 'assistant', content: 'ok' }])
  await runTurn(JOB, m.deps)
  assert.equal(m.commands, [])
  const last = m.requests[1]!.messages.at(-1)!
  assert.ok(last.role === 'tool' && last.content.startsWith('error: unknown tool'))
})

test('the step bound ends a turn that never answers', async () => {
  const m = scripted(Array.from({ length: 4 }, (_, i) => shellCall(`c${i}`, '{"command":"true"}')))
  const r = await runTurn(JOB, m.deps)
  assert.is(r.ok ? 'ok' : r.reason, 'RUNNER_STEP_LIMIT')
  assert.is(m.requests.length, 4)
  assert.is(m.commands.length, 4)
})

test('a refused model reply ends the turn with that refusal', async () => {
  const m = scripted([refuse('RUNNER_OUT_OF_TURN', 'x')])
  const r = await runTurn(JOB, m.deps)
  assert.is(r.ok ? 'ok' : r.reason, 'RUNNER_OUT_OF_TURN')
})

test('the final text is normalised and bounded', async () => {
  const m = scripted([{ role: 'assistant', content: 'e\u0301\u0000\u001b[2J' + 'x'.repeat(100) }])
  const r = await runTurn({ ...JOB, limits: { ...JOB.limits, maxTextBytes: 10 } }, m.deps)
  assert.equal(r, { ok: true, value: 'é[2Jxxxxx' })
  const empty = scripted([{ role: 'assistant', content: null }])
  assert.equal(await runTurn(JOB, empty.deps), { ok: true, value: '' })
})

test('shell results read as a status line then the output', () => {
  const cases: Array<[Partial<ShellResult>, string]> = [
    [{}, 'exit status 0\na.txt\n'],
    [{ exitCode: 2 }, 'exit status 2\na.txt\n'],
    [{ exitCode: null, signal: 'SIGKILL', timedOut: true }, `killed: wall-clock limit of ${JOB.limits.shellTimeoutMs} ms reached\na.txt\n`],
    [{ exitCode: null, signal: 'SIGKILL', truncated: true }, `killed: output cap of ${JOB.limits.shellOutputBytes} bytes reached (output cut there)\na.txt\n`],
    [{ exitCode: null, signal: 'SIGSEGV' }, 'killed by SIGSEGV\na.txt\n'],
    [{ exitCode: null, spawnError: 'EAGAIN', output: '' }, 'error: the shell could not start (EAGAIN)\n'],
    [{ output: '\u001b[31mred\r\n' }, 'exit status 0\n[31mred\n'],
  ]
  for (const [patch, want] of cases) assert.is(formatShellResult({ ...OK_SHELL, ...patch }, JOB), want)
})

test.run()
