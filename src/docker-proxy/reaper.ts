// The start-up (and shutdown) reaper (DESIGN.md "The sandbox": nothing survives
// from one message to the next): a proxy or sidecar that crashed leaves sandboxes
// behind; every container carrying this instance's label is killed and removed
// before the proxy listens, so none outlives the run that made it.

import type { EngineAdmin } from './engine-admin.ts'

/** Removes every container labelled `key=value`; returns how many there were. */
export async function reapSandboxes(engine: EngineAdmin, label: { key: string; value: string }): Promise<number> {
  const ids = await engine.labelledContainers(label)
  await Promise.all(ids.map((id) => engine.removeContainer(id)))
  return ids.length
}
