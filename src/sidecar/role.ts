// `wopr-p2p sidecar` as a process (DESIGN.md "Processes"): the daemon plus what runs around it
// in production — the running policy (reloaded on SIGHUP and file change), the sandbox behind
// the narrowed proxy, the durable WOPR outbox, and the rotation schedule. Each part reports in
// `status`; none of them being reachable (no WOPR, no pin yet) stops the sidecar from starting.

import type { Logger } from '../log/logger.ts'
import { PolicyWatcher } from '../policy/watch.ts'
import type { Policy } from '../policy/schema.ts'
import { WoprP2PError } from '../reasons.ts'
import { RotationSchedule } from '../rotation/schedule.ts'
import { openStateDir } from '../store/secure-dir.ts'
import { parseWoprEndpoint, WoprClient } from '../wopr/client.ts'
import { Outbox } from '../wopr/outbox.ts'
import type { HandledMessage } from '../swarm/listener.ts'
import { readSeccompProfile } from '../sandbox/seccomp-file.ts'
import { SandboxSlot } from './sandbox-slot.ts'
import { startSidecar, type Sidecar } from './sidecar.ts'

export interface SidecarRoleOptions {
  dataDir: string
  name?: string
  policyDir: string
  dockerSocket: string
  seccompFile: string
  instance: string
  log: Logger
}

export interface SidecarRole {
  readonly sidecar: Sidecar
  stop(): Promise<void>
}

/** WOPR allows 60 requests a minute per token; burst and sustained rate together stay within the policy's share. */
export function paceOf(policy: Policy): { ratePerMinute: number; burst: number } {
  const perMinute = policy.wopr.requestsPerMinute
  const burst = Math.max(1, Math.floor(perMinute / 3))
  return { ratePerMinute: Math.max(1, perMinute - burst), burst }
}

function openOutbox(dataDir: string, policy: Policy): Outbox {
  const client = new WoprClient({
    endpoint: parseWoprEndpoint(policy.wopr.endpoint),
    tokenFile: policy.wopr.tokenFile,
    timeoutMs: policy.wopr.requestTimeoutSeconds * 1000,
  })
  return Outbox.open({ dataDir, client, maxEntries: policy.wopr.outboxMaxEntries, pace: paceOf(policy) })
}

export async function startSidecarRole(o: SidecarRoleOptions): Promise<SidecarRole> {
  const { log } = o
  // The outbox journal lives in the data dir, which a first start has not made yet. Both checks
  // come before the watcher, which nothing would close if they threw.
  openStateDir(o.dataDir)
  const seccompProfile = readSeccompProfile(o.seccompFile)
  const watcher = new PolicyWatcher({ dir: o.policyDir })
  const policy = watcher.current
  let sidecar: Sidecar | undefined
  // A queued job is run only if its peer may still use that session now: a revoke reaches it too.
  const stillAllowed = (a: HandledMessage) => sidecar?.mayStillUse(a) ?? false
  const sandbox = new SandboxSlot({ dockerSocket: o.dockerSocket, seccompProfile, instance: o.instance, log, stillAllowed })
  const outbox = openOutbox(o.dataDir, policy)
  const schedule = new RotationSchedule({
    rotation: policy.rotation,
    rotate: async (reason) => {
      if (!sidecar) throw new WoprP2PError('STATE', 'the sidecar is not running', 'wait for it to start')
      await sidecar.rotate(reason)
    },
    log,
  })
  try {
    await sandbox.apply(policy)
    sidecar = await startSidecar({
      dataDir: o.dataDir,
      policy,
      handler: sandbox,
      outbox,
      log,
      ...(o.name ? { name: o.name } : {}),
      reports: { sandbox: () => sandbox.status(), rotation: () => schedule.status() },
    })
    const running = sidecar
    schedule.start()
    outbox.start()
    const unsubscribe = watcher.subscribe((event) => {
      if (event.type === 'applied') {
        running.applyPolicy(event.policy)
        schedule.update(event.policy.rotation)
        void sandbox.apply(event.policy)
      } else if (event.type === 'rejected') {
        log.warn({ trigger: event.trigger, reason: event.problems[0]?.reason, problems: event.problems.length }, 'policy-reload-rejected')
      }
    })
    return {
      sidecar: running,
      async stop() {
        unsubscribe()
        watcher.close()
        await schedule.stop()
        await running.close()
        await sandbox.close()
        await outbox.close()
      },
    }
  } catch (err) {
    watcher.close()
    await schedule.stop()
    await sidecar?.close()
    await sandbox.close()
    await outbox.close()
    throw err
  }
}
