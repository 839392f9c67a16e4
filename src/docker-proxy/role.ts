// The `wopr-p2p docker-proxy` process role (DESIGN.md "Processes", "The narrowed
// Docker proxy"): load the policy, check that a pinned image exists (with nothing pinned yet
// it serves but refuses every create), reap this instance's leftover sandboxes, then serve;
// re-read the pin and limits on reload (a bad reload keeps the last good policy); on stop,
// remove what it started.

import { chmodSync, chownSync, existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../log/logger.ts'
import { PolicyWatcher, type ReloadTrigger, type SignalSource } from '../policy/watch.ts'
import type { Policy } from '../policy/schema.ts'
import { formatProblem } from '../policy/validate.ts'
import { readSeccompProfile } from '../sandbox/seccomp-file.ts'
import { WoprP2PError } from '../reasons.ts'
import type { AuditSink } from './audit.ts'
import type { SandboxPolicy } from './create-policy.ts'
import { EngineAdmin } from './engine-admin.ts'
import { reapSandboxes } from './reaper.ts'
import { sandboxPolicyFrom } from './sandbox-policy.ts'
import { startDockerProxy, type DockerProxy } from './server.ts'

export type DockerProxyRoleOptions = {
  listenPath: string
  enginePath: string
  policyDir: string
  seccompFile: string
  /** The sandbox label's value: which containers are this proxy's to reap (sandbox-policy.ts). */
  instance: string
  /**
   * Unset: the socket is 0600, for a sidecar running as the proxy's own uid. A numeric
   * gid: the socket is 0660 and owned by that group, for a sidecar under another uid
   * that is a member of it (compose). Never world-accessible.
   */
  socketGroup?: number
  audit: AuditSink
  log: Logger
}

export type DockerProxyRole = {
  readonly proxy: DockerProxy
  /** The policy as the proxy enforces it right now. */
  readonly policy: Readonly<SandboxPolicy>
  /** Re-read the policy directory (SIGHUP); resolves once the result is enforced or refused. */
  reload(): Promise<void>
  /** Stop accepting, close every connection, kill and remove this instance's sandboxes. */
  stop(): Promise<void>
}

/** The CLI routes SIGHUP to reload(), which also retries a pin the watcher already saw but we refused. */
const NO_SIGNALS: SignalSource = { on: () => undefined, off: () => undefined }

export async function startDockerProxyRole(opts: DockerProxyRoleOptions): Promise<DockerProxyRole> {
  const { log } = opts
  const engine = new EngineAdmin(opts.enginePath)
  const seccomp = readSeccompProfile(opts.seccompFile)
  const watcher = new PolicyWatcher({ dir: opts.policyDir, signals: NO_SIGNALS })
  let proxy: DockerProxy | undefined
  try {
    const first = sandboxPolicyFrom(watcher.current.sandbox, seccomp, opts.instance)
    // First run: nothing pinned yet. Listen anyway, so the stack comes up and `status` can say
    // why peers are refused; every create is refused until a pin arrives (reload or restart).
    if (first.imageId === '') log.warn({ reason: 'PIN_NONE', hint: PIN_HINT }, 'no-sandbox-pinned')
    else await checkPinned(engine, first.imageId, opts.policyDir)
    const reaped = await reapSandboxes(engine, first.label)
    log.info({ count: reaped, instance: opts.instance }, 'reaped')

    // The server reads its policy object on every request; reloads replace its fields in one synchronous step.
    const live: SandboxPolicy = { ...first }
    // Reloads are applied one after another, in the order they were asked for.
    let applying = Promise.resolve()
    const offer = (policy: Policy, trigger: ReloadTrigger): Promise<void> => (applying = applying.then(() => apply(policy, trigger)))
    async function apply(policy: Policy, trigger: ReloadTrigger): Promise<void> {
      const next = sandboxPolicyFrom(policy.sandbox, seccomp, opts.instance)
      if (JSON.stringify(next) === JSON.stringify(live)) return
      try {
        await checkPinned(engine, next.imageId, opts.policyDir)
      } catch (err) {
        const e = err as WoprP2PError
        log.warn({ trigger, reason: e.code, detail: e.message, kept: live.imageId }, 'policy-reload-refused')
        return
      }
      Object.assign(live, next)
      log.info({ trigger, image: live.imageId, pids: live.maxPids, memory: live.maxMemory, nanoCpus: live.maxNanoCpus }, 'policy-applied')
    }

    const unsubscribe = watcher.subscribe((event) => {
      if (event.type === 'applied') void offer(event.policy, event.trigger)
      else if (event.type === 'rejected') log.warn({ trigger: event.trigger, reason: event.problems[0]?.reason, problems: event.problems.map(formatProblem), kept: live.imageId }, 'policy-reload-refused')
      else log.warn({ reason: event.reason }, 'policy-watch-stopped')
    })

    ensureSocketDir(opts.listenPath, opts.socketGroup)
    proxy = await startDockerProxy({ listenPath: opts.listenPath, enginePath: opts.enginePath, policy: live, socketMode: 0o600, audit: opts.audit })
    if (opts.socketGroup !== undefined) shareWithGroup(opts.listenPath, opts.socketGroup, 0o660)
    log.info({ socket: opts.listenPath, mode: opts.socketGroup === undefined ? '0600' : '0660', image: live.imageId, instance: opts.instance }, 'listening')
    const running = proxy
    return {
      proxy: running,
      policy: live,
      reload() {
        watcher.reload('SIGHUP')
        return offer(watcher.current, 'SIGHUP')
      },
      async stop() {
        unsubscribe()
        watcher.close()
        await applying
        await running.close()
        const removed = await reapSandboxes(engine, live.label)
        log.info({ removed }, 'stopped')
      },
    }
  } catch (err) {
    watcher.close()
    await proxy?.close()
    throw err
  }
}

const PIN_HINT = 'build the sandbox image, then: wopr-p2p sandbox pin --policy-dir <the policy dir the proxy reads>; the proxy picks the pin up on SIGHUP or file change'

/** The pinned ID must be set and name an image the engine has: a tag is never good enough. */
async function checkPinned(engine: EngineAdmin, imageId: string, policyDir: string): Promise<void> {
  if (imageId === '') {
    throw new WoprP2PError('PIN_NONE', `no sandbox image is pinned in ${policyDir} (sandbox.image is empty)`, PIN_HINT)
  }
  if ((await engine.imageId(imageId)) !== imageId) {
    throw new WoprP2PError('PIN_IMAGE_MISSING', `the pinned sandbox image ${imageId} does not exist on the engine`, `rebuild it (scripts/build-sandbox-image.sh), then: wopr-p2p sandbox pin --policy-dir ${policyDir}`)
  }
}

/** A missing socket directory is made owner-only, or group-traversable when the socket is shared. */
function ensureSocketDir(listenPath: string, group: number | undefined): void {
  const dir = dirname(listenPath)
  if (existsSync(dir)) return
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (group !== undefined) shareWithGroup(dir, group, 0o710)
}

/** Group first, then mode: at no instant is the path open to a group it was not meant for. */
function shareWithGroup(path: string, gid: number, mode: number): void {
  try {
    chownSync(path, -1, gid)
  } catch (err) {
    throw new WoprP2PError('IO', `cannot give ${path} to group ${gid}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'run the proxy as root or as a member of that group')
  }
  chmodSync(path, mode)
}
