// The few engine calls the proxy *role* and `sandbox pin` make for themselves, never
// on a client's behalf (DESIGN.md "The sandbox": the image is pinned by ID; the
// start-up reaper): resolve an image, list and remove our labelled containers.
// Plain JSON over the engine socket at the proxy's one pinned API version.

import http from 'node:http'
import { WoprP2PError } from '../reasons.ts'
import { API_VERSION } from './routes.ts'

/** Image names, tags, digests and IDs use only these; anything else never reaches a path. */
const IMAGE_REF = /^[a-z0-9][a-z0-9._/:@-]{0,254}$/
const REPLY_CAP = 4 * 1024 * 1024
/** A hung engine must not hang start-up, a reload or shutdown for ever. */
const CALL_TIMEOUT_MS = 30_000

type Reply = { status: number; body: string }

export class EngineAdmin {
  constructor(readonly socketPath: string) {}

  /** The image's full ID (`sha256:…`), or null when the engine has no such image. */
  async imageId(ref: string): Promise<string | null> {
    if (!IMAGE_REF.test(ref)) throw new WoprP2PError('USAGE', `"${ref.slice(0, 80)}" is not an image name, tag or ID`, 'use a name such as wopr-p2p-sandbox:local or a sha256: ID')
    const r = await this.call('GET', `/images/${ref}/json`)
    if (r.status === 404) return null
    const id = (this.json(r, 200, 'image inspect') as { Id?: unknown } | null)?.Id
    if (typeof id !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(id)) throw this.odd('image inspect', r)
    return id
  }

  /** IDs of all containers, running or not, carrying `key=value`. */
  async labelledContainers(label: { key: string; value: string }): Promise<string[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${label.key}=${label.value}`] }))
    const r = await this.call('GET', `/containers/json?all=true&filters=${filters}`)
    const list = this.json(r, 200, 'container list')
    if (!Array.isArray(list)) throw this.odd('container list', r)
    return list.map((c: { Id?: unknown } | null) => c?.Id).filter((id): id is string => typeof id === 'string' && /^[0-9a-f]{64}$/.test(id))
  }

  /** Kill and remove; a container already gone (404) or already being removed (409) counts as done. */
  async removeContainer(id: string): Promise<void> {
    const r = await this.call('DELETE', `/containers/${id}?force=true`)
    if (r.status !== 204 && r.status !== 404 && r.status !== 409) throw this.odd('container remove', r)
  }

  private call(method: string, path: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, method, path: `/${API_VERSION}${path}`, headers: { host: 'docker' } }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > REPLY_CAP) res.destroy(new Error(`engine reply over ${REPLY_CAP} bytes`))
          else chunks.push(chunk)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', (err) => reject(this.unreachable(err)))
        res.on('close', () => res.complete || reject(this.unreachable(new Error('connection closed mid-answer'))))
      })
      req.on('error', (err) => reject(this.unreachable(err)))
      req.setTimeout(CALL_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)))
      req.end()
    })
  }

  /** Parsed engine JSON; each caller checks the fields it uses. */
  private json(r: Reply, want: number, what: string): unknown {
    if (r.status !== want) throw this.odd(what, r)
    try {
      return JSON.parse(r.body)
    } catch {
      throw this.odd(what, r)
    }
  }

  private odd(what: string, r: Reply): WoprP2PError {
    return new WoprP2PError('IO', `engine ${what} answered ${r.status}: ${r.body.slice(0, 200).trim()}`, 'check the engine with: docker info')
  }

  private unreachable(err: Error): WoprP2PError {
    return new WoprP2PError('PROXY_ENGINE_UNREACHABLE', `Docker engine at ${this.socketPath}: ${err.message}`, 'is the engine running, and may this user open its socket? (--engine <socket>)')
  }
}
