// The production roles started in this process for the engine tier (src/sidecar/role.ts,
// src/docker-proxy/role.ts): each from a policy directory of small YAML files, the proxy
// pinned to the sandbox image, both reading the production seccomp profile and sharing one
// instance name. Each sidecar has its own data dir and its own WOPR socket and token file;
// the WOPR double at that socket may be started later (WOPR absent at first).

import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { buildProgram } from '../../src/cli/program.ts'
import { startDockerProxyRole, type DockerProxyRole } from '../../src/docker-proxy/role.ts'
import { createLogger, silentLogger, type Logger } from '../../src/log/logger.ts'
import type { Operations } from '../../src/sidecar/operations.ts'
import { startSidecarRole, type SidecarRole } from '../../src/sidecar/role.ts'
import { WoprDouble } from '../doubles/wopr-double.ts'
import { ENGINE_SOCKET } from './sandbox-engine.ts'
import type { TestNet } from './swarm-net.ts'
import { freshPath } from './temp-dirs.ts'
import { woprDir } from './wopr-fixtures.ts'

/** The profile production ships: proxy and sidecar must hold byte-identical text. */
export const PRODUCTION_SECCOMP = new URL('../../policies/seccomp.json', import.meta.url).pathname

/** ROLE_TEST_LOG=1 shows every role's log lines on stderr. */
function logFor(role: string): Logger {
  return process.env.ROLE_TEST_LOG ? createLogger({ role }) : silentLogger()
}

/** One `<section>.yaml` per top-level key, as an operator would lay them out. */
export function writePolicyDir(sections: Record<string, unknown>): string {
  const dir = freshPath('policies')
  mkdirSync(dir, { mode: 0o700 })
  for (const [section, values] of Object.entries(sections)) writeFileSync(join(dir, `${section}.yaml`), stringify({ [section]: values }))
  return dir
}

export async function startPinnedProxy(imageId: string, instance: string): Promise<{ role: DockerProxyRole; socketPath: string }> {
  const dir = freshPath('proxy-run')
  mkdirSync(dir, { mode: 0o700 })
  const socketPath = join(dir, 'docker.sock')
  const role = await startDockerProxyRole({
    listenPath: socketPath,
    enginePath: ENGINE_SOCKET,
    policyDir: writePolicyDir({ sandbox: { image: imageId } }),
    seccompFile: PRODUCTION_SECCOMP,
    instance,
    audit: () => undefined,
    log: logFor('docker-proxy'),
  })
  return { role, socketPath }
}

export interface RoleRigOptions {
  name: string
  net: TestNet
  proxy: { socketPath: string; instance: string }
  /** The policy's sections besides swarm and wopr, which the rig fills in. */
  policy: Record<string, unknown>
  /** false: nothing listens at the WOPR socket until startWopr(). */
  wopr: boolean
}

export class RoleRig {
  /** Null while WOPR is absent. */
  double: WoprDouble | null = null
  private stopped = false

  private constructor(
    readonly name: string,
    readonly role: SidecarRole,
    private readonly dirs: { data: string; policy: string },
    private readonly woprAt: { socketPath: string; tokenFile: string },
  ) {}

  static async start(o: RoleRigOptions): Promise<RoleRig> {
    const wopr = woprDir()
    // WOPR's token file exists before WOPR answers (a mounted secret); the double reads it when it starts.
    writeFileSync(wopr.tokenFile, randomBytes(32).toString('hex'), { mode: 0o600 })
    const policyDir = writePolicyDir({
      ...o.policy,
      swarm: { bootstrap: (o.net.config.bootstrap ?? []).map((b) => `${b.host}:${b.port}`), host: '127.0.0.1', firewalled: false },
      wopr: { endpoint: wopr.socketPath, tokenFile: wopr.tokenFile },
    })
    const dataDir = freshPath(o.name)
    const role = await startSidecarRole({
      dataDir,
      name: o.name,
      policyDir,
      dockerSocket: o.proxy.socketPath,
      seccompFile: PRODUCTION_SECCOMP,
      instance: o.proxy.instance,
      log: logFor(`sidecar-${o.name}`),
    })
    const rig = new RoleRig(o.name, role, { data: dataDir, policy: policyDir }, wopr)
    try {
      if (o.wopr) await rig.startWopr()
    } catch (err) {
      await role.stop()
      throw err
    }
    return rig
  }

  get ops(): Operations {
    return this.role.sidecar.ops
  }

  get signPub(): string {
    return this.role.sidecar.identity.signPub
  }

  /** An operator's edit of one policy file; the running role picks it up by watching the directory. */
  editPolicy(section: string, values: unknown): void {
    writeFileSync(join(this.dirs.policy, `${section}.yaml`), stringify({ [section]: values }))
  }

  /** A CLI verb with --json against this role's control socket, parsed in this process. */
  async cliJson<T>(...args: string[]): Promise<T> {
    let out = ''
    await buildProgram((s) => (out += s)).parseAsync(['node', 'wopr-p2p', '--data-dir', this.dirs.data, ...args, '--json'])
    return JSON.parse(out) as T
  }

  /** WOPR appears at the socket the policy names. */
  async startWopr(): Promise<WoprDouble> {
    this.double = await WoprDouble.start({ listen: { socketPath: this.woprAt.socketPath }, tokenFile: this.woprAt.tokenFile })
    return this.double
  }

  /** Idempotent: the last test stops the roles, `after` stops whatever is left. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.role.stop()
    await this.double?.stop()
  }
}

/** Friendship through the three lines; returns the session `b` files `a` under (what `a` sends on). */
export function befriend(a: RoleRig, b: RoleRig): string {
  const { line: request } = a.ops.friendRequest(b.name)
  const accepted = b.ops.friendAccept(request)
  a.ops.friendComplete(accepted.line)
  return accepted.session
}
