// The model gateway (DESIGN.md "Capabilities → what the sandbox job does"): serves the
// runner's model RPC with an OpenAI-compatible `POST {endpoint}/chat/completions`.
// Endpoint, model and key come from policy; the key stays here. Each call is charged to
// the peer whose message started the turn, and refused once that peer's budget is spent.

import type { Logger } from '../log/logger.ts'
import type { Policy } from '../policy/schema.ts'
import { accept, refuse, type Verdict } from '../reasons.ts'
import type { AssistantMessage, ChatMessage } from '../runner/protocol.ts'
import { TokenBudget } from './budget.ts'
import { completionRequest, parseCompletion } from './completion.ts'
import { readApiKeyFile } from './key-file.ts'

export type ModelPolicy = Policy['model']

export interface ModelGateway {
  /** One chat completion for a turn started by `peer` (its signing key). */
  complete(peer: string, messages: readonly ChatMessage[]): Promise<Verdict<AssistantMessage>>
  /** Tokens `peer` spent in the sliding hour and day. */
  used(peer: string): { hour: number; day: number }
}

/** A reply larger than this is no chat completion the runner could take (its line cap is 8 MiB). */
const MAX_REPLY_BYTES = 4 * 1024 * 1024
/** Without usage from the endpoint, charge what the exchange weighs at a generous 3 bytes per token. */
const BYTES_PER_TOKEN_ESTIMATE = 3

/** `budget`: spend kept across gateways (a policy reload builds a new one); its limits are set from policy here. */
export type GatewayOptions = { logger?: Logger; now?: () => number; budget?: TokenBudget }

/** null when no endpoint is configured: inject is then refused with MODEL_NOT_CONFIGURED. */
export async function createModelGateway(policy: ModelPolicy, opts: GatewayOptions = {}): Promise<ModelGateway | null> {
  if (policy.endpoint === '') return null
  const key = policy.apiKeyFile === '' ? undefined : await readApiKeyFile(policy.apiKeyFile)
  const url = `${policy.endpoint.replace(/\/+$/, '')}/chat/completions`
  const budget = opts.budget ?? new TokenBudget(policy.tokensPerPeer)
  budget.setLimits(policy.tokensPerPeer)
  const now = opts.now ?? Date.now
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (key !== undefined) headers.authorization = `Bearer ${key}`

  async function post(body: string): Promise<Verdict<string>> {
    const signal = AbortSignal.timeout(policy.requestTimeoutSeconds * 1000)
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'error' })
      const text = await readCapped(res)
      if (text === null) return refuse('MODEL_BAD_RESPONSE', `reply over ${MAX_REPLY_BYTES} bytes`)
      if (res.status < 200 || res.status > 299) return refuse('MODEL_HTTP_ERROR', `status ${res.status}`)
      return accept(text)
    } catch (err) {
      if (signal.aborted) return refuse('MODEL_TIMEOUT', `no answer within ${policy.requestTimeoutSeconds} s`)
      return refuse('MODEL_UNREACHABLE', (err as Error).name)
    }
  }

  return {
    used: (peer) => budget.used(peer, now()),
    async complete(peer, messages) {
      const allowed = budget.check(peer, now())
      if (!allowed.ok) return allowed
      const body = completionRequest(policy.model, messages)
      const reply = await post(body)
      if (!reply.ok) {
        opts.logger?.warn({ reason: reply.reason, detail: reply.detail }, 'model-call-failed')
        return reply
      }
      const parsed = parseCompletion(reply.value)
      if (!parsed.ok) return parsed
      const tokens = parsed.value.totalTokens ?? Math.ceil((body.length + reply.value.length) / BYTES_PER_TOKEN_ESTIMATE)
      budget.record(peer, tokens, now())
      opts.logger?.debug({ tokens, toolCalls: parsed.value.message.tool_calls?.length ?? 0 }, 'model-call')
      return accept(parsed.value.message)
    },
  }
}

async function readCapped(res: Response): Promise<string | null> {
  if (!res.body) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += chunk.byteLength
    // Leaving the loop cancels the body: the rest is never read.
    if (size > MAX_REPLY_BYTES) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
