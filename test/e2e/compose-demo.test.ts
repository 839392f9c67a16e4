// The compose demo under the real engine with Compose v2 (issue 5 "Proof"): images built with no
// registry, every demo service up healthy and hardened, the sidecar container shown to have no
// Docker socket, then the one-shot driver makes alice and bob friends and sends a log and an
// inject, and both WOPR doubles are read back. Fails (never skips) without an engine or compose;
// always `down -v`.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname
const PROJECT = `wopr-p2p-e2e-${process.pid}`
const CA_DIR = '/usr/local/share/ca-certificates'

function extraCaCerts(): string {
  try {
    return readdirSync(CA_DIR).filter((f) => f.endsWith('.crt')).map((f) => readFileSync(join(CA_DIR, f), 'utf8')).join('\n')
  } catch {
    return ''
  }
}

const env = {
  ...process.env,
  DOCKER_GID: String(spawnSync('stat', ['-c', '%g', '/var/run/docker.sock'], { encoding: 'utf8' }).stdout.trim()),
  BASE: 'wopr-p2p-base:test',
  // scripts/build-sandbox-image.sh names the same base BASE_IMAGE.
  BASE_IMAGE: 'wopr-p2p-base:test',
  EXTRA_CA_CERTS: extraCaCerts(),
}

function run(cmd: string, args: string[], timeoutMs = 600_000): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' }
}

function compose(...args: string[]) {
  return run('docker', ['compose', '-p', PROJECT, '--profile', 'demo', ...args])
}

function must(what: string, r: { code: number | null; out: string; err: string }): string {
  assert.is(r.code, 0, `${what} failed:\n${r.err.slice(-4000)}\n${r.out.slice(-4000)}`)
  return r.out
}

test.after(() => {
  compose('down', '-v', '--remove-orphans', '--timeout', '5')
})

test('engine, Compose v2 and the local base image are there (no skipping)', () => {
  must('docker info', run('docker', ['info', '--format', '{{.ServerVersion}}']))
  assert.match(must('docker compose version', run('docker', ['compose', 'version', '--short'])), /^v?2\./)
  must('base image', run('docker', ['image', 'inspect', env.BASE]))
  must('compose config', compose('config', '--quiet'))
})

test('images build with no registry: the sandbox script, and compose (which also makes the sandbox image)', () => {
  const sandbox = must('sandbox image', run('bash', ['scripts/build-sandbox-image.sh'], 600_000)).trim().split('\n').at(-1)!
  assert.match(sandbox, /^sha256:[0-9a-f]{64}$/)
  must('compose build', compose('build'))
  for (const image of ['wopr-p2p:local', 'wopr-p2p:demo', 'wopr-p2p-sandbox:local']) must(`inspect ${image}`, run('docker', ['image', 'inspect', image]))
})

const MAIN = `wopr-p2p-main-${process.pid}`
function mainStack(...args: string[]) {
  return run('docker', ['compose', '-p', MAIN, ...args])
}

test('the README main command: with no WOPR and nothing pinned the stack comes up healthy and says why peers wait', () => {
  try {
    must('compose up (main)', mainStack('up', '-d', '--wait'))
    for (const service of ['p2p', 'docker-proxy', 'wopr-relay']) {
      const id = must(`ps ${service}`, mainStack('ps', '-q', service)).trim()
      assert.is(must(`health ${service}`, run('docker', ['inspect', '--format', '{{.State.Health.Status}}', id])).trim(), 'healthy', `${service} health`)
    }
    const status = JSON.parse(must('status', mainStack('exec', '-T', 'p2p', 'wopr-p2p', 'status', '--json'))) as {
      shortId: string
      topics: unknown[]
      sandbox: { state: string; reason?: string }
      outbox: { reachable: boolean | null; pending: number }
    }
    assert.match(status.shortId, /^[0-9a-f]{8}$/, 'the identity was made on first start')
    assert.is(status.topics.length, 1)
    assert.equal([status.sandbox.state, status.sandbox.reason], ['unavailable', 'SANDBOX_NO_IMAGE'])
    assert.equal([status.outbox.reachable, status.outbox.pending], [false, 0], 'WOPR is unreachable and nothing waits yet')
    // The internet-facing sidecar holds neither the Docker socket nor WOPR's data (the relay adds WOPR's token).
    const p2pId = must('ps p2p', mainStack('ps', '-q', 'p2p')).trim()
    const mounts = JSON.parse(must('inspect p2p', run('docker', ['inspect', '--format', '{{json .Mounts}}', p2pId]))) as Array<{ Source: string; Destination: string; Name?: string }>
    assert.equal(mounts.filter((m) => m.Destination.includes('docker.sock') || m.Source.includes('docker.sock') || m.Destination.startsWith('/run/wopr-data')), [], 'p2p mounts no Docker socket and no WOPR data')
  } finally {
    mainStack('down', '-v', '--remove-orphans', '--timeout', '5')
  }
})

const DEMO_SERVICES = ['bootstrap', 'model', 'wopr-alice', 'wopr-bob', 'relay-alice', 'relay-bob', 'demo-proxy', 'alice', 'bob']

test('the demo services come up healthy and hardened', () => {
  must('compose up', compose('up', '-d', '--wait', 'alice', 'bob'))
  for (const service of DEMO_SERVICES) {
    const id = must(`ps ${service}`, compose('ps', '-q', service)).trim()
    const [health, readOnly, capDrop, noNewPrivs, user] = must(
      `inspect ${service}`,
      run('docker', ['inspect', '--format', '{{.State.Health.Status}}|{{.HostConfig.ReadonlyRootfs}}|{{json .HostConfig.CapDrop}}|{{json .HostConfig.SecurityOpt}}|{{.Config.User}}', id]),
    )
      .trim()
      .split('|')
    assert.is(health, 'healthy', `${service} health`)
    assert.is(readOnly, 'true', `${service} read-only root`)
    assert.ok(capDrop!.includes('ALL'), `${service} drops every capability: ${capDrop}`)
    assert.ok(noNewPrivs!.includes('no-new-privileges'), `${service} no-new-privileges: ${noNewPrivs}`)
    assert.is(user, '1000:1000', `${service} runs as uid 1000`)
  }
})

test('the sidecar container cannot reach the Docker socket', () => {
  const probe = must(
    'socket probe',
    compose('exec', '-T', 'alice', 'node', '-e', "require('net').connect('/var/run/docker.sock').on('connect',()=>console.log('CONNECTED')).on('error',(e)=>console.log(e.code))"),
  ).trim()
  assert.is(probe, 'ENOENT')
  const mounts = JSON.parse(must('inspect alice', run('docker', ['inspect', '--format', '{{json .Mounts}}', must('ps alice', compose('ps', '-q', 'alice')).trim()]))) as Array<{ Source: string; Destination: string }>
  assert.not.ok(mounts.some((m) => m.Source.endsWith('docker.sock') || m.Destination.endsWith('docker.sock')), `alice mounts the engine socket: ${JSON.stringify(mounts)}`)
})

test('the demo: friendship, log and inject end to end; both WOPR doubles hold them', () => {
  const driver = must('demo driver', compose('run', '--rm', '-T', 'demo'))
  const events = driver.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  const names = events.map((e) => e.event)
  for (const step of ['ready', 'friend.completed', 'granted', 'log.sent', 'inject.answered', 'wopr', 'done']) assert.ok(names.includes(step), `driver step ${step}: ${driver}`)

  // Read the doubles ourselves, not through the driver's summary.
  const read = (service: string) =>
    JSON.parse(must(`read ${service}`, compose('exec', '-T', service, 'node', '--import', 'tsx', 'demo/read-wopr.ts'))) as {
      sessions: Record<string, Array<{ from: string; content: unknown }>>
    }
  const bob = read('wopr-bob')
  const alice = read('wopr-alice')
  const bobEntries = Object.entries(bob.sessions).filter(([name]) => name.startsWith('friend-p2p-alice-'))
  assert.is(bobEntries.length, 1, `bob's WOPR has one session for alice: ${JSON.stringify(bob)}`)
  const texts = bobEntries[0]![1].map((e) => JSON.stringify(e.content))
  assert.ok(texts.some((t) => t.includes('hello bob, this is alice over wopr-p2p')), 'the log reached bob\'s WOPR')
  assert.ok(texts.some((t) => t.includes('six times seven')), 'the inject exchange was logged to bob\'s WOPR')
  assert.ok(bobEntries[0]![1].every((e) => e.from.startsWith('p2p:')), 'entries come from p2p:<peer key>')
  const aliceEntries = Object.entries(alice.sessions).filter(([name]) => name.startsWith('friend-p2p-bob-'))
  assert.is(aliceEntries.length, 1, `alice's WOPR has one session for bob: ${JSON.stringify(alice)}`)
  assert.ok(aliceEntries[0]![1].some((e) => JSON.stringify(e.content).includes('hello alice, bob here')), 'bob\'s log reached alice\'s WOPR')
  assert.ok(Object.keys(alice.sessions).every((name) => name.startsWith('friend-p2p-')), 'alice\'s WOPR holds only friend sessions')
})

test.run()
