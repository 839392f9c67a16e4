// The sidecar's side of the sandbox stdio RPC, for the engine tier: send one job,
// answer each model request from a scripted model, collect the runner's result or
// error, then the container's exit. (DESIGN.md "Capabilities → what the sandbox job does")

import { createInterface } from 'node:readline'
import type Docker from 'dockerode'
import type { SandboxPolicy } from '../../src/docker-proxy/create-policy.ts'
import type { AssistantMessage, ChatMessage, ModelRequest } from '../../src/runner/protocol.ts'
import { Sandbox } from './sandbox-engine.ts'

export type Outcome = { type: 'result'; text: string } | { type: 'error'; code: string; message: string }
export type Model = (request: ModelRequest) => AssistantMessage

export type JobRun = {
  outcome: Outcome | undefined
  requests: ModelRequest[]
  statusCode: number
  killedAtLimit: boolean
  state: Docker.ContainerInspectInfo['State']
  stderr: string
  elapsedMs: number
}

/** A model that asks for each command in turn, then answers with every tool result as a JSON array. */
export function scriptedModel(commands: readonly string[]): Model {
  return (request) => {
    const step = Number(request.id.slice(1)) - 1
    const command = commands[step]
    if (command !== undefined) {
      return { role: 'assistant', content: null, tool_calls: [{ id: `call_${step}`, type: 'function', function: { name: 'shell', arguments: JSON.stringify({ command }) } }] }
    }
    return { role: 'assistant', content: JSON.stringify(toolResults(request.messages)) }
  }
}

export function toolResults(messages: readonly ChatMessage[]): string[] {
  return messages.flatMap((m) => (m.role === 'tool' ? [m.content] : []))
}

/**
 * Run one job in a fresh sandbox: an object is sent as one JSON line, a string as
 * raw bytes, null closes stdin at once. `limitMs` is the wall-clock limit after
 * which the test kills the container.
 */
export async function runJob(engine: Docker, policy: SandboxPolicy, job: unknown, model?: Model, limitMs = 30_000): Promise<JobRun> {
  const started = performance.now()
  const box = await Sandbox.start(engine, policy)
  try {
    const requests: ModelRequest[] = []
    let outcome: Outcome | undefined
    const lines = createInterface({ input: box.stdout })
    const served = (async () => {
      for await (const line of lines) {
        const msg = JSON.parse(line) as { type: string } & Record<string, unknown>
        if (msg.type === 'model') {
          const { type: _type, ...request } = msg as unknown as { type: 'model' } & ModelRequest
          requests.push(request)
          // Without a model the request goes unanswered: the test scripted stdin itself.
          if (model) box.write(`${JSON.stringify({ type: 'model-result', id: request.id, message: model(request) })}\n`)
        } else if (msg.type === 'result' || msg.type === 'error') {
          if (outcome) throw new Error('the runner answered twice')
          outcome = msg as unknown as Outcome
        } else {
          throw new Error(`unexpected line from the runner: ${line.slice(0, 200)}`)
        }
      }
    })()
    if (job === null) box.endInput()
    else box.write(typeof job === 'string' ? job : `${JSON.stringify(job)}\n`)
    const exit = await box.wait(limitMs)
    await served
    return { outcome, requests, ...exit, stderr: box.stderrSoFar, elapsedMs: performance.now() - started }
  } finally {
    await box.close()
  }
}
