// The `wopr-p2p wopr-relay` server (DESIGN.md "Processes"; issue 5 "wopr-relay"): runs in
// WOPR's network namespace, listens on a unix socket in a volume shared with the sidecar, and
// re-issues to WOPR's TCP port only the requests the WOPR client (client.ts) makes.
//
// Why re-issue instead of piping bytes: the sidecar holds WOPR's owner token, and this socket is
// its only path to WOPR. Parsing each request, allowing four literal shapes and serving one request
// per connection means that even a compromised sidecar cannot reach /inject, /v1/* or any session
// but a friend's; a byte pipe would let a pipelined request ride behind an allowed one. WOPR still
// does its own auth. With a token file (the compose setup) the relay is the one that reads WOPR's
// token and adds it, so the internet-facing sidecar never holds the token nor mounts WOPR's data;
// without one it passes the sidecar's Authorization header through.

import { listenOnUnixSocket } from '../net/unix-socket.ts'
import { readCappedBody } from '../net/read-body.ts'
import { once } from 'node:events'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { accept, refuse, REASONS, type Refusal, type Verdict } from '../reasons.ts'
import type { WoprReason } from './errors.ts'
import { isWoprSessionName } from './session-name.ts'
import { readTokenFile } from './token-file.ts'

export interface WoprRelayOptions {
  listenPath: string
  /** WOPR's daemon as seen from its own namespace (WOPR_DAEMON_HOST/PORT, default 127.0.0.1:7437). */
  upstream: { host: string; port: number }
  /** 0o600 when sidecar and relay run as one uid (the default), 0o660 for a shared group. */
  socketMode?: 0o600 | 0o660
  /** Sessions the sidecar may touch; woprSafeSessionName always yields `friend-p2p-…`. '' allows any. */
  sessionPrefix?: string
  /** Connections served at once; the next ones get 503 WOPR_RELAY_BUSY, and past twice this they are dropped. */
  maxConnections?: number
  /** Above the outbox's largest entry after JSON escaping. */
  bodyCap?: number
  upstreamTimeoutMs?: number
  /** WOPR's daemon-token, read per request and sent as the bearer; any Authorization from the client is dropped. */
  tokenFile?: string
  /** One structured line per request, allowed or refused; defaults to JSON lines on stdout. */
  audit?: (line: RelayAuditLine) => void
}

export interface RelayAuditLine {
  t: string
  role: 'wopr-relay'
  verdict: 'allow' | 'refuse' | 'error'
  status: number
  reason?: WoprReason
  method?: string
  path?: string
}

export interface WoprRelay {
  close(): Promise<void>
}

const CONVERSATION_QUERY = /^limit=[1-9][0-9]{0,5}$/

/** The one gate: which (method, target) pairs pass, as a literal match; the path is forwarded as is. */
export function checkRelayRequest(method: string, target: string, sessionPrefix = 'friend-p2p-'): Verdict<string> {
  if (method === 'GET' && (target === '/health' || target === '/ready')) return accept(target)
  const m = /^\/sessions\/([^/?]+)\/(log|conversation)(?:\?(.*))?$/s.exec(target)
  if (m === null) return refuse('WOPR_RELAY_DENIED', 'not a path the WOPR client uses')
  const [, name = '', action, query] = m
  // A WOPR-safe name has no '%', so no percent-decoding can turn it into something else.
  if (!isWoprSessionName(name) || !name.startsWith(sessionPrefix)) return refuse('WOPR_RELAY_DENIED', 'not a friend session')
  if (action === 'log' && method === 'POST' && query === undefined) return accept(target)
  if (action === 'conversation' && method === 'GET' && (query === undefined || CONVERSATION_QUERY.test(query))) return accept(target)
  return refuse('WOPR_RELAY_DENIED', 'method or query not used by the WOPR client')
}

export async function startWoprRelay(opts: WoprRelayOptions): Promise<WoprRelay> {
  const max = opts.maxConnections ?? 16
  const bodyCap = opts.bodyCap ?? 32 * 1024 * 1024
  const upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 60_000
  const audit = opts.audit ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`))
  const overLimit = new WeakSet<Socket>()
  let open = 0

  const log = (req: IncomingMessage | undefined, verdict: RelayAuditLine['verdict'], status: number, reason?: WoprReason) => {
    // The target is the sidecar's, not a peer's; cut so a hostile one cannot flood the log.
    const path = req?.url?.slice(0, 200)
    audit({ t: new Date().toISOString(), role: 'wopr-relay', verdict, status, ...(reason && { reason }), ...(req && { method: req.method, path }) })
  }

  /** Every answer of the relay's own: `reason` tells the client it came from here, `sent` whether WOPR may have acted. */
  const answer = (req: IncomingMessage, res: ServerResponse, status: number, r: Refusal, sent = false) => {
    log(req, status >= 500 ? 'error' : 'refuse', status, r.reason as WoprReason)
    if (res.headersSent) return void res.destroy()
    const body = JSON.stringify({ error: REASONS[r.reason], reason: r.reason, sent })
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' })
    res.end(body)
  }

  const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
    if (overLimit.has(req.socket)) return answer(req, res, 503, refuse('WOPR_RELAY_BUSY'))
    const checked = checkRelayRequest(req.method ?? '', req.url ?? '', opts.sessionPrefix)
    if (!checked.ok) return answer(req, res, 403, checked)
    void readCappedBody(req, bodyCap, 'WOPR_RELAY_BODY_TOO_LARGE').then((body) => {
      if (body === null) return void res.destroy()
      if (!body.ok) return answer(req, res, 413, body)
      if (req.method === 'GET' && body.value.length > 0) return answer(req, res, 403, refuse('WOPR_RELAY_DENIED', 'body on a GET'))
      void bearerFor(req).then((authorization) => {
        if (authorization === null) return answer(req, res, 502, refuse('WOPR_TOKEN_FILE'))
        forward(req, res, checked.value, body.value, authorization)
      })
    })
  })

  /** The Authorization to send: from our token file when we have one, else the client's; null when the file fails. */
  async function bearerFor(req: IncomingMessage): Promise<string | undefined | null> {
    if (opts.tokenFile === undefined) return req.headers.authorization
    return readTokenFile(opts.tokenFile).then(
      (token) => `Bearer ${token}`,
      () => null,
    )
  }

  function forward(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer, authorization: string | undefined): void {
    // Only what WOPR needs crosses: no client header but these is copied.
    const headers: http.OutgoingHttpHeaders = { host: `${opts.upstream.host}:${opts.upstream.port}`, accept: 'application/json' }
    if (authorization !== undefined) headers.authorization = authorization
    if (req.method === 'POST') {
      headers['content-type'] = 'application/json'
      headers['content-length'] = body.length
    }
    let connected = false
    let answered = false
    const fail = (status: number, reason: WoprReason) => {
      if (answered) return
      answered = true
      answer(req, res, status, refuse(reason), connected)
    }
    const up = http.request({ host: opts.upstream.host, port: opts.upstream.port, method: req.method, path, headers, agent: false, timeout: upstreamTimeoutMs })
    up.on('socket', (s) => s.once('connect', () => (connected = true)))
    up.on('timeout', () => {
      fail(504, 'WOPR_TIMEOUT')
      up.destroy()
    })
    up.on('error', () => fail(502, 'WOPR_UNREACHABLE'))
    up.on('response', (r) => {
      answered = true
      const status = r.statusCode ?? 502
      log(req, 'allow', status)
      const out: http.OutgoingHttpHeaders = { connection: 'close' }
      for (const h of ['content-type', 'content-length', 'retry-after'] as const) if (r.headers[h] !== undefined) out[h] = r.headers[h]
      res.writeHead(status, out)
      r.on('error', () => res.destroy())
      r.pipe(res)
    })
    // The sidecar gave up (its own timeout): stop waiting on WOPR for it.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy()
    })
    up.end(body)
  }

  server.maxConnections = 2 * max
  server.on('connection', (socket: Socket) => {
    open++
    if (open > max) overLimit.add(socket)
    socket.once('close', () => open--)
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => refuseRaw(req, socket, 403, 'WOPR_RELAY_DENIED'))
  server.on('connect', (req: IncomingMessage, socket: Duplex) => refuseRaw(req, socket, 403, 'WOPR_RELAY_DENIED'))
  server.on('clientError', (_err, socket: Duplex) => refuseRaw(undefined, socket, 400, 'WOPR_RELAY_DENIED'))

  function refuseRaw(req: IncomingMessage | undefined, socket: Duplex, status: number, reason: WoprReason): void {
    log(req, 'refuse', status, reason)
    const body = JSON.stringify({ error: REASONS[reason], reason, sent: false })
    if (!socket.writable) return void socket.destroy()
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }

  await listenOnUnixSocket(server, opts.listenPath, { mode: opts.socketMode ?? 0o600, hint: 'remove it or choose another relay socket path' })

  return {
    async close() {
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closed
    },
  }
}


