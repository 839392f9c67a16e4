// The sandbox stdio RPC as the runner sees it (DESIGN.md "Capabilities → what the
// sandbox job does"): one NDJSON line per message, strict parsers for what the
// sidecar sends (job, model-result) and the encoder for what the runner sends.

import { accept, refuse, type Reason, type Refusal, type Verdict } from '../reasons.ts'
import { DEFAULT_LIMITS, isLimitValue, LIMIT_BOUNDS, type Limits } from './limits.ts'

/** A job line carries the text, the transcript and a system prompt; JSON escaping can grow text up to 6×. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024
/** UTF-16 units of any one text field: the admission payload cap. */
export const MAX_TEXT_CHARS = 1024 * 1024
export const MAX_SESSION_CHARS = 256
export const MAX_SYSTEM_PROMPT_CHARS = 64 * 1024
export const MAX_TRANSCRIPT_ENTRIES = 256
export const MAX_TOOL_CALLS = 8
export const MAX_TOOL_ARGUMENT_CHARS = 64 * 1024
const MAX_ID_CHARS = 128

export type TranscriptEntry = { role: 'user' | 'assistant'; content: string }
export type Job = {
  kind: 'message' | 'inject'
  text: string
  session: string
  systemPrompt?: string
  transcript: TranscriptEntry[]
  limits: Limits
}
export type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } }
export type AssistantMessage = { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
/** OpenAI chat-completions messages: what the runner puts in a model request. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | AssistantMessage
  | { role: 'tool'; tool_call_id: string; content: string }
export type ToolDefinition = { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } }
export type ModelRequest = { id: string; messages: ChatMessage[]; tools: readonly ToolDefinition[] }

export type Outbound =
  | { type: 'result'; text: string }
  | ({ type: 'model' } & ModelRequest)
  | { type: 'error'; code: Reason; message: string }

export function encodeLine(message: Outbound): string {
  return `${JSON.stringify(message)}\n`
}

// A check answers true/false, or a refusal of its own for a nested object.
type Check = (value: unknown) => boolean | Refusal
type Spec = Readonly<Record<string, readonly [Check, 'optional'?]>>

const isString = (max: number, min = 0): Check => (v) => typeof v === 'string' && v.length >= min && v.length <= max
const is = (expected: unknown): Check => (v) => v === expected
const isText = isString(MAX_TEXT_CHARS)

/** A key is named in an error only if it is a plain short name: error lines never echo arbitrary input. */
function nameOf(key: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(key) ? key : '(unprintable)'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Exact field sets: every key known, every required key present, every value checked. */
function checkObject(value: unknown, spec: Spec, where: string): Refusal | undefined {
  if (!isRecord(value)) return refuse('RUNNER_BAD_MESSAGE', `${where} is not an object`)
  // JSON.parse makes "__proto__" an own key, so it is refused here as an unknown field.
  for (const key of Object.keys(value)) if (!Object.hasOwn(spec, key)) return refuse('RUNNER_BAD_MESSAGE', `${where} has unknown field ${nameOf(key)}`)
  for (const [key, [check, optional]] of Object.entries(spec)) {
    if (!Object.hasOwn(value, key)) {
      if (optional) continue
      return refuse('RUNNER_BAD_MESSAGE', `${where}.${key} is missing`)
    }
    const r = check(value[key])
    if (r === false) return refuse('RUNNER_BAD_MESSAGE', `${where}.${key} has a wrong type or is out of range`)
    if (r !== true) return r
  }
  return undefined
}

const listOf = (max: number, item: (v: unknown, where: string) => Refusal | undefined, where: string): Check => (v) => {
  if (!Array.isArray(v) || v.length > max) return false
  for (const [i, x] of v.entries()) {
    const r = item(x, `${where}[${i}]`)
    if (r) return r
  }
  return true
}

const TRANSCRIPT_ENTRY: Spec = { role: [(v) => v === 'user' || v === 'assistant'], content: [isText] }
const LIMITS: Spec = Object.fromEntries(Object.keys(LIMIT_BOUNDS).map((k) => [k, [(v: unknown) => isLimitValue(k as keyof Limits, v), 'optional'] as const]))

const JOB: Spec = {
  type: [is('job')],
  kind: [(v) => v === 'message' || v === 'inject'],
  text: [isText],
  session: [isString(MAX_SESSION_CHARS, 1)],
  systemPrompt: [isString(MAX_SYSTEM_PROMPT_CHARS), 'optional'],
  transcript: [listOf(MAX_TRANSCRIPT_ENTRIES, (x, w) => checkObject(x, TRANSCRIPT_ENTRY, w), 'transcript'), 'optional'],
  limits: [(v) => checkObject(v, LIMITS, 'limits') ?? true, 'optional'],
}

const TOOL_FUNCTION: Spec = { name: [isString(MAX_ID_CHARS, 1)], arguments: [isString(MAX_TOOL_ARGUMENT_CHARS)] }
const TOOL_CALL: Spec = {
  id: [isString(MAX_ID_CHARS, 1)],
  type: [is('function')],
  function: [(v) => checkObject(v, TOOL_FUNCTION, 'function') ?? true],
}
const ASSISTANT: Spec = {
  role: [is('assistant')],
  content: [(v) => v === null || isText(v) === true],
  tool_calls: [listOf(MAX_TOOL_CALLS, (x, w) => checkObject(x, TOOL_CALL, w), 'message.tool_calls'), 'optional'],
}
const MODEL_RESULT: Spec = {
  type: [is('model-result')],
  id: [isString(MAX_ID_CHARS, 1)],
  message: [(v) => checkObject(v, ASSISTANT, 'message') ?? true],
}

function parseLine(line: string): Verdict<Record<string, unknown>> {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return refuse('RUNNER_NOT_JSON')
  }
  return isRecord(value) ? accept(value) : refuse('RUNNER_BAD_MESSAGE', 'not a JSON object')
}

/** The first line: the job. A model-result here is out of turn, anything else malformed. */
export function parseJob(line: string): Verdict<Job> {
  const parsed = parseLine(line)
  if (!parsed.ok) return parsed
  const v = parsed.value
  if (v.type === 'model-result') return refuse('RUNNER_OUT_OF_TURN', 'model-result before any model request')
  const bad = checkObject(v, JOB, 'job')
  if (bad) return bad
  const kind = v.kind as Job['kind']
  // A message job never reaches a model, so prompt and transcript have no place in it.
  if (kind === 'message' && (v.systemPrompt !== undefined || v.transcript !== undefined)) {
    return refuse('RUNNER_BAD_MESSAGE', 'systemPrompt and transcript belong to inject jobs only')
  }
  const job: Job = {
    kind,
    text: v.text as string,
    session: v.session as string,
    transcript: (v.transcript ?? []) as TranscriptEntry[],
    limits: { ...DEFAULT_LIMITS, ...(v.limits as Partial<Limits> | undefined) },
  }
  if (v.systemPrompt !== undefined) job.systemPrompt = v.systemPrompt as string
  return accept(job)
}

/** The reply to model request `expectedId`: the assistant message, checked field by field. */
export function parseModelResult(line: string, expectedId: string): Verdict<AssistantMessage> {
  const parsed = parseLine(line)
  if (!parsed.ok) return parsed
  const v = parsed.value
  if (v.type === 'job') return refuse('RUNNER_OUT_OF_TURN', 'a second job')
  const bad = checkObject(v, MODEL_RESULT, 'model-result')
  if (bad) return bad
  if (v.id !== expectedId) return refuse('RUNNER_OUT_OF_TURN', 'model-result for another request id')
  return accept(v.message as AssistantMessage)
}
