// The engine tier's setup (ENVIRONMENT.md "A real Docker engine"): reach the real
// engine or fail loudly, run a proxy in-process on a temporary socket, and take a
// snapshot of everything a refused request could have created or changed.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import type { AuditEntry } from '../../src/docker-proxy/audit.ts'
import type { SandboxPolicy } from '../../src/docker-proxy/create-policy.ts'
import { startDockerProxy, type DockerProxy, type DockerProxyOptions } from '../../src/docker-proxy/server.ts'
import { ENGINE_SOCKET, TEST_IMAGE, removeLabelled, testPolicy } from './engine-fixtures.ts'

export type EngineEnv = { engine: Docker; imageId: string; policy: SandboxPolicy }

/** Throws (never skips) when there is no engine: the engine tier must fail on a machine without one. */
export async function connectEngine(): Promise<EngineEnv> {
  const engine = new Docker({ socketPath: ENGINE_SOCKET })
  try {
    await engine.ping()
  } catch (e) {
    throw new Error(`no Docker engine at ${ENGINE_SOCKET} (${(e as Error).message}); run scripts/provision-docker.sh as root`)
  }
  const image = await engine
    .getImage(TEST_IMAGE)
    .inspect()
    .catch(() => {
      throw new Error(`test image ${TEST_IMAGE} is missing; run scripts/provision-docker.sh as root`)
    })
  await removeLabelled(engine)
  return { engine, imageId: image.Id, policy: testPolicy(image.Id) }
}

export type TestProxy = { proxy: DockerProxy; socketPath: string; audit: AuditEntry[]; docker: Docker; close(): Promise<void> }

export async function startTestProxy(options: Partial<DockerProxyOptions> & { policy: SandboxPolicy }): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'wopr-proxy-'))
  const socketPath = join(dir, 'docker.sock')
  const audit: AuditEntry[] = []
  const proxy = await startDockerProxy({ listenPath: socketPath, enginePath: ENGINE_SOCKET, audit: (e) => audit.push(e), ...options })
  const docker = new Docker({ socketPath, version: 'v1.41' })
  return {
    proxy,
    socketPath,
    audit,
    docker,
    async close() {
      await proxy.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Containers (with what a refused request could change in them), images and tags, volumes, networks. */
export async function snapshotEngine(engine: Docker): Promise<string> {
  const containers = await engine.listContainers({ all: true })
  const inspected = await Promise.all(
    containers.map(async (c) => {
      const i = await engine.getContainer(c.Id).inspect()
      return { Id: i.Id, Name: i.Name, State: i.State, Config: i.Config, HostConfig: i.HostConfig, Mounts: i.Mounts, Networks: Object.keys(i.NetworkSettings.Networks ?? {}) }
    }),
  )
  const images = (await engine.listImages()).map((i) => ({ Id: i.Id, RepoTags: i.RepoTags }))
  const volumes = ((await engine.listVolumes()).Volumes ?? []).map((v) => v.Name)
  const networks = (await engine.listNetworks()).map((n) => n.Id)
  const byId = (a: { Id: string }, b: { Id: string }) => a.Id.localeCompare(b.Id)
  return JSON.stringify({ containers: inspected.sort(byId), images: images.sort(byId), volumes: volumes.sort(), networks: networks.sort() })
}
