// Print what a WOPR daemon (the demo's double) holds: every session and its conversation, as
// one JSON object on stdout. Speaks only WOPR-API.md, so it reads a real WOPR just the same.
//   node --import tsx demo/read-wopr.ts --url http://127.0.0.1:7437 --token-file /var/lib/wopr-p2p/daemon-token

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

export interface WoprContents {
  sessions: Record<string, Array<{ from: string; content: unknown }>>
}

export async function readWopr(url: string, token: string): Promise<WoprContents> {
  const get = async (path: string) => {
    const res = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${token}` } })
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`)
    return res.json() as Promise<Record<string, unknown>>
  }
  const listed = (await get('/sessions')).sessions as Array<{ name: string }>
  const sessions: WoprContents['sessions'] = {}
  for (const { name } of listed) {
    const conv = await get(`/sessions/${encodeURIComponent(name)}/conversation?limit=100`)
    sessions[name] = (conv.entries as Array<{ from: string; content: unknown }>).map(({ from, content }) => ({ from, content }))
  }
  return { sessions }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'http://127.0.0.1:7437' }, 'token-file': { type: 'string', default: '/var/lib/wopr-p2p/daemon-token' } } })
  const token = readFileSync(values['token-file'], 'utf8').trim()
  process.stdout.write(`${JSON.stringify(await readWopr(values.url, token))}\n`)
}
