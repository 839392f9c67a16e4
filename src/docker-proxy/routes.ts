// The literal allowlist of engine endpoints the proxy re-issues (DESIGN.md "The
// narrowed Docker proxy"). Matching is on the raw request target, never a decoded
// one: the engine routes on the percent-decoded path (DOCKER-HAZARDS.md "How the
// engine routes paths"), so anything that decoding or normalising could change is refused.

import { accept, refuse, type Verdict } from '../reasons.ts'

/** The one API version the proxy speaks and forwards (Debian's Engine 20.10). */
export const API_VERSION = 'v1.41'

export type RouteKind = 'ping' | 'version' | 'image-inspect' | 'create' | 'start' | 'attach' | 'wait' | 'kill' | 'inspect' | 'remove'

export type Route = {
  kind: RouteKind
  method: 'GET' | 'POST' | 'DELETE'
  /** Canonical versioned path and query, built here, to send to the engine. */
  enginePath: string
  /** The {id} segment of container routes, checked against the owned set by the gate. */
  container?: string
  /** The {image} segment of image inspect, checked against the pinned ID by the gate. */
  image?: string
  body: 'none' | 'json'
}

const ID = Symbol('container id')
const IMAGE = Symbol('image')
type Segment = string | typeof ID | typeof IMAGE

type QuerySpec = { [key: string]: { values: Record<string, string>; required?: true } }
const BOOL = { values: { '1': '1', true: '1', '0': '0', false: '0' } }

type RouteSpec = { kind: RouteKind; method: Route['method']; pattern: Segment[]; query?: QuerySpec; body?: 'json' }

const TABLE: readonly RouteSpec[] = [
  { kind: 'ping', method: 'GET', pattern: ['_ping'] },
  { kind: 'version', method: 'GET', pattern: ['version'] },
  { kind: 'image-inspect', method: 'GET', pattern: ['images', IMAGE, 'json'] },
  // A create query (name, platform) is refused: nothing the sandbox needs.
  { kind: 'create', method: 'POST', pattern: ['containers', 'create'], body: 'json' },
  // detachKeys is refused; the body must be empty (the gate), see DOCKER-HAZARDS.md "Endpoints that escalate".
  { kind: 'start', method: 'POST', pattern: ['containers', ID, 'start'] },
  // logs and detachKeys are refused: attach is only the live stdio of a fresh container.
  {
    kind: 'attach',
    method: 'POST',
    pattern: ['containers', ID, 'attach'],
    query: { stream: { values: { '1': '1', true: '1' }, required: true }, stdin: BOOL, stdout: BOOL, stderr: BOOL },
  },
  {
    kind: 'wait',
    method: 'POST',
    pattern: ['containers', ID, 'wait'],
    query: { condition: { values: { 'not-running': 'not-running', 'next-exit': 'next-exit', removed: 'removed' } } },
  },
  { kind: 'kill', method: 'POST', pattern: ['containers', ID, 'kill'], query: { signal: { values: { SIGKILL: 'SIGKILL', SIGTERM: 'SIGTERM' } } } },
  // size is refused: it walks the container filesystem on the engine's time.
  { kind: 'inspect', method: 'GET', pattern: ['containers', ID, 'json'] },
  // link is refused: it removes a link, not a container.
  { kind: 'remove', method: 'DELETE', pattern: ['containers', ID], query: { force: BOOL, v: BOOL } },
]

// Everything else, including %, \, ;, #, + and non-ASCII, is refused unread.
const PATH_CHARS = /^[A-Za-z0-9._:/-]*$/
const QUERY_CHARS = /^[A-Za-z0-9._=&-]*$/

/** Match a raw request line against the table; the returned route carries the path to forward. */
export function matchRoute(method: string, target: string): Verdict<Route> {
  if (!target.startsWith('/')) return refuse('PROXY_TARGET_FORM')
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  const query = q < 0 ? '' : target.slice(q + 1)
  if (!PATH_CHARS.test(path) || !QUERY_CHARS.test(query)) return refuse('PROXY_PATH_ENCODED')
  const segments = path.slice(1).split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return refuse('PROXY_PATH_SEGMENT')
  if (segments[0] !== API_VERSION) return refuse('PROXY_API_VERSION')
  const rest = segments.slice(1)

  const shaped = TABLE.filter((spec) => fits(spec.pattern, rest))
  if (shaped.length === 0) return refuse('PROXY_ROUTE_DENIED')
  const spec = shaped.find((s) => s.method === method)
  if (spec === undefined) return refuse('PROXY_METHOD_DENIED', `${shaped.map((s) => s.method).join('/')} only`)

  const canonicalQuery = checkQuery(query, spec.query ?? {})
  if (!canonicalQuery.ok) return canonicalQuery
  const route: Route = {
    kind: spec.kind,
    method: spec.method,
    enginePath: `/${API_VERSION}/${rest.join('/')}${canonicalQuery.value}`,
    body: spec.body ?? 'none',
  }
  spec.pattern.forEach((p, i) => {
    if (p === ID) route.container = rest[i]
    if (p === IMAGE) route.image = rest[i]
  })
  return accept(route)
}

function fits(pattern: Segment[], segments: string[]): boolean {
  return pattern.length === segments.length && pattern.every((p, i) => typeof p !== 'string' || p === segments[i])
}

/** Each key at most once, from the endpoint's list, with a literal value; rebuilt in table order. */
function checkQuery(query: string, spec: QuerySpec): Verdict<string> {
  const seen = new Map<string, string>()
  for (const pair of query === '' ? [] : query.split('&')) {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    const value = eq < 0 ? undefined : pair.slice(eq + 1)
    const rule = Object.hasOwn(spec, key) ? spec[key] : undefined
    const canonical = rule !== undefined && value !== undefined && Object.hasOwn(rule.values, value) ? rule.values[value] : undefined
    if (canonical === undefined || seen.has(key)) return refuse('PROXY_QUERY_DENIED', `parameter ${key.slice(0, 32)}`)
    seen.set(key, canonical)
  }
  for (const [key, rule] of Object.entries(spec)) {
    if (rule.required && !seen.has(key)) return refuse('PROXY_QUERY_DENIED', `${key} is required`)
  }
  const parts = Object.keys(spec).flatMap((key) => (seen.has(key) ? [`${key}=${seen.get(key)}`] : []))
  return accept(parts.length ? `?${parts.join('&')}` : '')
}
