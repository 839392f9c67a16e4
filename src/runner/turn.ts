// One agent turn for an inject job (DESIGN.md "Capabilities → what the sandbox
// job does"): system prompt + transcript + the new message to the model, shell
// tool calls run here, bounded steps, final answer normalised. Pure but for the
// two injected functions, so the loop is tested without a container or a model.

import { refuse, accept, type Verdict } from '../reasons.ts'
import { normaliseText } from './normalise.ts'
import type { AssistantMessage, ChatMessage, Job, ModelRequest, ToolCall, ToolDefinition } from './protocol.ts'
import type { ShellResult } from './shell.ts'

export const MAX_COMMAND_CHARS = 16 * 1024

export const SHELL_TOOL: ToolDefinition = {
  type: 'function',
  function: {
    name: 'shell',
    description:
      'Run a command with /bin/sh -c inside an isolated sandbox: no network, read-only root, writable /tmp (the working directory), ' +
      'a wall-clock limit and an output cap. Returns the exit status and the combined stdout and stderr.',
    parameters: {
      type: 'object',
      properties: { command: { type: 'string', description: 'The shell command line to run.' } },
      required: ['command'],
      additionalProperties: false,
    },
  },
}

export type TurnDeps = {
  /** One model call through the sidecar; a refusal (bad or out-of-turn reply, EOF) ends the turn. */
  callModel: (request: ModelRequest) => Promise<Verdict<AssistantMessage>>
  runShell: (command: string) => Promise<ShellResult>
}

/** The final answer's text, or why the turn could not produce one. */
export async function runTurn(job: Job, deps: TurnDeps): Promise<Verdict<string>> {
  const messages: ChatMessage[] = []
  if (job.systemPrompt !== undefined) messages.push({ role: 'system', content: job.systemPrompt })
  for (const entry of job.transcript) messages.push({ role: entry.role, content: entry.content })
  messages.push({ role: 'user', content: job.text })

  for (let step = 1; step <= job.limits.maxSteps; step++) {
    // The array is copied: a caller that keeps the request must not see later steps.
    const reply = await deps.callModel({ id: `m${step}`, messages: [...messages], tools: [SHELL_TOOL] })
    if (!reply.ok) return reply
    const calls = reply.value.tool_calls ?? []
    if (calls.length === 0) return accept(normaliseText(reply.value.content ?? '', job.limits.maxTextBytes))
    messages.push(reply.value)
    for (const call of calls) {
      messages.push({ role: 'tool', tool_call_id: call.id, content: await runToolCall(call, job, deps) })
    }
  }
  return refuse('RUNNER_STEP_LIMIT', `no final answer after ${job.limits.maxSteps} model calls`)
}

/** A bad tool call is the model's mistake, not a protocol error: it is told so and may try again. */
async function runToolCall(call: ToolCall, job: Job, deps: TurnDeps): Promise<string> {
  if (call.function.name !== SHELL_TOOL.function.name) return `error: unknown tool; the only tool is "shell"`
  const command = parseCommand(call.function.arguments)
  if (command === undefined) {
    return `error: arguments must be a JSON object {"command": string} with 1 to ${MAX_COMMAND_CHARS} characters and no NUL`
  }
  return formatShellResult(await deps.runShell(command), job)
}

function parseCommand(text: string): string | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const keys = Object.keys(value)
  const command = (value as { command?: unknown }).command
  const ok = keys.length === 1 && keys[0] === 'command' && typeof command === 'string'
  // A NUL cannot cross execve; spawn would throw on it.
  return ok && command.length >= 1 && command.length <= MAX_COMMAND_CHARS && !command.includes('\0') ? command : undefined
}

/** A status line the model can read, then the output, normalised like any text that leaves the runner. */
export function formatShellResult(r: ShellResult, job: Job): string {
  let status: string
  if (r.spawnError !== undefined) status = `error: the shell could not start (${r.spawnError})`
  else if (r.timedOut) status = `killed: wall-clock limit of ${job.limits.shellTimeoutMs} ms reached`
  else if (r.truncated) status = `killed: output cap of ${job.limits.shellOutputBytes} bytes reached (output cut there)`
  else if (r.signal !== null) status = `killed by ${r.signal}`
  else status = `exit status ${r.exitCode}`
  return normaliseText(`${status}\n${r.output}`, job.limits.shellOutputBytes + 256)
}
