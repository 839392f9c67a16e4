// Trust levels and their rate limits (SECURITY.md "Trust Model", "Rate Limiting").
// Every P2P source is `untrusted`; `trusted` and `owner` exist only for local
// callers. Nothing — no capability, no policy value — lifts a peer above it.

export type TrustLevel = 'untrusted' | 'trusted' | 'owner'

export interface WindowLimit {
  perMinute: number
  perHour: number
}

export const TRUST_LIMITS: Readonly<Record<TrustLevel, WindowLimit>> = Object.freeze({
  untrusted: Object.freeze({ perMinute: 30, perHour: 300 }),
  trusted: Object.freeze({ perMinute: 100, perHour: 1000 }),
  owner: Object.freeze({ perMinute: 1000, perHour: 10000 }),
})

/** The contract's capability → trust mapping: both capabilities are untrusted. */
export const FRIEND_CAP_TO_TRUST_LEVEL = Object.freeze({ message: 'untrusted', inject: 'untrusted' } as const)

export type PeerAction = 'message' | 'inject' | 'claim' | 'rotation'

/** Default limits per action for a P2P peer: the untrusted row, claims 5/min (invite brute force). */
export const P2P_ACTION_LIMITS: Readonly<Record<PeerAction, WindowLimit>> = Object.freeze({
  message: TRUST_LIMITS.untrusted,
  inject: TRUST_LIMITS.untrusted,
  claim: Object.freeze({ perMinute: 5, perHour: 60 }),
  rotation: Object.freeze({ perMinute: 5, perHour: 60 }),
})

/**
 * Policy may tighten a P2P limit, never loosen it: each value is clamped to
 * the contract default, so a policy saying `owner`-sized numbers still yields
 * untrusted limits.
 */
export function clampP2PLimits(requested: Partial<Record<PeerAction, Partial<WindowLimit>>> = {}): Record<PeerAction, WindowLimit> {
  const out = {} as Record<PeerAction, WindowLimit>
  for (const action of Object.keys(P2P_ACTION_LIMITS) as PeerAction[]) {
    const ceiling = P2P_ACTION_LIMITS[action]
    const want = requested[action] ?? {}
    out[action] = {
      perMinute: Math.min(ceiling.perMinute, Math.max(0, Math.floor(want.perMinute ?? ceiling.perMinute))),
      perHour: Math.min(ceiling.perHour, Math.max(0, Math.floor(want.perHour ?? ceiling.perHour))),
    }
  }
  return out
}
