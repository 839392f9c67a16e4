// The policy file's `sandbox` section as the proxy checks creates against it
// (DESIGN.md "The sandbox", "Configuration"): units converted, the seccomp text
// and the label of this proxy instance added. Pure.

import type { Policy } from '../policy/schema.ts'
import type { SandboxPolicy } from './create-policy.ts'

/** Every sandbox carries this label key; its value names the proxy instance that owns it. */
export const SANDBOX_LABEL_KEY = 'wopr-p2p.sandbox'

/**
 * An instance name is a label value and appears in logs: short and plain. Two
 * proxies on one engine (the demo's two sidecars) need different names, or each
 * one's start-up reaper would remove the other's live sandboxes.
 */
export const INSTANCE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/

const MIB = 1024 * 1024

export function sandboxPolicyFrom(sandbox: Policy['sandbox'], seccompProfile: string, instance: string): SandboxPolicy {
  if (!INSTANCE_NAME.test(instance)) throw new RangeError(`instance name ${JSON.stringify(instance.slice(0, 80))} does not match ${INSTANCE_NAME}`)
  return {
    imageId: sandbox.image,
    seccompProfile,
    maxPids: sandbox.pidsLimit,
    maxMemory: sandbox.memoryMiB * MIB,
    maxNanoCpus: Math.round(sandbox.cpus * 1e9),
    maxTmpfsBytes: sandbox.tmpfsMiB * MIB,
    label: { key: SANDBOX_LABEL_KEY, value: instance },
  }
}
