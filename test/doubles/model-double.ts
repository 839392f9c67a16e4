// A deterministic OpenAI-compatible chat-completions endpoint, for the model gateway's
// neighbour in tests and the compose demo. Behaviour, from the last message:
//   user "run: <cmd>"  → asks for one `shell` tool call with {"command": <cmd>}
//   tool <output>      → answers with the tool output as its content
//   user <text>        → answers "echo: <text>"
// It checks the bearer key (401 otherwise), reports usage (chars / 4, at least 1 each
// way) and records every request it got.
//
// Standalone: node --import tsx test/doubles/model-double.ts --port 8089 [--host 0.0.0.0] [--key-file F]

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

export type DoubleRequest = { model: string; messages: Array<{ role: string; content?: string | null }>; tools?: unknown[]; authorization: string | undefined }

export type ModelDouble = {
  /** Base URL to put in model.endpoint (…/v1). */
  url: string
  requests: DoubleRequest[]
  /** Reply this many ms late (to meet a gateway timeout). */
  delayMs: number
  close(): Promise<void>
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

function reply(body: DoubleRequest): Record<string, unknown> {
  const last = body.messages.at(-1)
  const lastText = typeof last?.content === 'string' ? last.content : ''
  let message: Record<string, unknown>
  if (last?.role === 'user' && lastText.startsWith('run: ')) {
    const command = lastText.slice('run: '.length)
    message = { role: 'assistant', content: null, tool_calls: [{ id: `call_${body.messages.length}`, type: 'function', function: { name: 'shell', arguments: JSON.stringify({ command }) } }] }
  } else if (last?.role === 'tool') {
    message = { role: 'assistant', content: lastText }
  } else {
    message = { role: 'assistant', content: `echo: ${lastText}` }
  }
  const prompt = tokens(JSON.stringify(body.messages))
  const completion = tokens(JSON.stringify(message))
  return {
    id: `chatcmpl-${body.messages.length}`,
    object: 'chat.completion',
    model: body.model,
    choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  }
}

export async function startModelDouble(opts: { apiKey?: string; port?: number; host?: string } = {}): Promise<ModelDouble> {
  const requests: DoubleRequest[] = []
  const double = { requests, delayMs: 0 } as ModelDouble
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const send = (status: number, value: unknown) => {
        const text = JSON.stringify(value)
        setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(text), double.delayMs)
      }
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return send(404, { error: { message: 'not found' } })
      let body: DoubleRequest
      try {
        body = { ...JSON.parse(Buffer.concat(chunks).toString('utf8')), authorization: req.headers.authorization }
      } catch {
        return send(400, { error: { message: 'body is not JSON' } })
      }
      requests.push(body)
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) return send(401, { error: { message: 'bad key' } })
      send(200, reply(body))
    })
  })
  server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  double.url = `http://${opts.host ?? '127.0.0.1'}:${port}/v1`
  double.close = () => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  }
  return double
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8089' }, host: { type: 'string', default: '127.0.0.1' }, 'key-file': { type: 'string' } } })
  const apiKey = values['key-file'] ? readFileSync(values['key-file'], 'utf8').trim() : undefined
  const double = await startModelDouble({ port: Number(values.port), host: values.host, ...(apiKey ? { apiKey } : {}) })
  console.log(`model double listening on ${double.url}`)
}
