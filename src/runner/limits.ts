// The runner's own ceilings and the per-job limits the sidecar may send
// (DESIGN.md "The sandbox": wall-clock timeout, output cap). A job can only
// lower a ceiling: the runner never trusts a limit it did not bound itself.

export type Limits = {
  /** Model calls in one agent turn. */
  maxSteps: number
  /** Wall-clock limit of one shell tool call. */
  shellTimeoutMs: number
  /** stdout + stderr bytes one shell tool call may produce before it is killed. */
  shellOutputBytes: number
  /** UTF-8 bytes of the normalised text the runner returns. */
  maxTextBytes: number
}

type Bound = { min: number; max: number }

/** Inclusive ranges a job's limits must fall in; out of range is a malformed job, not clamped. */
export const LIMIT_BOUNDS: Readonly<Record<keyof Limits, Bound>> = {
  maxSteps: { min: 1, max: 32 },
  shellTimeoutMs: { min: 100, max: 60_000 },
  shellOutputBytes: { min: 1, max: 64 * 1024 },
  // The admission payload cap (ADMIT_PAYLOAD_TOO_LARGE): nothing longer can come in.
  maxTextBytes: { min: 1, max: 1024 * 1024 },
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxSteps: 8,
  shellTimeoutMs: 10_000,
  shellOutputBytes: 16 * 1024,
  maxTextBytes: LIMIT_BOUNDS.maxTextBytes.max,
}

export function isLimitValue(name: keyof Limits, value: unknown): value is number {
  const { min, max } = LIMIT_BOUNDS[name]
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
}
