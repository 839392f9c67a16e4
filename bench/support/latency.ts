// Latency samples as the swarm bench reports them.

export interface Percentiles {
  p50: number
  p99: number
  n: number
}

/** Nearest-rank percentiles of `samples` (milliseconds). */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
  return { p50: rank(0.5), p99: rank(0.99), n: sorted.length }
}

export function ms(v: number): string {
  return `${v.toFixed(3)} ms`
}
