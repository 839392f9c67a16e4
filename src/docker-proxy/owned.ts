// The containers this proxy created: only these may be started, attached, waited,
// killed, inspected or removed (DESIGN.md "The narrowed Docker proxy"). Full IDs
// only, since the engine also resolves names and unique prefixes. Bounded, so a
// compromised sidecar cannot fill the host with 512 MiB sandboxes.

import { accept, refuse, type Verdict } from '../reasons.ts'

export const DEFAULT_MAX_CONTAINERS = 32

export class OwnedContainers {
  private readonly ids = new Set<string>()
  private pending = 0

  constructor(readonly max: number = DEFAULT_MAX_CONTAINERS) {}

  has(id: string): boolean {
    return this.ids.has(id)
  }

  get size(): number {
    return this.ids.size
  }

  /** Hold a slot for a create in flight; call the returned function with the new ID (engine 201) or null. */
  reserve(): Verdict<(id: string | null) => void> {
    if (this.ids.size + this.pending >= this.max) return refuse('PROXY_CONTAINER_LIMIT', `${this.max} containers`)
    this.pending++
    let settled = false
    return accept((id) => {
      if (settled) return
      settled = true
      this.pending--
      if (id !== null) this.ids.add(id)
    })
  }

  /** The engine removed it, or no longer knows it. */
  forget(id: string): void {
    this.ids.delete(id)
  }
}
