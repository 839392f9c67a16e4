// An honest WOPR daemon double (WOPR-API.md "What a WOPR test double must do to be honest"):
// same statuses and bodies, token file, name rule, per-Authorization 429, health/ready open,
// plus test hooks (stop/restart, fail the next N). Standalone for the compose demo:
//   node --import tsx test/doubles/wopr-double.ts (--port N [--host H] | --socket PATH) --token-file F
//
// Unspecified corners follow WOPR's own daemon (Hono): middleware order rate limit → auth →
// route, a fixed window per key from its first request, 404 "404 Not Found" as text, a body
// that is not JSON → 500. It runs no model: /inject and /v1/* answer 501 and are recorded.

import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import { lstatSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

export type DoubleListen = { socketPath: string } | { host?: string; port: number }

export interface WoprDoubleOptions {
  listen: DoubleListen
  /** Read if it exists (must hold 64 hex), else created 0600 with a fresh token, as WOPR does. */
  tokenFile: string
  /** The rate-limit window's clock and the entries' ts. */
  now?: () => number
}

export interface DoubleEntry {
  ts: number
  from: string
  senderId: null
  content: unknown
  type: 'message'
}

export interface SeenRequest {
  method: string
  /** Without the query string. */
  path: string
  /** 0: held or dropped by a Failure, never answered. */
  status: number
}

/**
 * What the next failing requests do, after rate limit and auth: 'error' answers 500;
 * 'hang' never answers; 'drop-after-store' and 'hang-after-store' first do the request
 * (a log is stored) and then close the connection or never answer.
 */
export type Failure = 'error' | 'hang' | 'drop-after-store' | 'hang-after-store'

const NAME = /^[a-zA-Z0-9._-]+$/
const WINDOW_MS = 60_000
const LIMIT = 60

interface Session {
  id: string
  context: string | undefined
  created: number
  entries: DoubleEntry[]
}

export class WoprDouble extends EventEmitter {
  /** Every request answered or held, in arrival order: tests assert what the sidecar never asked. */
  readonly requests: SeenRequest[] = []
  readonly token: string
  private readonly sessions = new Map<string, Session>()
  private readonly windows = new Map<string, { start: number; count: number }>()
  private readonly sockets = new Set<Socket>()
  private readonly failures: Array<Failure | 'none'> = []
  private readonly now: () => number
  private server: http.Server | undefined
  private listenOn: DoubleListen
  private ready = true

  private constructor(opts: WoprDoubleOptions) {
    super()
    this.token = loadOrCreateToken(opts.tokenFile)
    this.now = opts.now ?? Date.now
    this.listenOn = opts.listen
  }

  static async start(opts: WoprDoubleOptions): Promise<WoprDouble> {
    const double = new WoprDouble(opts)
    await double.listen()
    return double
  }

  /** Where it listens now; a TCP port 0 becomes the port it got, and restart() reuses it. */
  get address(): { socketPath: string } | { host: string; port: number } {
    if ('socketPath' in this.listenOn) return { socketPath: this.listenOn.socketPath }
    return { host: this.listenOn.host ?? '127.0.0.1', port: this.listenOn.port }
  }

  get running(): boolean {
    return this.server !== undefined
  }

  /** The stored entries of one session, oldest first (a copy). */
  conversation(name: string): DoubleEntry[] {
    return [...(this.sessions.get(name)?.entries ?? [])]
  }

  /** The next `n` authenticated requests fail as `how`, after `after` more that are served normally. */
  failNext(n: number, how: Failure = 'error', { after = 0 }: { after?: number } = {}): void {
    for (let i = 0; i < after; i++) this.failures.push('none')
    for (let i = 0; i < n; i++) this.failures.push(how)
  }

  setReady(ready: boolean): void {
    this.ready = ready
  }

  /** WOPR down: the listener closes (a unix socket file disappears) and open connections, held ones too, are cut. State is kept. */
  async stop(): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    const closed = once(server, 'close')
    server.close()
    for (const s of this.sockets) s.destroy()
    await closed
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.listen()
  }

  /** Start serving (again) at the same address: WOPR back after stop(). */
  async listen(): Promise<void> {
    if (this.server !== undefined) return
    const server = http.createServer((req, res) => void this.handle(req, res))
    server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.once('close', () => this.sockets.delete(s))
    })
    if ('socketPath' in this.listenOn) {
      removeStaleSocket(this.listenOn.socketPath)
      server.listen(this.listenOn.socketPath)
    } else server.listen(this.listenOn.port, this.listenOn.host ?? '127.0.0.1')
    await once(server, 'listening')
    const addr = server.address()
    if (!('socketPath' in this.listenOn) && typeof addr === 'object' && addr !== null) this.listenOn = { host: addr.address, port: addr.port }
    this.server = server
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? ''
    const [path = '', query = ''] = (req.url ?? '').split('?', 2)
    const answer = (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
      this.record(method, path, status)
      const text = typeof body === 'string' ? body : JSON.stringify(body)
      const type = typeof body === 'string' ? 'text/plain; charset=UTF-8' : 'application/json'
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers })
      res.end(text)
    }
    const body = await readBody(req)

    if (path !== '/health' && path !== '/ready' && !this.takeRateLimit(req)) {
      return answer(429, { error: 'Too many requests', retryAfter: 60 }, { 'retry-after': '60' })
    }
    if (method === 'GET' && path === '/health') return answer(200, { status: 'ok' })
    if (method === 'GET' && path === '/ready') return answer(this.ready ? 200 : 503, { ready: this.ready, checks: { double: this.ready } })
    if (path !== '/' && path !== '/health' && path !== '/ready') {
      const auth = req.headers.authorization
      if (auth === undefined || !auth.startsWith('Bearer ')) return answer(401, { error: 'Missing or invalid Authorization header' })
      if (!sameToken(auth.slice(7), this.token)) return answer(401, { error: 'Invalid token' })
    }

    const failure = this.failures.shift()
    if (failure === 'error') return answer(500, { error: 'Internal server error' })
    if (failure === 'hang') return this.record(method, path, 0)

    let status: number
    let out: unknown
    try {
      ;[status, out] = this.route(method, path, query, body)
    } catch {
      ;[status, out] = [500, { error: 'Internal server error' }]
    }
    if (failure === 'drop-after-store') {
      this.record(method, path, 0)
      return void req.socket.destroy()
    }
    if (failure === 'hang-after-store') return this.record(method, path, 0)
    answer(status, out)
  }

  /** The routes WOPR-API.md lists; throws (→ 500) where WOPR's handler would, e.g. a body that is not JSON. */
  private route(method: string, path: string, query: string, body: string): [number, unknown] {
    if (method === 'GET' && path === '/') return [200, { name: 'wopr', version: '0.0.1', status: 'running' }]
    if (path === '/v1' || path.startsWith('/v1/')) return [501, { error: 'the WOPR double runs no model' }]
    if (method === 'GET' && path === '/sessions') {
      const list = [...this.sessions].map(([name, s]) => ({ name, id: s.id, ...(s.context === undefined ? {} : { context: s.context }), created: s.created }))
      return [200, { sessions: list }]
    }
    if (method === 'POST' && path === '/sessions') {
      const { name, context } = JSON.parse(body) as { name?: unknown; context?: unknown }
      if (!name) return [400, { error: 'Name is required' }]
      if (!validName(name)) return [400, { error: 'Invalid session name' }]
      const ctx = typeof context === 'string' && context !== '' ? context : `You are WOPR session "${name}".`
      this.session(name).context = ctx
      return [201, { name, context: ctx, created: true }]
    }
    const m = /^\/sessions\/([^/]+)(\/log|\/conversation|\/inject)?$/.exec(path)
    if (m === null) return [404, '404 Not Found']
    const name = decodeName(m[1]!)
    const action = m[2]
    if (!validName(name)) return [400, { error: 'Invalid session name' }]
    if (method === 'GET' && action === undefined) {
      const s = this.sessions.get(name)
      return s === undefined ? [404, { error: 'Session not found' }] : [200, { name, id: s.id, context: s.context ?? null }]
    }
    if (method === 'GET' && action === '/conversation') {
      const limit = Number.parseInt(new URLSearchParams(query).get('limit') ?? '', 10)
      const entries = this.conversation(name)
      const shown = limit > 0 ? entries.slice(-limit) : entries
      return [200, { name, entries: shown, count: shown.length }]
    }
    if (method === 'POST' && action === '/log') {
      const { message, from = 'api' } = JSON.parse(body) as { message?: unknown; from?: unknown }
      if (!message) return [400, { error: 'Message is required' }]
      const entry: DoubleEntry = { ts: this.now(), from: String(from), senderId: null, content: message, type: 'message' }
      this.session(name).entries.push(entry)
      this.emit('logged', { session: name, entry })
      return [200, { session: name, logged: true }]
    }
    if (method === 'POST' && action === '/inject') return [501, { error: 'the WOPR double runs no model' }]
    return [404, '404 Not Found']
  }

  private session(name: string): Session {
    let s = this.sessions.get(name)
    if (s === undefined) {
      s = { id: randomUUID(), context: undefined, created: this.now(), entries: [] }
      this.sessions.set(name, s)
    }
    return s
  }

  /** 60 per window per Authorization value (the remote address without one), window from the key's first request. */
  private takeRateLimit(req: IncomingMessage): boolean {
    const key = req.headers.authorization ?? `addr:${req.socket.remoteAddress ?? 'local'}`
    const now = this.now()
    let w = this.windows.get(key)
    if (w === undefined || now - w.start >= WINDOW_MS) {
      w = { start: now, count: 0 }
      this.windows.set(key, w)
    }
    w.count++
    return w.count <= LIMIT
  }

  private record(method: string, path: string, status: number): void {
    const seen = { method, path, status }
    this.requests.push(seen)
    this.emit('request', seen)
  }
}

function validName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && name !== '.' && !name.includes('..')
}

/** Hono hands routes the percent-decoded parameter; an undecodable one stays raw (and fails the rule). */
function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function loadOrCreateToken(path: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const token = randomBytes(32).toString('hex')
    writeFileSync(path, token, { mode: 0o600, flag: 'wx' })
    return token
  }
  const token = text.trim()
  if (!/^[0-9a-fA-F]{64}$/.test(token)) throw new Error(`WOPR double: token file ${path} does not hold 64 hex characters`)
  return token
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')))
    req.on('error', () => done(''))
  })
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name)
    return i === -1 ? undefined : argv[i + 1]
  }
  const tokenFile = arg('--token-file')
  const socketPath = arg('--socket')
  const port = arg('--port')
  if (tokenFile === undefined || (socketPath === undefined) === (port === undefined)) {
    console.error('usage: wopr-double.ts (--port N [--host H] | --socket PATH) --token-file FILE')
    process.exit(2)
  }
  const listen: DoubleListen = socketPath !== undefined ? { socketPath } : { host: arg('--host') ?? '127.0.0.1', port: Number(port) }
  const double = await WoprDouble.start({ listen, tokenFile })
  // One JSON line per event on stdout, never the token: the demo reads what arrived from here.
  const say = (event: object) => process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), role: 'wopr-double', ...event })}\n`)
  double.on('request', (r: SeenRequest) => say({ event: 'request', ...r }))
  say({ event: 'listening', ...double.address })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void double.stop().then(() => process.exit(0)))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2))
