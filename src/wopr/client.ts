// The WOPR daemon client (WOPR-API.md): HTTP/1.1 over a unix socket (the relay) or TCP,
// bearer token from WOPR's token file, one typed WoprError per failure. It can log, read a
// conversation and check health, nothing else: no method builds /inject or /v1/* (DESIGN.md).

import http from 'node:http'
import { REASONS, WoprP2PError } from '../reasons.ts'
import { WoprError, type WoprReason } from './errors.ts'
import { isWoprSessionName } from './session-name.ts'
import { readTokenFile } from './token-file.ts'

export type WoprEndpoint = { socketPath: string } | { host: string; port: number }

export interface ConversationEntry {
  ts: number
  from: string | null
  senderId: string | null
  content: string
  type: string
}

export interface Conversation {
  name: string
  entries: ConversationEntry[]
  count: number
}

/** What the outbox needs from WOPR; WoprClient is the one implementation. */
export interface WoprApi {
  log(session: string, message: string, from: string): Promise<void>
  conversation(session: string, limit: number): Promise<Conversation>
  health(): Promise<void>
}

export interface WoprClientOptions {
  endpoint: WoprEndpoint
  /** WOPR's daemon-token, mounted read-only; read for every authenticated request. '' when the relay adds it. */
  tokenFile: string
  /** Whole request, connect to last byte of the answer. */
  timeoutMs?: number
  /** A conversation read-back is the only large answer; past this it is refused, not buffered. */
  maxResponseBytes?: number
}

/** `unix:/path` or `/path` for a socket, `http://host:port` for TCP; anything else is a usage error. */
export function parseWoprEndpoint(spec: string): WoprEndpoint {
  if (spec.startsWith('unix:')) spec = spec.slice(5)
  if (spec.startsWith('/')) return { socketPath: spec }
  let url: URL | undefined
  try {
    url = new URL(spec)
  } catch {
    url = undefined
  }
  if (url?.protocol !== 'http:' || url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new WoprP2PError('USAGE', `WOPR endpoint "${spec}" is neither a socket path nor http://host:port`, 'use unix:/path/to/wopr.sock (the relay) or http://127.0.0.1:7437')
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port) }
}

/** Codes the relay puts in its own answers' `reason`; WOPR's bodies never carry one. */
const RELAY_REASONS: ReadonlySet<string> = new Set<WoprReason>(['WOPR_UNREACHABLE', 'WOPR_TIMEOUT', 'WOPR_RELAY_DENIED', 'WOPR_RELAY_BODY_TOO_LARGE', 'WOPR_RELAY_BUSY', 'WOPR_TOKEN_FILE'])
/** Errors raised before a single byte could reach WOPR: retrying them can never duplicate anything. */
const NOT_SENT = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'])
const DEFAULT_RETRY_AFTER_MS = 60_000

type Call = { method: 'GET' | 'POST'; path: string; body?: string; auth: boolean }
type Answer = { status: number; retryAfter: string | undefined; json: unknown }

export class WoprClient implements WoprApi {
  private readonly endpoint: WoprEndpoint
  private readonly tokenFile: string
  private readonly timeoutMs: number
  private readonly maxResponseBytes: number

  constructor(opts: WoprClientOptions) {
    this.endpoint = opts.endpoint
    this.tokenFile = opts.tokenFile
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.maxResponseBytes = opts.maxResponseBytes ?? 16 * 1024 * 1024
  }

  /** POST /sessions/{session}/log: stored for the model's next turn, no model call. */
  async log(session: string, message: string, from: string): Promise<void> {
    checkSession(session)
    // WOPR answers 400 to an empty message; refusing here keeps it out of the outbox.
    if (message === '') throw new WoprError('WOPR_EMPTY_MESSAGE', REASONS.WOPR_EMPTY_MESSAGE)
    const json = await this.call({ method: 'POST', path: `/sessions/${session}/log`, body: JSON.stringify({ message, from }), auth: true })
    if (!isRecord(json) || json.logged !== true) throw badResponse('log answer is not {session, logged: true}')
  }

  /** GET /sessions/{session}/conversation?limit=N: the last N entries, oldest first; unknown sessions are empty. */
  async conversation(session: string, limit: number): Promise<Conversation> {
    checkSession(session)
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('conversation: limit must be a positive integer')
    const json = await this.call({ method: 'GET', path: `/sessions/${session}/conversation?limit=${limit}`, auth: true })
    if (!isRecord(json) || typeof json.name !== 'string' || !Array.isArray(json.entries)) throw badResponse('conversation answer is not {name, entries, count}')
    const entries = json.entries.map(toEntry)
    if (entries.includes(null)) throw badResponse('a conversation entry lacks ts or content')
    return { name: json.name, entries: entries as ConversationEntry[], count: entries.length }
  }

  /** GET /health, unauthenticated and outside WOPR's rate limit: resolves when WOPR says ok. */
  async health(): Promise<void> {
    const json = await this.call({ method: 'GET', path: '/health', auth: false })
    if (!isRecord(json) || json.status !== 'ok') throw badResponse('health answer is not {"status":"ok"}')
  }

  private async call(call: Call): Promise<unknown> {
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' }
    // No token file: the relay in front of WOPR adds the token (the compose setup).
    if (call.auth && this.tokenFile !== '') headers.authorization = `Bearer ${await readTokenFile(this.tokenFile)}`
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = Buffer.byteLength(call.body)
    }
    const answer = await this.send(call, headers)
    return interpret(answer, call)
  }

  /**
   * One request on its own connection (no keep-alive): a socket kept from before a WOPR
   * restart would fail a POST in a way that cannot be told apart from a lost answer.
   */
  private send(call: Call, headers: http.OutgoingHttpHeaders): Promise<Answer> {
    const where = 'socketPath' in this.endpoint ? this.endpoint.socketPath : `${this.endpoint.host}:${this.endpoint.port}`
    return new Promise((resolve, reject) => {
      let connected = false
      let settled = false
      const req = http.request({ ...this.endpoint, agent: false, method: call.method, path: call.path, headers })
      const fail = (err: WoprError) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        req.destroy()
        reject(err)
      }
      // Only a POST that may have reached WOPR is in doubt; GETs change nothing.
      const inDoubt = () => connected && call.method === 'POST'
      const timer = setTimeout(() => {
        fail(new WoprError('WOPR_TIMEOUT', `WOPR at ${where} did not answer ${call.method} within ${this.timeoutMs} ms`, { maybeDelivered: inDoubt() }))
      }, this.timeoutMs)
      req.on('socket', (socket) => socket.once('connect', () => (connected = true)))
      req.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'error'
        const hint = code === 'ENOENT' ? 'is wopr-relay running and its socket volume mounted here?' : 'is WOPR running?'
        fail(new WoprError('WOPR_UNREACHABLE', `WOPR at ${where} unreachable (${code})`, { maybeDelivered: inDoubt() && !NOT_SENT.has(code), hint }))
      })
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > this.maxResponseBytes) fail(badResponse(`answer larger than ${this.maxResponseBytes} bytes`, res.statusCode))
          else chunks.push(chunk)
        })
        res.on('end', () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          const retryAfter = res.headers['retry-after']
          resolve({ status: res.statusCode ?? 0, retryAfter, json: parseJson(Buffer.concat(chunks)) })
        })
        // A cut answer: WOPR acted (or not) and we cannot tell which. 'close' reports it; 'error' only repeats it.
        res.on('error', () => undefined)
        res.on('close', () => {
          if (!res.complete) fail(new WoprError('WOPR_UNREACHABLE', `WOPR at ${where} closed the connection mid-answer`, { maybeDelivered: inDoubt() }))
        })
      })
      req.end(call.body)
    })
  }
}

function interpret({ status, retryAfter, json }: Answer, call: Call): unknown {
  const error = isRecord(json) && typeof json.error === 'string' ? json.error : undefined
  if (isRecord(json) && typeof json.reason === 'string' && RELAY_REASONS.has(json.reason)) {
    const code = json.reason as WoprReason
    // The relay says whether it had passed the request on before failing.
    throw new WoprError(code, `wopr-relay answered ${status}: ${REASONS[code]}`, { status, maybeDelivered: json.sent === true && call.method === 'POST' })
  }
  if (status === 200) return json
  if (status === 400 && error === 'Invalid session name') throw new WoprError('WOPR_BAD_SESSION', REASONS.WOPR_BAD_SESSION, { status })
  if (status === 400 && error === 'Message is required') throw new WoprError('WOPR_EMPTY_MESSAGE', REASONS.WOPR_EMPTY_MESSAGE, { status })
  if (status === 401) {
    const which = error === 'Invalid token' ? 'the token is not the one WOPR holds' : 'WOPR saw no bearer token'
    throw new WoprError('WOPR_UNAUTHORIZED', `WOPR answered 401: ${which}`, { status, hint: 'mount the daemon-token of this WOPR instance ($WOPR_HOME/daemon-token)' })
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, json)
    throw new WoprError('WOPR_RATE_LIMITED', `WOPR answered 429; retry after ${Math.round(retryAfterMs / 1000)} s`, { status, retryAfterMs })
  }
  if (status >= 500 && status <= 599) throw new WoprError('WOPR_SERVER_ERROR', `WOPR answered ${status}`, { status })
  throw badResponse(`unexpected status ${status}`, status)
}

/** Retry-After in seconds or as an HTTP date, else the body's retryAfter, else WOPR's fixed 60 s; held to 1 s..1 h. */
export function parseRetryAfter(header: string | undefined, body: unknown, now = Date.now()): number {
  let ms: number | undefined
  if (header !== undefined && /^\d{1,7}$/.test(header.trim())) ms = Number(header.trim()) * 1000
  else if (header !== undefined && !Number.isNaN(Date.parse(header))) ms = Date.parse(header) - now
  else if (isRecord(body) && typeof body.retryAfter === 'number' && Number.isFinite(body.retryAfter)) ms = body.retryAfter * 1000
  return Math.min(Math.max(ms ?? DEFAULT_RETRY_AFTER_MS, 1000), 3_600_000)
}

function checkSession(session: string): void {
  // Also what keeps the path literal: a WOPR-safe name has no '/', '?', '%' or '..'.
  if (!isWoprSessionName(session)) throw new WoprError('WOPR_BAD_SESSION', REASONS.WOPR_BAD_SESSION)
}

function toEntry(e: unknown): ConversationEntry | null {
  if (!isRecord(e) || typeof e.ts !== 'number' || typeof e.content !== 'string') return null
  return {
    ts: e.ts,
    from: typeof e.from === 'string' ? e.from : null,
    senderId: typeof e.senderId === 'string' ? e.senderId : null,
    content: e.content,
    type: typeof e.type === 'string' ? e.type : '',
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function badResponse(what: string, status?: number): WoprError {
  return new WoprError('WOPR_BAD_RESPONSE', `WOPR answer not understood: ${what}`, status === undefined ? {} : { status })
}
