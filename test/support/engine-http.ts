// Raw HTTP/1.1 on both sides of the proxy tests (DOCKER-HAZARDS.md "Node's HTTP
// server as the proxy front"): a strict splitter that mirrors what Node's parser
// hands the proxy (so the unit tier can run the corpus through the pure gate), a
// response reader, and a raw unix-socket exchange for the engine tier.

import { METHODS, type IncomingHttpHeaders } from 'node:http'
import net from 'node:net'

export type RawRequest = { method: string; target: string; headers: IncomingHttpHeaders; upgrade: boolean; head: Buffer; body: Buffer }
export type RawResponse = { status: number; headers: Record<string, string>; body: Buffer }

/** The proxy's maxHeaderSize (server.ts). */
const MAX_HEADER_BYTES = 16 * 1024
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** The requests Node would emit for these bytes, or null where Node's parser would answer 400. */
export function splitRequests(raw: Buffer): RawRequest[] | null {
  const out: RawRequest[] = []
  let pos = 0
  while (pos < raw.length) {
    const end = raw.indexOf('\r\n\r\n', pos)
    if (end < 0 || end - pos > MAX_HEADER_BYTES) return null
    const lines = raw.subarray(pos, end).toString('latin1').split('\r\n')
    if (lines.some((l) => l.includes('\n') || l.includes('\r'))) return null
    const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0] ?? '')
    if (!m || !METHODS.includes(m[1]!)) return null
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const h = /^([^:]*):[ \t]*(.*?)[ \t]*$/.exec(line)
      if (!h || !TOKEN.test(h[1]!)) return null
      const name = h[1]!.toLowerCase()
      if (name in headers && (name === 'content-length' || name === 'transfer-encoding')) return null
      headers[name] = name in headers ? `${headers[name]}, ${h[2]}` : h[2]!
    }
    if (m[3] === '1' && headers.host === undefined) return null
    const te = headers['transfer-encoding']
    if (te !== undefined && (te.toLowerCase() !== 'chunked' || headers['content-length'] !== undefined)) return null
    pos = end + 4
    const upgrade = headers.upgrade !== undefined && /(^|,)\s*upgrade\s*(,|$)/i.test(headers.connection ?? '')
    if (m[1] === 'CONNECT' || upgrade) {
      out.push({ method: m[1]!, target: m[2]!, headers, upgrade, head: raw.subarray(pos), body: Buffer.alloc(0) })
      return out
    }
    let body: Buffer
    if (te !== undefined) {
      const chunks: Buffer[] = []
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', pos)
        const size = lineEnd < 0 ? NaN : parseInt(raw.subarray(pos, lineEnd).toString('latin1').split(';')[0]!, 16)
        if (!Number.isInteger(size)) return null
        pos = lineEnd + 2
        if (size === 0) break
        chunks.push(raw.subarray(pos, pos + size))
        pos += size + 2
      }
      if (raw.subarray(pos, pos + 2).toString() !== '\r\n') return null
      pos += 2
      body = Buffer.concat(chunks)
    } else {
      const length = Number(headers['content-length'] ?? 0)
      body = raw.subarray(pos, pos + length)
      pos += length
    }
    out.push({ method: m[1]!, target: m[2]!, headers, upgrade: false, head: Buffer.alloc(0), body })
  }
  return out
}

/** Responses in order; a 101 ends the list (what follows is a raw stream). */
export function readResponses(raw: Buffer): RawResponse[] {
  const out: RawResponse[] = []
  let pos = 0
  while (pos < raw.length) {
    const end = raw.indexOf('\r\n\r\n', pos)
    if (end < 0) throw new Error(`truncated response: ${JSON.stringify(raw.subarray(pos, pos + 200).toString('latin1'))}`)
    const [statusLine, ...lines] = raw.subarray(pos, end).toString('latin1').split('\r\n')
    const status = Number(/^HTTP\/1\.1 ([0-9]{3})/.exec(statusLine ?? '')?.[1])
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const i = line.indexOf(':')
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
    }
    pos = end + 4
    if (status === 101) {
      out.push({ status, headers, body: Buffer.alloc(0) })
      return out
    }
    let body: Buffer
    if (headers['transfer-encoding'] === 'chunked') {
      const chunks: Buffer[] = []
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', pos)
        const size = parseInt(raw.subarray(pos, lineEnd).toString('latin1'), 16)
        pos = lineEnd + 2
        if (size === 0) break
        chunks.push(raw.subarray(pos, pos + size))
        pos += size + 2
      }
      pos += 2
      body = Buffer.concat(chunks)
    } else if (headers['content-length'] !== undefined) {
      body = raw.subarray(pos, pos + Number(headers['content-length']))
      pos += body.length
    } else {
      body = raw.subarray(pos)
      pos = raw.length
    }
    out.push({ status, headers, body })
  }
  return out
}

/** Write the bytes in one go, read until the proxy closes (or a 101 arrives), bounded in time. */
export function exchangeRaw(socketPath: string, bytes: Buffer, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(socketPath, () => socket.write(bytes))
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`))
    }, timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      const all = Buffer.concat(chunks)
      if (/^HTTP\/1\.1 101 /.test(all.toString('latin1', 0, 16)) && all.includes('\r\n\r\n')) socket.destroy()
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}
