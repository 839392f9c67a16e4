// The `wopr-p2p docker-proxy` process against the real engine (src/docker-proxy/role.ts,
// src/cli/docker-proxy-commands.ts): it refuses to start when the pinned image does not
// exist, serves but refuses every create while nothing is pinned, reaps its own instance's leftovers before listening, serves through its
// socket with the audit trail, reloads the pin on SIGHUP keeping the last good policy,
// and on SIGTERM removes its sandboxes and exits 0. Plus the re-tag scenario: moving
// the image name to another image changes nothing until `sandbox pin` and a reload.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Docker from 'dockerode'
import { startDockerProxyRole } from '../../src/docker-proxy/role.ts'
import { sandboxPolicyFrom, SANDBOX_LABEL_KEY } from '../../src/docker-proxy/sandbox-policy.ts'
import type { SandboxPolicy } from '../../src/docker-proxy/create-policy.ts'
import { runCli } from '../../src/cli/program.ts'
import { silentLogger } from '../../src/log/logger.ts'
import { SHIPPED_POLICY_DIR } from '../../src/policy/load.ts'
import { DEFAULT_POLICY } from '../../src/policy/schema.ts'
import { WoprP2PError } from '../../src/reasons.ts'
import { buildCreateBody, createThroughProxy, ENGINE_SOCKET, SECCOMP_TEXT, TEST_IMAGE } from '../support/engine-fixtures.ts'
import { connectEngine, type EngineEnv } from '../support/engine-harness.ts'
import { freshPath, modeOf } from '../support/temp-dirs.ts'

const test = suite('docker-proxy role')

const ROOT = new URL('../..', import.meta.url).pathname
const SECCOMP_FILE = join(ROOT, 'test/support/engine-seccomp.json')
/** Ours only: another proxy instance's sandboxes (and other test files') are never touched. */
const INSTANCE = `role-test-${process.pid}`
const RETAG = `wopr-p2p-pin-test:${process.pid}`
/** Hang guard for waiting on the child, not an assertion about speed. */
const GUARD_MS = 60_000

let env: EngineEnv
let setupError: unknown
let other: string
const children = new Set<ChildProcess>()

test.before(async () => {
  try {
    env = await connectEngine()
    // A second image, different from the test image only by a label: what a re-tag could point the name at.
    other = execFileSync('docker', ['build', '-q', '-'], { input: `FROM ${TEST_IMAGE}\nLABEL wopr-p2p.test=retag\n` }).toString().trim()
  } catch (e) {
    setupError = e
  }
})

test.after(async () => {
  for (const c of children) c.kill('SIGKILL')
  if (env) {
    const ours = await env.engine.listContainers({ all: true, filters: { label: [SANDBOX_LABEL_KEY] } })
    await Promise.all(ours.filter((c) => c.Labels[SANDBOX_LABEL_KEY]?.startsWith(INSTANCE)).map((c) => env.engine.getContainer(c.Id).remove({ force: true })))
    await env.engine.getImage(RETAG).remove().catch(() => undefined)
  }
})

function pinnedDir(image: string): string {
  const dir = freshPath('policies')
  mkdirSync(dir)
  copyFileSync(join(SHIPPED_POLICY_DIR, 'sandbox.yaml'), join(dir, 'sandbox.yaml'))
  if (image !== '') writeFileSync(join(dir, 'sandbox.yaml'), readFileSync(join(dir, 'sandbox.yaml'), 'utf8').replace('image: ""', `image: "${image}"`))
  return dir
}

function policyFor(imageId: string, instance = INSTANCE): SandboxPolicy {
  return sandboxPolicyFrom({ ...DEFAULT_POLICY.sandbox, image: imageId }, SECCOMP_TEXT, instance)
}

type Line = Record<string, unknown>
type RoleChild = { socket: string; audit: string; exited: Promise<number | null>; stderr(): string; waitFor(event: string, match?: (l: Line) => boolean): Promise<Line>; signal(s: NodeJS.Signals): void }

function spawnRole(policyDir: string, extra: string[] = [], socketIn?: string): RoleChild {
  const dir = freshPath('proxy-run')
  mkdirSync(dir, { mode: 0o700 })
  const socket = socketIn ?? join(dir, 'docker.sock')
  const audit = join(dir, 'audit.jsonl')
  const args = ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'docker-proxy', '--listen', socket, '--engine', ENGINE_SOCKET, '--policy-dir', policyDir, '--seccomp', SECCOMP_FILE, '--instance', INSTANCE, '--audit', audit, ...extra]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  children.add(child)
  let text = ''
  const lines: Line[] = []
  const waiters = new Set<() => void>()
  child.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
    const complete = text.split('\n').slice(0, -1)
    for (const raw of complete.slice(lines.length)) lines.push(raw.startsWith('{') ? (JSON.parse(raw) as Line) : { text: raw })
    for (const w of waiters) w()
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (children.delete(child), resolve(code))))
  return {
    socket,
    audit,
    exited,
    stderr: () => text,
    signal: (s) => child.kill(s),
    waitFor(event, match = () => true) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => l.event === event && match(l))
          if (hit) return done(() => resolve(hit))
        }
        const guard = setTimeout(() => done(() => reject(new Error(`no "${event}" line within ${GUARD_MS} ms; stderr:\n${text}`))), GUARD_MS)
        const gone = () => done(() => reject(new Error(`exited before a "${event}" line; stderr:\n${text}`)))
        const done = (settle: () => void) => {
          clearTimeout(guard)
          waiters.delete(check)
          child.off('close', gone)
          settle()
        }
        waiters.add(check)
        child.once('close', gone)
        check()
      })
    },
  }
}

/** The status and reason code of a create through the proxy (201 when allowed). */
async function tryCreate(docker: Docker, policy: SandboxPolicy, image: string): Promise<{ status: number; reason?: string }> {
  try {
    await createThroughProxy(docker, { ...buildCreateBody(policy, ['sleep', '300']), Image: image })
    return { status: 201 }
  } catch (e) {
    const err = e as { statusCode?: number; json?: { reason?: string } }
    return { status: err.statusCode ?? 0, reason: err.json?.reason }
  }
}

async function exists(engine: Docker, id: string): Promise<boolean> {
  return engine
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      (e: { statusCode?: number }) => (e.statusCode === 404 ? false : Promise.reject(e)),
    )
}

async function expectStartRefused(policyDir: string, code: WoprP2PError['code'], hint = 'sandbox pin', enginePath = ENGINE_SOCKET): Promise<void> {
  const socket = join(freshPath('no-proxy'), 'docker.sock')
  const err = await startDockerProxyRole({ listenPath: socket, enginePath, policyDir, seccompFile: SECCOMP_FILE, instance: INSTANCE, audit: () => undefined, log: silentLogger() }).then(
    () => new Error('started'),
    (e: unknown) => e,
  )
  assert.instance(err, WoprP2PError)
  assert.is((err as WoprP2PError).code, code, (err as Error).message)
  assert.ok((err as WoprP2PError).hint?.includes(hint), 'the hint says what to do')
  assert.not.ok(existsSync(socket), 'nothing listens')
}

test('refuses to start when the pinned ID is not on the engine, or there is no engine', async () => {
  if (setupError) throw setupError
  await expectStartRefused(pinnedDir(`sha256:${'0'.repeat(64)}`), 'PIN_IMAGE_MISSING')
  await expectStartRefused(pinnedDir(env.imageId), 'PROXY_ENGINE_UNREACHABLE', '--engine', join(freshPath('no-engine'), 'docker.sock'))

  const child = spawnRole(pinnedDir(`sha256:${'0'.repeat(64)}`))
  assert.is(await child.exited, 1)
  assert.match(child.stderr(), /hint: .*wopr-p2p sandbox pin/)
  assert.not.ok(existsSync(child.socket))
})

test('with nothing pinned it listens but refuses every create, until a pin is picked up on SIGHUP', async () => {
  if (setupError) throw setupError
  const dir = pinnedDir('')
  const child = spawnRole(dir)
  const warned = await child.waitFor('no-sandbox-pinned')
  assert.is(warned.reason, 'PIN_NONE')
  await child.waitFor('listening')
  const docker = new Docker({ socketPath: child.socket, version: 'v1.41' })
  const unpinned = policyFor('')
  for (const image of [env.imageId, '']) {
    assert.equal(await tryCreate(docker, unpinned, image), { status: 403, reason: 'PROXY_IMAGE_NOT_PINNED' }, `Image "${image}"`)
  }
  const before = await env.engine.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL_KEY}=${INSTANCE}`] } })
  assert.is(before.length, 0, 'nothing was created')

  const file = join(dir, 'sandbox.yaml')
  writeFileSync(file, readFileSync(file, 'utf8').replace('image: ""', `image: "${env.imageId}"`))
  child.signal('SIGHUP')
  await child.waitFor('policy-applied', (l) => l.image === env.imageId)
  assert.equal(await tryCreate(docker, policyFor(env.imageId), env.imageId), { status: 201 })
  child.signal('SIGTERM')
  assert.is(await child.exited, 0)
})

test('reaps its own leftovers before listening, then serves ping with an audit line', async () => {
  if (setupError) throw setupError
  const leftover = await env.engine.createContainer({ Image: env.imageId, Cmd: ['sleep', '300'], Labels: { [SANDBOX_LABEL_KEY]: INSTANCE } })
  await leftover.start()
  const stopped = await env.engine.createContainer({ Image: env.imageId, Cmd: ['true'], Labels: { [SANDBOX_LABEL_KEY]: INSTANCE } })
  const neighbour = await env.engine.createContainer({ Image: env.imageId, Cmd: ['true'], Labels: { [SANDBOX_LABEL_KEY]: `${INSTANCE}-other` } })

  const child = spawnRole(pinnedDir(env.imageId))
  const reaped = await child.waitFor('reaped')
  await child.waitFor('listening')
  assert.is(reaped.count, 2)
  assert.not.ok(await exists(env.engine, leftover.id), 'a running leftover is gone')
  assert.not.ok(await exists(env.engine, stopped.id), 'a stopped leftover is gone')
  assert.ok(await exists(env.engine, neighbour.id), 'another instance\'s sandbox is left alone')
  await neighbour.remove({ force: true })

  assert.is(modeOf(child.socket), 0o600)
  const docker = new Docker({ socketPath: child.socket, version: 'v1.41' })
  assert.is(String(await docker.ping()), 'OK')
  child.signal('SIGTERM')
  assert.is(await child.exited, 0)
  const audit = readFileSync(child.audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line)
  assert.equal(audit.map((a) => [a.method, a.path, a.verdict, a.status]), [['GET', '/v1.41/_ping', 'allow', 200]])
  assert.is(modeOf(child.audit), 0o600)
})

test('SIGTERM stops accepting, removes its live sandboxes and exits 0', async () => {
  if (setupError) throw setupError
  const child = spawnRole(pinnedDir(env.imageId))
  await child.waitFor('listening')
  const docker = new Docker({ socketPath: child.socket, version: 'v1.41' })
  const container = await createThroughProxy(docker, buildCreateBody(policyFor(env.imageId), ['sleep', '300']))
  await container.start()
  assert.ok((await env.engine.getContainer(container.id).inspect()).State.Running)

  child.signal('SIGTERM')
  assert.is(await child.exited, 0)
  assert.is((await child.waitFor('stopped').catch(() => ({ removed: 'no line' }))).removed, 1)
  assert.not.ok(await exists(env.engine, container.id))
  assert.not.ok(existsSync(child.socket), 'the socket is gone')
})

test('--socket-group shares the socket, and a socket directory it makes, with exactly one group', async () => {
  if (setupError) throw setupError
  const socketDir = join(freshPath('run'), 'wopr-p2p')
  const child = spawnRole(pinnedDir(env.imageId), ['--socket-group', '4242'], join(socketDir, 'docker.sock'))
  await child.waitFor('listening')
  const st = statSync(child.socket)
  assert.is(st.mode & 0o777, 0o660)
  assert.is(st.gid, 4242)
  const dirSt = statSync(socketDir)
  assert.equal([dirSt.mode & 0o777, dirSt.gid], [0o710, 4242], 'the group may reach the socket but not list the directory')
  child.signal('SIGTERM')
  assert.is(await child.exited, 0)
})

test('a reload keeps the last good policy: bad YAML, an empty pin and a missing image are all refused', async () => {
  if (setupError) throw setupError
  const dir = pinnedDir(env.imageId)
  const file = join(dir, 'sandbox.yaml')
  const good = readFileSync(file, 'utf8')
  const child = spawnRole(dir)
  await child.waitFor('listening')
  const docker = new Docker({ socketPath: child.socket, version: 'v1.41' })
  const policy = policyFor(env.imageId)

  const attempts: Array<[string, string]> = [
    ['sandbox:\n  pidsLimit: 1000\n', 'POLICY_EXCEEDS_CONTRACT'],
    [good.replace(env.imageId, ''), 'PIN_NONE'],
    [good.replace(env.imageId, `sha256:${'0'.repeat(64)}`), 'PIN_IMAGE_MISSING'],
  ]
  let refusals = 0
  for (const [text, reason] of attempts) {
    writeFileSync(file, text)
    child.signal('SIGHUP')
    const refused = await child.waitFor('policy-reload-refused', (l) => l.reason === reason)
    assert.is(refused.kept, env.imageId)
    refusals++
    assert.equal(await tryCreate(docker, policy, env.imageId), { status: 201 }, `still enforcing the last good pin after ${reason}`)
  }
  assert.is(refusals, 3)
  child.signal('SIGTERM')
  assert.is(await child.exited, 0)
})

test('re-tagging the name changes nothing until sandbox pin and a reload', async () => {
  if (setupError) throw setupError
  execFileSync('docker', ['tag', env.imageId, RETAG])
  const dir = pinnedDir('')
  const out: string[] = []
  assert.is(await runCli(['node', 'wopr-p2p', 'sandbox', 'pin', '--image', RETAG, '--policy-dir', dir], (s) => out.push(s)), 0)
  assert.match(out.join(''), `(none) → ${env.imageId}`)

  const child = spawnRole(dir)
  await child.waitFor('listening')
  const docker = new Docker({ socketPath: child.socket, version: 'v1.41' })
  const policy = policyFor(env.imageId)
  assert.equal(await tryCreate(docker, policy, env.imageId), { status: 201 })

  // The name now points at another image: neither the new ID nor the name may run.
  execFileSync('docker', ['tag', other, RETAG])
  assert.equal(await tryCreate(docker, policy, other), { status: 403, reason: 'PROXY_IMAGE_NOT_PINNED' })
  assert.equal(await tryCreate(docker, policy, RETAG), { status: 403, reason: 'PROXY_IMAGE_NOT_PINNED' })
  assert.equal(await tryCreate(docker, policy, env.imageId), { status: 201 }, 'the pinned image still runs')
  const shown: string[] = []
  await runCli(['node', 'wopr-p2p', 'sandbox', 'show', '--json', '--image', RETAG, '--policy-dir', dir], (s) => shown.push(s))
  const status = JSON.parse(shown.join('')) as { pinned: string; imageId: string; current: boolean }
  assert.equal([status.pinned, status.imageId, status.current], [env.imageId, other, false])

  // The operator re-pins; the proxy applies it on reload (SIGHUP here; the file watch may get there first).
  out.length = 0
  assert.is(await runCli(['node', 'wopr-p2p', 'sandbox', 'pin', '--image', RETAG, '--policy-dir', dir], (s) => out.push(s)), 0)
  assert.match(out.join(''), `${env.imageId} → ${other}`)
  child.signal('SIGHUP')
  await child.waitFor('policy-applied', (l) => l.image === other)
  assert.equal(await tryCreate(docker, policy, other), { status: 201 })
  assert.equal(await tryCreate(docker, policy, env.imageId), { status: 403, reason: 'PROXY_IMAGE_NOT_PINNED' })

  child.signal('SIGTERM')
  assert.is(await child.exited, 0)
  assert.is((await child.waitFor('stopped')).removed, 3)
  assert.equal(readdirSync(dir), ['sandbox.yaml'])
})

test.run()
