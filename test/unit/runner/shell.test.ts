// The shell executor (src/runner/shell.ts) with the host's /bin/sh: exit status,
// merged output, cwd, the wall-clock kill and the output cap, both reaching the
// command's background children. sweepAll stays off: on a host kill(-1) is everyone.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runShell, type ShellOptions } from '../../../src/runner/shell.ts'

const dir = mkdtempSync(join(tmpdir(), 'wopr-shell-'))
const OPTS: ShellOptions = { timeoutMs: 5000, maxOutputBytes: 4096, sweepAll: false, cwd: dir }

test('exit status and merged stdout/stderr', async () => {
  const r = await runShell('echo out; echo err >&2; exit 3', OPTS)
  assert.is(r.exitCode, 3)
  assert.is(r.signal, null)
  assert.is(r.output.split('\n').sort().join(','), ',err,out')
  assert.is(r.timedOut, false)
  assert.is(r.truncated, false)
})

test('runs in its working directory with a clean environment', async () => {
  process.env.WOPR_SECRET_FOR_TEST = 'leak'
  const r = await runShell('pwd; echo "[$WOPR_SECRET_FOR_TEST]"; echo "$HOME"', OPTS)
  delete process.env.WOPR_SECRET_FOR_TEST
  assert.is(r.output, `${dir}\n[]\n/tmp\n`)
})

test('stdin is empty, not the runner\'s RPC stream', async () => {
  const r = await runShell('cat; echo done', OPTS)
  assert.is(r.output, 'done\n')
})

test('the wall-clock limit kills the command and its background children', async () => {
  const marker = join(dir, 'survivor')
  const started = Date.now()
  const r = await runShell(`(sleep 0.4; touch ${marker}) & sleep 30`, { ...OPTS, timeoutMs: 300 })
  assert.ok(Date.now() - started < 2000, 'took too long')
  assert.is(r.timedOut, true)
  assert.is(r.signal, 'SIGKILL')
  await new Promise((resolve) => setTimeout(resolve, 700))
  assert.not.ok(existsSync(marker), 'a background child survived the kill')
})

test('background children do not outlive a command that exits', async () => {
  const marker = join(dir, 'late')
  const r = await runShell(`(sleep 0.4; touch ${marker}) & echo started`, OPTS)
  assert.is(r.exitCode, 0)
  assert.is(r.output, 'started\n')
  await new Promise((resolve) => setTimeout(resolve, 700))
  assert.not.ok(existsSync(marker))
})

test('the output cap cuts the output and kills the command', async () => {
  const started = Date.now()
  const r = await runShell('yes wopr', { ...OPTS, maxOutputBytes: 1000 })
  assert.ok(Date.now() - started < 2000)
  assert.is(r.truncated, true)
  assert.is(Buffer.byteLength(r.output), 1000)
  assert.ok(r.output.startsWith('wopr\nwopr\n'))
})

test('invalid UTF-8 output arrives as U+FFFD', async () => {
  const r = await runShell("printf 'a\\377b'", OPTS)
  assert.is(r.output, 'a\ufffdb')
})

test('files written by one call are there for the next', async () => {
  await runShell('echo kept > note.txt', OPTS)
  assert.is(readFileSync(join(dir, 'note.txt'), 'utf8'), 'kept\n')
  const r = await runShell('cat note.txt', OPTS)
  assert.is(r.output, 'kept\n')
})

test('a missing working directory is reported as a spawn error, not a throw', async () => {
  const r = await runShell('true', { ...OPTS, cwd: join(dir, 'missing') })
  assert.is(r.exitCode, null)
  assert.is(r.spawnError, 'ENOENT')
})

test.after(() => rmSync(dir, { recursive: true, force: true }))
test.run()
