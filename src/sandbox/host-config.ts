// The hardened create body for one sandbox container (DESIGN.md "The sandbox";
// DOCKER-HAZARDS.md "Endpoints that escalate after a safe create"). Pure: built
// from the same SandboxPolicy the docker proxy checks creates against, at its limits.

import type { SandboxPolicy } from '../docker-proxy/create-policy.ts'

/** The image's runtime user (sandbox-image/Dockerfile), numeric so no /etc/passwd can map it to root. */
export const SANDBOX_USER = '65534:65534'

export type SandboxHostConfig = {
  NetworkMode: 'none'
  ReadonlyRootfs: true
  CapDrop: ['ALL']
  SecurityOpt: [string, string]
  PidsLimit: number
  Memory: number
  MemorySwap: number
  NanoCpus: number
  Tmpfs: { '/tmp': string }
}

export type SandboxCreateBody = {
  Image: string
  User: string
  Labels: Record<string, string>
  AttachStdin: true
  AttachStdout: true
  AttachStderr: true
  OpenStdin: true
  StdinOnce: true
  Tty: false
  HostConfig: SandboxHostConfig
}

export function buildHostConfig(policy: SandboxPolicy): SandboxHostConfig {
  return {
    NetworkMode: 'none',
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    // The profile travels inline so the proxy can compare it byte for byte (DOCKER-HAZARDS.md "Seccomp for a Node runner").
    SecurityOpt: ['no-new-privileges', `seccomp=${policy.seccompProfile}`],
    PidsLimit: policy.maxPids,
    Memory: policy.maxMemory,
    // Equal to Memory: no swap, so a memory hog is OOM-killed instead of thrashing the host.
    MemorySwap: policy.maxMemory,
    NanoCpus: policy.maxNanoCpus,
    // /tmp is the only writable place: bounded, and nothing written there can be executed or be setuid.
    Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${policy.maxTmpfsBytes}` },
  }
}

/**
 * The whole create body. The image's entrypoint is the runner; stdin stays open
 * for the RPC and closes when the one attach ends (StdinOnce); no TTY, so stdout
 * and stderr stay apart in the attach stream. `labels` are extra, under the policy label's key.
 */
export function buildCreateBody(policy: SandboxPolicy, labels: Record<string, string> = {}): SandboxCreateBody {
  for (const key of Object.keys(labels)) {
    if (!key.startsWith(`${policy.label.key}.`)) throw new RangeError(`label ${key} must live under ${policy.label.key}.`)
  }
  return {
    Image: policy.imageId,
    User: SANDBOX_USER,
    Labels: { ...labels, [policy.label.key]: policy.label.value },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    HostConfig: buildHostConfig(policy),
  }
}
