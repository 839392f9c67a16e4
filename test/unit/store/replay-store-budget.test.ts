// The replay store's memory budget, measured in a child with --expose-gc: 100,000 tracked
// nonces across peers in ≤ 32 MB of heap. (Its speed is reported by `npm run bench`.)

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { ensureSecureDir } from '../../../src/store/secure-dir.ts'
import { freshPath } from '../../support/temp-dirs.ts'

test('100,000 nonces fit in 32 MB of heap', () => {
  const dir = freshPath()
  ensureSecureDir(dir)
  const script = new URL('../../../bench/replay-store.ts', import.meta.url).pathname
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, dir], { encoding: 'utf8' })
  assert.is(run.status, 0, run.stderr)
  const m = JSON.parse(run.stdout)
  assert.ok(m.heapBytes <= 32 * 2 ** 20, `heap ${m.heapBytes} bytes`)
})

test.run()
