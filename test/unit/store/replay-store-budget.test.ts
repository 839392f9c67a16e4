// The replay store's budgets, measured in a child with --expose-gc: 100,000 tracked nonces
// across peers in ≤ 32 MB of heap, and check() cheap enough for the admission gate.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { ensureSecureDir } from '../../../src/store/secure-dir.ts'
import { freshPath } from '../../support/temp-dirs.ts'

test('100,000 nonces fit in 32 MB of heap; a fresh check costs microseconds', () => {
  const dir = freshPath()
  ensureSecureDir(dir)
  const script = new URL('../../support/replay-measure.ts', import.meta.url).pathname
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, dir], { encoding: 'utf8' })
  assert.is(run.status, 0, run.stderr)
  const m = JSON.parse(run.stdout)
  console.log(`  replay store: ${m.count} nonces = ${(m.heapBytes / 2 ** 20).toFixed(1)} MiB heap, reopen ${m.reopenMs.toFixed(0)} ms; check fresh mean ${m.freshMeanUs.toFixed(2)} µs (p50 ${m.freshP50Us.toFixed(2)}, p99 ${m.freshP99Us.toFixed(2)}, max ${(m.freshMaxUs / 1000).toFixed(1)} ms), replay mean ${m.replayMeanUs.toFixed(2)} µs`)
  assert.ok(m.heapBytes <= 32 * 2 ** 20, `heap ${m.heapBytes} bytes`)
  // Loose: a guard against an accidental O(n) path, not a benchmark (2-core CI machines).
  assert.ok(m.freshMeanUs < 50, `fresh check mean ${m.freshMeanUs} µs`)
})

test.run()
