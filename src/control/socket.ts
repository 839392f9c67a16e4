// The local control socket (DESIGN.md "Operator surface"): the CLI talks to the
// running sidecar over a unix socket in the data dir, mode 0600 — only the
// sidecar's own user can reach it. One JSON request line per connection, one
// JSON reply line: {op, args} → {ok: true, result} | {ok: false, error}.

import { connect, createServer, type Server, type Socket } from 'node:net'
import { listenOnUnixSocket } from '../net/unix-socket.ts'
import { WoprP2PError } from '../reasons.ts'

const MAX_REQUEST_BYTES = 1024 * 1024 + 4096
const REQUEST_TIMEOUT_MS = 120_000

export interface ControlError {
  code: string
  message: string
  hint?: string
}

export type ControlReply = { ok: true; result: unknown } | { ok: false; error: ControlError }
export type ControlHandler = (args: Record<string, unknown>) => Promise<unknown> | unknown

function errorOf(err: unknown): ControlError {
  if (err instanceof WoprP2PError) return err.hint ? { code: err.code, message: err.message, hint: err.hint } : { code: err.code, message: err.message }
  return { code: 'INTERNAL', message: 'internal error in the sidecar (see its log)' }
}

function readLine(socket: Socket, onLine: (line: string) => void, onTooLong: () => void): void {
  const chunks: Buffer[] = []
  let size = 0
  socket.on('data', (chunk: Buffer) => {
    const nl = chunk.indexOf(0x0a)
    size += nl === -1 ? chunk.length : nl
    if (size > MAX_REQUEST_BYTES) {
      socket.removeAllListeners('data')
      return onTooLong()
    }
    chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl))
    if (nl !== -1) {
      socket.removeAllListeners('data')
      onLine(Buffer.concat(chunks).toString('utf8'))
    }
  })
}


export async function serveControl(path: string, handlers: Readonly<Record<string, ControlHandler>>): Promise<Server> {
  const server = createServer((socket) => {
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy())
    const reply = (r: ControlReply) => socket.end(`${JSON.stringify(r)}\n`)
    readLine(
      socket,
      async (line) => {
        let request: { op?: unknown; args?: unknown }
        try {
          request = JSON.parse(line)
        } catch {
          return reply({ ok: false, error: { code: 'USAGE', message: 'control request is not JSON' } })
        }
        const op = typeof request?.op === 'string' && Object.hasOwn(handlers, request.op) ? handlers[request.op] : undefined
        if (!op) return reply({ ok: false, error: { code: 'USAGE', message: `unknown control operation ${JSON.stringify(request?.op)}` } })
        const args = request.args && typeof request.args === 'object' && !Array.isArray(request.args) ? (request.args as Record<string, unknown>) : {}
        try {
          reply({ ok: true, result: (await op(args)) ?? null })
        } catch (err) {
          reply({ ok: false, error: errorOf(err) })
        }
      },
      () => reply({ ok: false, error: { code: 'USAGE', message: 'control request too large' } }),
    )
    socket.on('error', () => socket.destroy())
  })
  await listenOnUnixSocket(server, path, { mode: 0o600, hint: 'move it away; the sidecar creates its control socket there' })
  return server
}

/** Send one request to the running sidecar. */
export function callControl(path: string, op: string, args: Record<string, unknown> = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    let data = ''
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      reject(new WoprP2PError('IO', `the sidecar did not answer ${op} within ${Math.round(timeoutMs / 1000)} s`))
    })
    socket.once('connect', () => socket.write(`${JSON.stringify({ op, args })}\n`))
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8')
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new WoprP2PError('IO', `cannot reach the sidecar at ${path} (${err.code ?? err.message})`, 'start it with `wopr-p2p sidecar`, or pass the same --data-dir it uses'),
      )
    })
    socket.once('end', () => {
      let reply: ControlReply
      try {
        reply = JSON.parse(data)
      } catch {
        return reject(new WoprP2PError('IO', 'the sidecar sent an unreadable reply'))
      }
      if (reply.ok) resolve(reply.result)
      else reject(new WoprP2PError(reply.error.code as 'IO', reply.error.message, reply.error.hint))
    })
  })
}
