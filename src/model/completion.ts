// What the gateway sends to and accepts from an OpenAI-compatible chat-completions
// endpoint. Pure. The request is rebuilt from the runner's messages with our model
// and our one tool; the reply is cut down to the assistant fields the runner's
// protocol knows and checked by the runner's own parser, so what goes back into the
// sandbox is exactly what the runner accepts.

import { accept, refuse, type Verdict } from '../reasons.ts'
import { parseModelResult, type AssistantMessage, type ChatMessage } from '../runner/protocol.ts'
import { SHELL_TOOL } from '../runner/turn.ts'

/** totalTokens is null when the endpoint reported no usage.total_tokens. */
export type Completion = { message: AssistantMessage; totalTokens: number | null }

export function completionRequest(model: string, messages: readonly ChatMessage[]): string {
  return JSON.stringify({ model, messages, tools: [SHELL_TOOL] })
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The first choice's assistant message and the usage to charge. */
export function parseCompletion(text: string): Verdict<Completion> {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return refuse('MODEL_BAD_RESPONSE', 'not JSON')
  }
  if (!isRecord(body) || !Array.isArray(body.choices) || !isRecord(body.choices[0]) || !isRecord(body.choices[0].message)) {
    return refuse('MODEL_BAD_RESPONSE', 'no choices[0].message')
  }
  const raw = body.choices[0].message
  const message: Record<string, unknown> = { role: raw.role, content: raw.content ?? null }
  if (Array.isArray(raw.tool_calls) && raw.tool_calls.length > 0) {
    message.tool_calls = raw.tool_calls.map((c: unknown) =>
      isRecord(c) && isRecord(c.function) ? { id: c.id, type: c.type, function: { name: c.function.name, arguments: c.function.arguments } } : c,
    )
  }
  const checked = parseModelResult(JSON.stringify({ type: 'model-result', id: 'm', message }), 'm')
  if (!checked.ok) return refuse('MODEL_BAD_RESPONSE', checked.detail ?? 'assistant message out of shape')
  const usage = isRecord(body.usage) ? body.usage.total_tokens : undefined
  const totalTokens = Number.isSafeInteger(usage) && (usage as number) >= 0 ? (usage as number) : null
  return accept({ message: checked.value, totalTokens })
}
