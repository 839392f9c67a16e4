// Requests towards the real engine socket (DESIGN.md "The narrowed Docker proxy"):
// built here from a validated route and a rebuilt body, with the one pinned API
// version in the path; no client header or byte is ever copied across.

import http from 'node:http'
import type { Route } from './routes.ts'

export class EngineClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

  constructor(readonly socketPath: string) {}

  /** Send one request; the caller listens for 'response' and 'error'. */
  send(route: Route, body: string | undefined): http.ClientRequest {
    const headers: http.OutgoingHttpHeaders = { host: 'docker' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (route.method !== 'GET') headers['content-length'] = body === undefined ? 0 : Buffer.byteLength(body)
    const req = http.request({ socketPath: this.socketPath, agent: this.agent, method: route.method, path: route.enginePath, headers })
    req.end(body)
    return req
  }

  /** The attach upgrade, on its own connection; the caller listens for 'upgrade', 'response' and 'error'. */
  attach(route: Route): http.ClientRequest {
    const req = http.request({
      socketPath: this.socketPath,
      agent: false,
      method: 'POST',
      path: route.enginePath,
      headers: { host: 'docker', connection: 'Upgrade', upgrade: 'tcp', 'content-length': 0 },
    })
    req.end()
    return req
  }

  close(): void {
    this.agent.destroy()
  }
}
