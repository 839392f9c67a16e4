// The sandbox runner in real hardened containers (DESIGN.md "Capabilities → what
// the sandbox job does"), the test playing the sidecar's side of the stdio RPC: a
// message job comes back normalised; an inject job runs every workload the seccomp
// profile was derived from through the shell tool; protocol errors come back as
// error lines. Fails, never skips, without an engine.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { removeSuiteContainers, sandboxEnv } from '../support/sandbox-engine.ts'
import { runJob, scriptedModel, toolResults } from '../support/sandbox-rpc.ts'
import { BAD_JOBS, INJECT_JOB, INJECT_STEPS, MESSAGE_EXPECTED, MESSAGE_JOB, SESSION } from '../support/sandbox-workloads.ts'

test('a message job returns the normalised text and the runner exits 0', async () => {
  const { engine, policy } = await sandboxEnv()
  const run = await runJob(engine, policy, MESSAGE_JOB)
  assert.equal(run.outcome, { type: 'result', text: MESSAGE_EXPECTED })
  assert.is(run.requests.length, 0, 'a message job never asks for a model')
  assert.is(run.statusCode, 0)
  assert.is(run.stderr, '')
})

test('a message job honours a lower text bound from the job', async () => {
  const { engine, policy } = await sandboxEnv()
  const run = await runJob(engine, policy, { ...MESSAGE_JOB, text: 'é'.repeat(10), limits: { maxTextBytes: 5 } })
  assert.equal(run.outcome, { type: 'result', text: 'éé' })
})

test('an inject job: one shell tool call, then the final answer', async () => {
  const { engine, policy } = await sandboxEnv()
  const job = { type: 'job', kind: 'inject', text: 'What is your uid?', session: SESSION }
  const run = await runJob(engine, policy, job, (request) =>
    request.id === 'm1'
      ? { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"command":"id -u"}' } }] }
      : { role: 'assistant', content: `Your sandbox says: ${toolResults(request.messages)[0]?.split('\n')[1]}` },
  )
  assert.equal(run.outcome, { type: 'result', text: 'Your sandbox says: 65534' })
  assert.is(run.requests.length, 2)
  assert.equal(run.requests[0]!.messages, [{ role: 'user', content: 'What is your uid?' }])
  assert.is(run.requests[0]!.tools[0]!.function.name, 'shell')
  assert.equal(run.requests[1]!.messages.at(-1), { role: 'tool', tool_call_id: 'c1', content: 'exit status 0\n65534\n' })
  assert.is(run.statusCode, 0)
})

test('an inject job runs every derivation workload under the pinned profile', async () => {
  const { engine, policy } = await sandboxEnv()
  const run = await runJob(engine, policy, INJECT_JOB, scriptedModel(INJECT_STEPS.map(([command]) => command)))
  assert.is(run.outcome?.type, 'result', `${JSON.stringify(run.outcome)} ${run.stderr}`)
  if (run.outcome?.type !== 'result') return
  const results = JSON.parse(run.outcome.text) as string[]
  assert.is(results.length, INJECT_STEPS.length)
  for (const [i, [command, expected]] of INJECT_STEPS.entries()) {
    assert.ok(results[i]!.includes(expected), `step ${i} (${command.slice(0, 60)}): expected ${JSON.stringify(expected)} in ${JSON.stringify(results[i]!.slice(0, 400))}`)
  }
  // The first request carries the system prompt and the transcript ahead of the new message.
  assert.equal(
    run.requests[0]!.messages.map((m) => m.role),
    ['system', 'user', 'assistant', 'user'],
  )
  assert.is(run.statusCode, 0)
})

test('protocol errors come back as error lines with their reason code', async () => {
  const { engine, policy } = await sandboxEnv()
  for (const [input, code] of BAD_JOBS) {
    const run = await runJob(engine, policy, input)
    assert.is(run.outcome?.type, 'error', `${JSON.stringify(input)} → ${JSON.stringify(run.outcome)}`)
    assert.is(run.outcome?.type === 'error' ? run.outcome.code : '', code)
    assert.is(run.statusCode, 1)
  }
})

test('a model reply for another request id ends the turn as out of turn', async () => {
  const { engine, policy } = await sandboxEnv()
  const job = { type: 'job', kind: 'inject', text: 'x', session: SESSION }
  const early = { type: 'model-result', id: 'm9', message: { role: 'assistant', content: 'x' } }
  const run = await runJob(engine, policy, `${JSON.stringify(job)}\n${JSON.stringify(early)}\n`)
  assert.is(run.requests.length, 1)
  assert.is(run.outcome?.type === 'error' ? run.outcome.code : '', 'RUNNER_OUT_OF_TURN')
})

test.after(async () => {
  const { engine } = await sandboxEnv()
  await removeSuiteContainers(engine)
})

test.run()
