// Every decision the proxy makes about one request, as pure functions of what the
// HTTP parser saw (DESIGN.md "The narrowed Docker proxy"; DOCKER-HAZARDS.md). The
// server does the I/O and calls checkHead before reading a body, checkBody after.

import type { IncomingHttpHeaders } from 'node:http'
import { accept, refuse, type Verdict } from '../reasons.ts'
import { parseStrictJson } from './body.ts'
import { checkCreateBody, type SandboxPolicy } from './create-policy.ts'
import { matchRoute, type Route } from './routes.ts'

/** The largest body forwarded: a create body with an inline seccomp profile is a few KiB to tens of KiB. */
export const BODY_CAP = 256 * 1024

// The engine also takes `APPLICATION/JSON` and any parameters (DOCKER-HAZARDS.md); we take one spelling family.
const JSON_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i

export type RequestHead = {
  method: string
  target: string
  headers: IncomingHttpHeaders
  /** Node emitted 'upgrade': the request had Connection: Upgrade and an Upgrade header. */
  upgrade: boolean
  /** Bytes Node had already read past the headers of an upgrade request (its `head`). */
  head: Uint8Array
}

export type GateContext = { policy: SandboxPolicy; isOwned: (id: string) => boolean }

export function checkHead(head: RequestHead, ctx: GateContext): Verdict<Route> {
  // Node is told not to insist on Host (server.ts) so that this refusal is ours; we ask it of HTTP/1.0 too.
  if (head.headers.host === undefined) return refuse('PROXY_MALFORMED_HTTP', 'no Host header')
  const matched = matchRoute(head.method, head.target)
  if (!matched.ok) return matched
  const route = matched.value
  if (route.image !== undefined && (ctx.policy.imageId === '' || route.image !== ctx.policy.imageId)) return refuse('PROXY_IMAGE_NOT_PINNED')
  if (route.container !== undefined && !ctx.isOwned(route.container)) return refuse('PROXY_NOT_OWNED')
  if (head.upgrade) {
    if (route.kind !== 'attach' || head.headers.upgrade?.toLowerCase() !== 'tcp') return refuse('PROXY_UPGRADE_DENIED')
  } else if (route.kind === 'attach') {
    return refuse('PROXY_UPGRADE_REQUIRED')
  }
  const declared = head.headers['content-length'] === undefined ? 0 : Number(head.headers['content-length'])
  if (declared > BODY_CAP) return refuse('PROXY_BODY_TOO_LARGE', `${declared} bytes declared`)
  // A start body on old API versions replaces the hardened host config (DOCKER-HAZARDS.md "Endpoints that escalate").
  if (route.body === 'none' && declared > 0) return refuse('PROXY_BODY_NOT_EMPTY')
  if (head.upgrade) {
    const tail = checkUpgradeTail(head.headers, head.head)
    if (!tail.ok) return tail
  }
  if (route.body === 'json' && !JSON_TYPE.test(head.headers['content-type'] ?? '')) return refuse('PROXY_CONTENT_TYPE')
  return accept(route)
}

const EMPTY_CHUNKED_BODY = '0\r\n\r\n'

/**
 * What may follow an upgrade request's headers before the engine answers: nothing,
 * or for a chunked request exactly its empty last chunk (dockerode ends its hijacked
 * attach that way). Anything else would be a request we never parsed riding along:
 * upgrade smuggling (DOCKER-HAZARDS.md "Node's HTTP server as the proxy front").
 * 'partial': a prefix of the empty chunk so far; the server reads on until it is whole.
 */
export function checkUpgradeTail(headers: IncomingHttpHeaders, tail: Uint8Array): Verdict<'complete' | 'partial'> {
  const text = Buffer.from(tail).toString('latin1')
  if (headers['transfer-encoding'] === undefined) return text === '' ? accept('complete') : refuse('PROXY_UPGRADE_SMUGGLED', `${tail.length} bytes after the headers`)
  if (text === EMPTY_CHUNKED_BODY) return accept('complete')
  return EMPTY_CHUNKED_BODY.startsWith(text) ? accept('partial') : refuse('PROXY_UPGRADE_SMUGGLED', `${tail.length} bytes after the headers`)
}

/** The body to forward (undefined: none), rebuilt from validated values — never the bytes received. */
export function checkBody(route: Route, body: Uint8Array, policy: SandboxPolicy): Verdict<string | undefined> {
  if (body.length > BODY_CAP) return refuse('PROXY_BODY_TOO_LARGE')
  if (route.body === 'none') return body.length === 0 ? accept(undefined) : refuse('PROXY_BODY_NOT_EMPTY')
  const parsed = parseStrictJson(body)
  if (!parsed.ok) return parsed
  return checkCreateBody(parsed.value, policy)
}
