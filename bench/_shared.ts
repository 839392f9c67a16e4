// Shared bench plumbing: machine header, a timed loop, and the verdict line.
// Benchmarks compare against a baseline measured in the same run, never
// against fixed wall-clock numbers, so a slower machine does not fail them.

import { cpus } from 'node:os'

export function header(title: string): void {
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  console.log(`\n## ${title}\nnode ${process.version} · ${cpu} · ${cpus().length} cores (bench runs on one)`)
}

/** Operations per second of `op` over at least `minMs` (after a short warm-up). */
export function opsPerSecond(op: (i: number) => void, minMs = 1500): number {
  for (let i = 0; i < 200; i++) op(i)
  let n = 0
  const start = process.hrtime.bigint()
  let elapsed = 0
  while (elapsed < minMs) {
    for (let k = 0; k < 100; k++) op(n++)
    elapsed = Number(process.hrtime.bigint() - start) / 1e6
  }
  return (n / elapsed) * 1000
}

export function fmt(ops: number): string {
  return `${Math.round(ops).toLocaleString('en-US')} ops/s`
}

const misses: string[] = []

/** Print a ratio against its target and remember a miss for the exit code. */
export function verdict(label: string, ratio: number, target: number, atLeast = true): void {
  const met = atLeast ? ratio >= target : ratio <= target
  console.log(`${label}: ${ratio.toFixed(2)}× (target ${atLeast ? '≥' : '≤'} ${target}×) ${met ? 'met' : 'MISSED'}`)
  if (!met) misses.push(label)
}

export function absolute(label: string, value: number, limit: number, unit: string): void {
  const met = value <= limit
  console.log(`${label}: ${value.toFixed(1)} ${unit} (limit ${limit} ${unit}) ${met ? 'met' : 'MISSED'}`)
  if (!met) misses.push(label)
}

export function missed(): string[] {
  return misses
}
