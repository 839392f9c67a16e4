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

/**
 * Attach options for dockerode that the proxy accepts: exactly the allowed query
 * (`_query`) and no body (`_body: {}`; by default dockerode sends its options as a
 * JSON body). `stdin: false` makes dockerode end the request (an empty chunked
 * body) so the headers leave at all; the socket it returns is still writable, and
 * the query attaches the container's stdin.
 */
export const ATTACH_OPTIONS = {
  hijack: true,
  stdin: false,
  _query: { stream: true, stdin: true, stdout: true, stderr: true },
  _body: {},
} as unknown as Docker.ContainerAttachOptions

/** Remove every container carrying our label (teardown and start-up reaper). */
export async function removeLabelled(engine: Docker): Promise<number> {
  const leftovers = await engine.listContainers({ all: true, filters: { label: [TEST_LABEL.key] } })
  await Promise.all(leftovers.map((c) => engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined)))
  return leftovers.length
}
