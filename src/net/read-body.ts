// Reading an HTTP body with a hard cap (requests to the Docker proxy and the WOPR relay, and
// the engine's replies to the proxy): the refusal comes as soon as the cap is passed, so an
// endless body costs bounded memory. Null when the other side went away first.

import type { IncomingMessage } from 'node:http'
import { accept, refuse, type Reason, type Verdict } from '../reasons.ts'

export function readCappedBody(req: IncomingMessage, cap: number, tooLarge: Reason): Promise<Verdict<Buffer> | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > cap) {
        req.removeAllListeners('data')
        req.pause()
        resolve(refuse(tooLarge, `more than ${cap} bytes`))
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(accept(Buffer.concat(chunks))))
    req.on('close', () => resolve(null))
    req.on('error', () => resolve(null))
  })
}
