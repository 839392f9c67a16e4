// Entry point of the sandbox runner, bundled to one .mjs by
// scripts/build-sandbox-image.sh (DESIGN.md "The sandbox"): read one job from
// stdin, answer on stdout (result or error), serve model calls as RPC, exit.

import { accept, refuse, REASONS, type Refusal, type Verdict } from '../reasons.ts'
import { LineReader, type NextLine } from './line-reader.ts'
import { normaliseText } from './normalise.ts'
import { encodeLine, MAX_LINE_BYTES, parseJob, parseModelResult, type Outbound } from './protocol.ts'
import { runShell } from './shell.ts'
import { runTurn } from './turn.ts'

/** Only the sandbox image passes --sweep: see ShellOptions.sweepAll. */
const SWEEP = process.argv.includes('--sweep')

function send(message: Outbound): Promise<void> {
  return new Promise((resolve) => process.stdout.write(encodeLine(message), () => resolve()))
}

function orEof(line: NextLine): Verdict<string> {
  return line ?? refuse('RUNNER_EOF')
}

async function serve(input: LineReader): Promise<Verdict<string>> {
  const first = orEof(await input.next())
  if (!first.ok) return first
  const job = parseJob(first.value)
  if (!job.ok) return job
  if (job.value.kind === 'message') return accept(normaliseText(job.value.text, job.value.limits.maxTextBytes))

  const { limits } = job.value
  return runTurn(job.value, {
    callModel: async (request) => {
      await send({ type: 'model', ...request })
      const reply = orEof(await input.next())
      return reply.ok ? parseModelResult(reply.value, request.id) : reply
    },
    runShell: (command) =>
      runShell(command, { timeoutMs: limits.shellTimeoutMs, maxOutputBytes: limits.shellOutputBytes, sweepAll: SWEEP }),
  })
}

function errorLine(r: Refusal): Outbound {
  // The detail never echoes input bytes (protocol.ts builds it from field names only).
  return { type: 'error', code: r.reason, message: r.detail === undefined ? REASONS[r.reason] : `${REASONS[r.reason]}: ${r.detail}` }
}

async function main(): Promise<number> {
  // The sidecar hung up: nobody is left to answer.
  process.stdout.on('error', () => process.exit(2))
  let outcome: Verdict<string>
  try {
    outcome = await serve(new LineReader(process.stdin, MAX_LINE_BYTES))
  } catch (err) {
    outcome = refuse('RUNNER_INTERNAL', err instanceof Error ? err.name : 'non-Error thrown')
  }
  await send(outcome.ok ? { type: 'result', text: outcome.value } : errorLine(outcome))
  return outcome.ok ? 0 : 1
}

// stdin stays open on the sidecar's side, so leave explicitly once the answer is out.
process.exit(await main())
