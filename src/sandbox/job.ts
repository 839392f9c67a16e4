// One job in one started sandbox (DESIGN.md "Capabilities → what the sandbox job does"):
// send the job line, answer each model request through `model` (or refuse it), take
// the runner's result or error, and when the runner gave no answer, say why from the
// container's end state. The caller removes the container.

import { refuse, type Reason, type Verdict } from '../reasons.ts'
import { LineReader } from '../runner/line-reader.ts'
import type { Limits } from '../runner/limits.ts'
import { MAX_LINE_BYTES, type AssistantMessage, type ChatMessage, type Job } from '../runner/protocol.ts'
import type { ContainerExit, SandboxContainer } from './container.ts'
import { parseRunnerLine } from './runner-lines.ts'

/** What the sidecar writes as the job line; the runner parses it (src/runner/protocol.ts parseJob). */
export type JobLine = { type: 'job' } & Pick<Job, 'kind' | 'text' | 'session'> & Partial<Pick<Job, 'systemPrompt' | 'transcript'>> & { limits?: Partial<Limits> }

export type ServeOptions = {
  /** Wall-clock limit from the job line on; past it the container is killed. */
  limitMs: number
  /** Serves model requests; absent for message jobs, whose model requests are refused unanswered. */
  model?: (messages: readonly ChatMessage[]) => Promise<Verdict<AssistantMessage>>
  /** Model requests one job may make. */
  maxModelCalls: number
  /** Bytes of stdout one job may write, all lines together. */
  maxStdoutBytes: number
  /** Wait for the exit before answering, so an OOM kill anywhere in the container fails the job. */
  settleOnExit: boolean
}

/** A runner that died on EAGAIN from fork, clone or thread creation ran into the pids limit. */
const PIDS_EXHAUSTED = /EAGAIN|Resource temporarily unavailable|pthread_create|uv_thread_create|can't fork/i

export async function serveJob(box: SandboxContainer, job: JobLine, opts: ServeOptions): Promise<Verdict<string>> {
  box.deadline(opts.limitMs)
  let stdoutBytes = 0
  box.stdout.on('data', (c: Buffer) => {
    stdoutBytes += c.length
    if (stdoutBytes > opts.maxStdoutBytes) box.kill()
  })
  const lines = new LineReader(box.stdout, MAX_LINE_BYTES)
  box.write(`${JSON.stringify(job)}\n`)

  let answer: Verdict<string> | undefined
  let calls = 0
  while (answer === undefined) {
    const next = await lines.next()
    if (next === null) break
    if (!next.ok) {
      answer = refuse(next.reason === 'RUNNER_LINE_TOO_LONG' ? 'SANDBOX_OUTPUT_TOO_LARGE' : 'SANDBOX_BAD_OUTPUT')
      break
    }
    const line = parseRunnerLine(next.value)
    if (!line.ok) answer = line
    else if (line.value.type === 'result') answer = { ok: true, value: line.value.text }
    else if (line.value.type === 'error') answer = refuse(line.value.code)
    else if (!opts.model) answer = refuse('SANDBOX_BAD_OUTPUT', 'model request from a job that may not reach the model')
    else if (++calls > opts.maxModelCalls) answer = refuse('MODEL_STEP_LIMIT')
    else {
      const reply = await opts.model(line.value.messages)
      if (!reply.ok) answer = reply
      else box.write(`${JSON.stringify({ type: 'model-result', id: line.value.id, message: reply.value })}\n`)
    }
  }
  if (stdoutBytes > opts.maxStdoutBytes) answer = refuse('SANDBOX_OUTPUT_TOO_LARGE')
  if (answer?.ok === false && !answer.reason.startsWith('RUNNER_')) box.kill()
  if (answer !== undefined && !opts.settleOnExit) return answer

  // Stop the runner if it still waits (a refused model call), then read how the container ended.
  box.endInput()
  let exit: ContainerExit
  try {
    exit = await box.exit()
  } catch {
    return answer ?? refuse('SANDBOX_ENGINE', 'the container could not be waited for')
  }
  return classify(answer, exit, box.stderrText)
}

/** The container's end overrides an answer only when the sandbox's walls acted. */
function classify(answer: Verdict<string> | undefined, exit: ContainerExit, stderr: string): Verdict<string> {
  if (exit.killedAtLimit) return refuse('SANDBOX_TIMEOUT')
  if (exit.oomKilled) return refuse('SANDBOX_OOM')
  if (answer) return answer
  const reason: Reason = PIDS_EXHAUSTED.test(stderr) ? 'SANDBOX_PIDS_LIMIT' : 'SANDBOX_CRASHED'
  return refuse(reason, `exit status ${exit.statusCode}`)
}
