// Shared fixtures for the proxy tests (DESIGN.md "The sandbox"): the test sandbox
// policy, the one hardened create body every test starts from, the placeholder
// seccomp profile, and the label that lets teardown find every container we made.

import { buildCreateBody as buildSandboxCreateBody } from '../../src/sandbox/host-config.ts'
import { readFileSync } from 'node:fs'
import type Docker from 'dockerode'
import { DEFAULT_LIMITS, type SandboxPolicy } from '../../src/docker-proxy/create-policy.ts'

/** Made by scripts/provision-docker.sh from a static busybox (no registry here). */
export const TEST_IMAGE = 'wopr-p2p-test-base:latest'
export const TEST_LABEL = { key: 'wopr-p2p.sandbox', value: 'test' } as const
export const ENGINE_SOCKET = '/var/run/docker.sock'

/**
 * A placeholder allowlist that runs busybox (the real policies/seccomp.json comes
 * later). clone3 answers ENOSYS, not EPERM (DOCKER-HAZARDS.md "Seccomp for a Node runner").
 */
export const SECCOMP_TEXT = readFileSync(new URL('./engine-seccomp.json', import.meta.url), 'utf8')

export function testPolicy(imageId: string): SandboxPolicy {
  return { imageId, seccompProfile: SECCOMP_TEXT, ...DEFAULT_LIMITS, label: { ...TEST_LABEL } }
}

/** The body the sidecar sends (src/sandbox/host-config.ts), with a command and environment for busybox. */
export function buildCreateBody(policy: SandboxPolicy, cmd: string[] = ['sh', '-c', 'cat']): Record<string, unknown> {
  return { ...buildSandboxCreateBody(policy), Cmd: cmd, Env: ['LANG=C.UTF-8'], WorkingDir: '/tmp' }
}

/**
 * dockerode copies create options into the query string unless `_query` is given,
 * and the proxy refuses any create query; `_body` is what it sends.
 */
export async function createThroughProxy(docker: Docker, body: Record<string, unknown>): Promise<Docker.Container> {
  return docker.createContainer({ _query: {}, _body: body } as unknown as Docker.ContainerCreateOptions)
}

/** The sidecar's own attach options: exactly what the proxy accepts. */
export { ATTACH_OPTIONS } from '../../src/sandbox/container.ts'

/** Remove every container carrying our test label's key AND value: other suites' sandboxes are left alone. */
export async function removeLabelled(engine: Docker): Promise<number> {
  const leftovers = await engine.listContainers({ all: true, filters: { label: [`${TEST_LABEL.key}=${TEST_LABEL.value}`] } })
  await Promise.all(leftovers.map((c) => engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined)))
  return leftovers.length
}
