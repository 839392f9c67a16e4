// `wopr-p2p wopr-relay` through the real launcher, as compose runs it: it forwards the WOPR
// client's log to the WOPR double, refuses what the client never sends, writes JSON log lines
// on stderr without the token, and on SIGTERM closes its socket and exits 0.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseWoprTarget } from '../../../src/cli/wopr-relay-commands.ts'
import { WoprClient } from '../../../src/wopr/client.ts'
import { raw, startDouble, stopAll, woprDir } from '../../support/wopr-fixtures.ts'

const bin = new URL('../../../bin/wopr-p2p.js', import.meta.url).pathname
const FRIEND = 'friend-p2p-alice-3f9a1c'

const children: ChildProcess[] = []
test.after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await stopAll()
})

/** Start the relay and resolve once it logs that it listens; `logs` collects every stderr line parsed as JSON. */
async function startRelayProcess(args: string[]): Promise<{ child: ChildProcess; logs: Array<Record<string, unknown>>; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, 'wopr-relay', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  const logs: Array<Record<string, unknown>> = []
  let text = ''
  const listening = new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      const lines = text.split('\n')
      for (const line of lines.slice(logs.length, -1)) {
        const record = JSON.parse(line) as Record<string, unknown>
        logs.push(record)
        if (record.event === 'relay.listening') resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`relay exited with ${code} before listening: ${text}`)))
  })
  await listening
  return { child, logs, stderr: () => text }
}

test('forwards the client to WOPR, refuses the rest, logs JSON without the token, stops cleanly on SIGTERM', async () => {
  const { double, tokenFile } = await startDouble('tcp')
  const upstream = double.address as { host: string; port: number }
  const listen = join(woprDir().dir, 'relay.sock')
  const { child, logs, stderr } = await startRelayProcess(['--listen', listen, '--target', `http://${upstream.host}:${upstream.port}`])

  const client = new WoprClient({ endpoint: { socketPath: listen }, tokenFile })
  await client.log(FRIEND, 'hello through the relay', 'p2p:alice')
  const entries = double.conversation(FRIEND)
  assert.is(entries.length, 1)
  assert.is(entries[0]!.content, 'hello through the relay')

  const refused = await raw({ socketPath: listen }, 'POST', `/sessions/${FRIEND}/inject`, { auth: `Bearer ${double.token}`, body: '{"message":"x"}' })
  assert.is(refused.status, 403)
  assert.ok(!double.requests.some((r) => r.path.endsWith('/inject')), 'WOPR never saw the inject')

  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const [code] = await exited
  assert.is(code, 0, stderr())
  assert.not.ok(existsSync(listen), 'the socket file is gone')

  const events = logs.map((l) => `${l.level} ${l.event}`)
  assert.ok(events.includes('info relay.listening'))
  assert.ok(logs.some((l) => l.event === 'relay.request' && l.level === 'info' && l.status === 200 && l.method === 'POST'))
  assert.ok(logs.some((l) => l.event === 'relay.request' && l.level === 'warn' && l.reason === 'WOPR_RELAY_DENIED'))
  assert.equal(events.slice(-2), ['info relay.stopping', 'info relay.stopped'])
  assert.ok(logs.every((l) => l.role === 'wopr-relay' && typeof l.time === 'string'))
  assert.not.ok(stderr().includes(double.token), 'the bearer token never reaches the log')
  assert.not.ok(stderr().includes('hello through the relay'), 'message text never reaches the log')
})

test('a bad --target or --socket-mode is a usage error (exit 2) and nothing listens', () => {
  const listen = join(woprDir().dir, 'relay.sock')
  for (const bad of [['--target', 'https://wopr:7437'], ['--target', 'http://wopr:7437/v1'], ['--target', 'http://u:p@wopr:7437'], ['--socket-mode', '666']]) {
    const r = spawnSync(process.execPath, [bin, 'wopr-relay', '--listen', listen, ...bad], { encoding: 'utf8' })
    assert.is(r.status, 2, `${bad.join(' ')}: ${r.stderr}`)
    assert.not.ok(existsSync(listen))
  }
})

test('the target parser: WOPR-API.md defaults and bracketed IPv6', () => {
  assert.equal(parseWoprTarget('http://127.0.0.1:7437'), { host: '127.0.0.1', port: 7437 })
  assert.equal(parseWoprTarget('http://wopr:7437/'), { host: 'wopr', port: 7437 })
  assert.equal(parseWoprTarget('http://[::1]:7437'), { host: '::1', port: 7437 })
  assert.equal(parseWoprTarget('http://wopr'), { host: 'wopr', port: 80 })
})

test.run()
