// The `wopr-p2p docker-proxy` front: an HTTP server on a unix socket that re-issues
// only validated requests to the engine (DESIGN.md "The narrowed Docker proxy";
// DOCKER-HAZARDS.md "Node's HTTP server as the proxy front"). Every refusal leaves
// through refusal(): one JSON body, one audit line, connection closed.

import { listenOnUnixSocket } from '../net/unix-socket.ts'
import { readCappedBody } from '../net/read-body.ts'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { once } from 'node:events'
import { refuse, REASONS, type Refusal, type Verdict } from '../reasons.ts'
import { auditEntry, jsonLinesAudit, type AuditSink } from './audit.ts'
import type { SandboxPolicy } from './create-policy.ts'
import { EngineClient } from './forward.ts'
import { BODY_CAP, checkBody, checkHead, checkUpgradeTail, type GateContext } from './gate.ts'
import { OwnedContainers, DEFAULT_MAX_CONTAINERS } from './owned.ts'
import type { Route } from './routes.ts'

export type DockerProxyOptions = {
  listenPath: string
  enginePath: string
  policy: SandboxPolicy
  /** 0o600 (same user) or 0o660 (a group shared with the sidecar). */
  socketMode?: 0o600 | 0o660
  maxContainers?: number
  audit?: AuditSink
}

export type DockerProxy = { readonly owned: OwnedContainers; close(): Promise<void> }

/** The engine answers we buffer (create: {"Id","Warnings"}; a refused attach) are tiny; a bigger one is not trusted. */
const REPLY_CAP = 64 * 1024
const CONTAINER_ID = /^[0-9a-f]{64}$/
const UPGRADE_TAIL_WAIT_MS = 5_000

export async function startDockerProxy(opts: DockerProxyOptions): Promise<DockerProxy> {
  const owned = new OwnedContainers(opts.maxContainers ?? DEFAULT_MAX_CONTAINERS)
  const engine = new EngineClient(opts.enginePath)
  const audit = opts.audit ?? jsonLinesAudit(process.stdout)
  const ctx: GateContext = { policy: opts.policy, isOwned: (id) => owned.has(id) }
  const upgraded = new Set<Duplex>()

  // insecureHTTPParser stays off: Node then refuses CL+TE, duplicate Content-Length, obs-fold, bare LF (DOCKER-HAZARDS.md).
  // Host is checked by the gate instead of Node, so a missing one gets our JSON refusal and audit line.
  const server = http.createServer({ insecureHTTPParser: false, requireHostHeader: false, maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000 })

  function refusal(req: IncomingMessage | undefined, status: number, r: Refusal): Buffer {
    audit(auditEntry(req?.method, req?.url, { verdict: r.reason === 'PROXY_ENGINE_UNREACHABLE' ? 'error' : 'refuse', reason: r.reason, status }))
    const detail = r.detail === undefined ? '' : ` (${r.detail})`
    return Buffer.from(JSON.stringify({ message: `${r.reason}: ${REASONS[r.reason]}${detail}`, reason: r.reason }))
  }

  function refuseHttp(req: IncomingMessage, res: ServerResponse, r: Refusal): void {
    const status = statusFor(r)
    const body = refusal(req, status, r)
    if (res.headersSent) return void res.destroy()
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, connection: 'close' })
    res.end(body)
  }

  function refuseSocket(req: IncomingMessage | undefined, socket: Duplex, r: Refusal): void {
    const status = statusFor(r)
    const body = refusal(req, status, r)
    const head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
    if (socket.writable) socket.end(Buffer.concat([Buffer.from(head), body]))
    else socket.destroy()
  }

  function settleOwnership(route: Route, status: number): void {
    if (route.container !== undefined && (status === 404 || (route.kind === 'remove' && status === 204))) owned.forget(route.container)
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = checkHead({ method: req.method ?? '', target: req.url ?? '', headers: req.headers, upgrade: false, head: Buffer.alloc(0) }, ctx)
    if (!head.ok) return refuseHttp(req, res, head)
    const route = head.value
    const body = await readCappedBody(req, BODY_CAP, 'PROXY_BODY_TOO_LARGE')
    if (body === null) return void res.destroy()
    if (!body.ok) return refuseHttp(req, res, body)
    const checked = checkBody(route, body.value, opts.policy)
    if (!checked.ok) return refuseHttp(req, res, checked)

    let settle: ((id: string | null) => void) | undefined
    if (route.kind === 'create') {
      const slot = owned.reserve()
      if (!slot.ok) return refuseHttp(req, res, slot)
      settle = slot.value
    }
    const upstream = engine.send(route, checked.value)
    upstream.on('error', () => {
      settle?.(null)
      refuseHttp(req, res, refuse('PROXY_ENGINE_UNREACHABLE'))
    })
    // A client gone mid-wait cancels the engine call; a create always completes so its ID is recorded.
    if (settle === undefined) {
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy()
      })
    }
    upstream.on('response', (up) => {
      const status = up.statusCode ?? 502
      audit(auditEntry(req.method, req.url, { verdict: 'allow', status }))
      settleOwnership(route, status)
      const headers: http.OutgoingHttpHeaders = { 'content-type': up.headers['content-type'] ?? 'application/json' }
      if (up.headers['api-version'] !== undefined) headers['api-version'] = up.headers['api-version']
      if (settle === undefined) {
        if (up.headers['content-length'] !== undefined) headers['content-length'] = up.headers['content-length']
        res.writeHead(status, headers)
        up.pipe(res)
        return
      }
      const done = settle
      void readCapped(up, REPLY_CAP).then((reply) => {
        // The ID is recorded only on an engine 201 that names exactly one well-formed ID.
        const id = status === 201 && reply !== null ? createdId(reply) : null
        done(id)
        if (reply === null) return refuseHttp(req, res, refuse('PROXY_ENGINE_UNREACHABLE', 'create reply unreadable'))
        res.writeHead(status, { ...headers, 'content-length': reply.length })
        res.end(reply)
      })
    })
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, headBytes: Buffer): void {
    socket.on('error', () => socket.destroy())
    const head = checkHead({ method: req.method ?? '', target: req.url ?? '', headers: req.headers, upgrade: true, head: headBytes }, ctx)
    if (!head.ok) return refuseSocket(req, socket, head)
    void readUpgradeTail(req, socket, headBytes).then((tail) => (tail.ok ? attach(req, socket, head.value) : refuseSocket(req, socket, tail)))
  }

  function attach(req: IncomingMessage, socket: Duplex, route: Route): void {
    const upstream = engine.attach(route)
    socket.once('close', () => upstream.destroy())
    upstream.on('error', () => refuseSocket(req, socket, refuse('PROXY_ENGINE_UNREACHABLE')))
    upstream.on('response', (up) => {
      const status = up.statusCode ?? 502
      audit(auditEntry(req.method, req.url, { verdict: 'allow', status }))
      settleOwnership(route, status)
      void readCapped(up, REPLY_CAP).then((reply) => {
        const body = reply ?? Buffer.alloc(0)
        const type = up.headers['content-type'] ?? 'application/json'
        socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]))
      })
    })
    upstream.on('upgrade', (_up, engineSocket, engineHead) => {
      audit(auditEntry(req.method, req.url, { verdict: 'allow', status: 101 }))
      // From here on the bytes are the container's stdio, not HTTP: the engine has hijacked its side.
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n')
      if (engineHead.length > 0) socket.write(engineHead)
      upgraded.add(socket)
      engineSocket.on('error', () => engineSocket.destroy())
      // A clean engine close lets the client drain what is already written; an error cuts it off.
      engineSocket.once('close', (hadError: boolean) => (hadError ? socket.destroy() : socket.end()))
      socket.once('close', () => {
        upgraded.delete(socket)
        engineSocket.destroy()
      })
      engineSocket.pipe(socket)
      socket.pipe(engineSocket)
    })
  }

  server.on('request', (req, res) => void onRequest(req, res))
  server.on('upgrade', onUpgrade)
  server.on('connect', (req: IncomingMessage, socket: Duplex) => refuseSocket(req, socket, refuse('PROXY_TARGET_FORM', 'CONNECT')))
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET') return void socket.destroy()
    refuseSocket(undefined, socket, refuse('PROXY_MALFORMED_HTTP', typeof err.code === 'string' ? err.code : undefined))
  })

  await listenOnUnixSocket(server, opts.listenPath, { mode: opts.socketMode ?? 0o600, hint: 'remove it or choose another listen path' })

  return {
    owned,
    async close() {
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      for (const s of upgraded) s.destroy()
      engine.close()
      await closed
    },
  }
}


/** Until a chunked upgrade request's empty body is whole; the socket is left paused for the splice. */
function readUpgradeTail(req: IncomingMessage, socket: Duplex, first: Buffer): Promise<Verdict<'complete' | 'partial'>> {
  let tail = first
  const now = checkUpgradeTail(req.headers, tail)
  if (!now.ok || now.value === 'complete') return Promise.resolve(now)
  return new Promise((resolve) => {
    const incomplete = refuse('PROXY_MALFORMED_HTTP', 'chunked upgrade request body incomplete')
    const done = (v: Verdict<'complete' | 'partial'>) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.pause()
      resolve(v)
    }
    const timer = setTimeout(() => done(incomplete), UPGRADE_TAIL_WAIT_MS)
    const onData = (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk])
      const v = checkUpgradeTail(req.headers, tail)
      if (!v.ok || v.value === 'complete') done(v)
    }
    socket.on('data', onData)
    socket.once('close', () => done(incomplete))
  })
}

/** The engine's reply, or null when it is over the cap (the stream is then dropped) or cut short. */
async function readCapped(stream: IncomingMessage, cap: number): Promise<Buffer | null> {
  const reply = await readCappedBody(stream, cap, 'PROXY_ENGINE_UNREACHABLE')
  if (reply?.ok) return reply.value
  stream.destroy()
  return null
}

function createdId(reply: Buffer): string | null {
  try {
    const parsed: unknown = JSON.parse(reply.toString('utf8'))
    const id = typeof parsed === 'object' && parsed !== null && 'Id' in parsed ? parsed.Id : undefined
    return typeof id === 'string' && CONTAINER_ID.test(id) ? id : null
  } catch {
    return null
  }
}

function statusFor(r: Refusal): number {
  if (r.reason === 'PROXY_MALFORMED_HTTP') return 400
  return r.reason === 'PROXY_ENGINE_UNREACHABLE' ? 502 : 403
}

