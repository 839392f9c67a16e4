// The sidecar's parser for what the runner writes (src/runner/protocol.ts Outbound):
// a result, an error with a RUNNER_* code, or a model request. The container is
// untrusted, so each line is checked and the model request is rebuilt from known
// fields only, before anything reaches the gateway or the peer.

import { accept, refuse, REASONS, type Reason, type Verdict } from '../reasons.ts'
import { MAX_TOOL_CALLS, type ChatMessage, type ToolCall } from '../runner/protocol.ts'

export type RunnerLine =
  | { type: 'result'; text: string }
  | { type: 'error'; code: Reason }
  | { type: 'model'; id: string; messages: ChatMessage[] }

/** System prompt, transcript, the message, and per step one assistant reply with its tool results. */
const MAX_MESSAGES = 1024

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const isString = (v: unknown): v is string => typeof v === 'string'
const bad = (detail: string) => refuse('SANDBOX_BAD_OUTPUT', detail)

export function parseRunnerLine(line: string): Verdict<RunnerLine> {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    return bad('not JSON')
  }
  if (!isRecord(v)) return bad('not an object')
  if (v.type === 'result') return isString(v.text) ? accept({ type: 'result', text: v.text }) : bad('result without text')
  if (v.type === 'error') {
    // Only the runner's own codes: a container cannot make the sidecar report, say, an admission refusal.
    const code = v.code
    return isString(code) && code.startsWith('RUNNER_') && Object.hasOwn(REASONS, code) ? accept({ type: 'error', code: code as Reason }) : bad('error with an unknown code')
  }
  if (v.type === 'model') {
    if (!isString(v.id) || v.id.length === 0 || v.id.length > 128) return bad('model request id')
    if (!Array.isArray(v.messages) || v.messages.length === 0 || v.messages.length > MAX_MESSAGES) return bad('model request messages')
    const messages: ChatMessage[] = []
    for (const m of v.messages) {
      const rebuilt = chatMessage(m)
      if (!rebuilt) return bad('model request message out of shape')
      messages.push(rebuilt)
    }
    return accept({ type: 'model', id: v.id, messages })
  }
  return bad('unknown line type')
}

function chatMessage(m: unknown): ChatMessage | undefined {
  if (!isRecord(m)) return undefined
  if ((m.role === 'system' || m.role === 'user') && isString(m.content)) return { role: m.role, content: m.content }
  if (m.role === 'tool' && isString(m.tool_call_id) && isString(m.content)) return { role: 'tool', tool_call_id: m.tool_call_id, content: m.content }
  if (m.role !== 'assistant' || !(m.content === null || isString(m.content))) return undefined
  if (m.tool_calls === undefined) return { role: 'assistant', content: m.content }
  if (!Array.isArray(m.tool_calls) || m.tool_calls.length > MAX_TOOL_CALLS) return undefined
  const calls: ToolCall[] = []
  for (const c of m.tool_calls) {
    if (!isRecord(c) || !isString(c.id) || c.type !== 'function' || !isRecord(c.function)) return undefined
    const { name, arguments: args } = c.function
    if (!isString(name) || !isString(args)) return undefined
    calls.push({ id: c.id, type: 'function', function: { name, arguments: args } })
  }
  return { role: 'assistant', content: m.content, tool_calls: calls }
}
