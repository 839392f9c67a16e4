// The sandbox's walls, proved from inside real containers with the hardened create
// body (DESIGN.md "The sandbox"; issue "Proof inside real containers"): fork bomb,
// memory hog, CPU burner, network, filesystem, capabilities, seccomp mode, uid.
// Attacks go through the runner's shell tool, as a peer's would.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hostCgroupFile, removeSuiteContainers, runCommand, sandboxEnv } from '../support/sandbox-engine.ts'
import { runJob, scriptedModel, type JobRun } from '../support/sandbox-rpc.ts'
import { SESSION } from '../support/sandbox-workloads.ts'

/** An inject job whose model runs `commands` through the shell tool, then answers with their results. */
async function shellJob(commands: string[], limits: Record<string, number> = {}, limitMs = 30_000): Promise<JobRun & { results: string[] }> {
  const { engine, policy } = await sandboxEnv()
  const job = { type: 'job', kind: 'inject', text: 'go', session: SESSION, limits: { maxSteps: commands.length + 1, ...limits } }
  const run = await runJob(engine, policy, job, scriptedModel(commands), limitMs)
  const results = run.outcome?.type === 'result' ? (JSON.parse(run.outcome.text) as string[]) : []
  return { ...run, results }
}

test('a fork bomb hits the pids limit, is killed at the tool limit, and the runner carries on', async () => {
  const pids = 'cat /sys/fs/cgroup/pids/pids.max; grep max /sys/fs/cgroup/pids/pids.events; cat /sys/fs/cgroup/pids/pids.current'
  const run = await shellJob(['exec 2>/dev/null; bomb() { bomb | bomb & }; bomb; sleep 30', pids], { shellTimeoutMs: 3000 })
  assert.is(run.outcome?.type, 'result', `${JSON.stringify(run.outcome)} ${run.stderr}`)
  assert.ok(run.results[0]!.startsWith('killed: wall-clock limit'), run.results[0])
  const [, max, events, current] = run.results[1]!.split('\n')
  assert.is(max, '100')
  assert.ok(Number(events!.split(' ')[1]) > 0, `the limit was never hit: ${events}`)
  // Left: the runner's threads and the shell reading the counters; every bomb process is gone.
  assert.ok(Number(current) < 30, `pids.current ${current} after the kill`)
  assert.is(run.statusCode, 0)
})

test('a memory hog is OOM-killed inside the cgroup; the runner reports it and the engine records it', async () => {
  const hog = `node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'`
  const run = await shellJob([hog, 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes'], { shellTimeoutMs: 20_000 })
  assert.is(run.outcome?.type, 'result', `${JSON.stringify(run.outcome)} ${run.stderr}`)
  // Either the shell itself was the victim, or it outlived its child and reports 128 + SIGKILL.
  assert.match(run.results[0]!, /^(killed by SIGKILL|exit status 137)\n/)
  assert.ok(run.results[1]!.includes(`${512 * 1024 * 1024}`), run.results[1])
  assert.is(run.state.OOMKilled, true)
})

test('a CPU burner is held to half a core and killed at the wall-clock limit', async () => {
  const { engine, policy } = await sandboxEnv()
  const started = performance.now()
  let usageNs = 0
  let throttled = 0
  const run = await runCommand(engine, policy, ['/bin/sh', '-c', 'while :; do :; done'], {
    limitMs: 2500,
    whileRunning: async (box) => {
      const before = Number(hostCgroupFile('cpuacct', box.id, 'cpuacct.usage'))
      await new Promise((resolve) => setTimeout(resolve, 2000))
      usageNs = Number(hostCgroupFile('cpuacct', box.id, 'cpuacct.usage')) - before
      throttled = Number(/nr_throttled (\d+)/.exec(hostCgroupFile('cpu', box.id, 'cpu.stat'))?.[1])
    },
  })
  assert.is(run.killedAtLimit, true)
  assert.is(run.statusCode, 137)
  assert.is(run.state.Running, false)
  assert.ok(performance.now() - started < 4000, "not killed at the wall-clock limit")
  // 0.5 CPU over 2 s is 1e9 ns; allow for the edges of the sampling window.
  assert.ok(usageNs < 1.2e9, `used ${usageNs / 1e9} CPU-seconds in 2 s`)
  assert.ok(throttled > 0, 'the CFS quota never throttled it')
})

test('no network: only lo exists, there is no route, and nothing outside answers', async () => {
  const connect = `node -e 'require("net").connect(53, "1.1.1.1").on("error", (e) => console.log(e.code))'`
  const run = await shellJob(['cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d " "', 'tail -n +2 /proc/net/route | wc -l; tail -n +2 /proc/net/ipv6_route 2>/dev/null | grep -vc "^0\\{32\\} 00 0\\{32\\} 00 0\\{32\\} ffffffff.*lo$" || true', connect])
  assert.is(run.results[0], 'exit status 0\nlo\n')
  assert.ok(run.results[1]!.startsWith('exit status 0\n0\n'), run.results[1])
  assert.is(run.results[2], 'exit status 0\nENETUNREACH\n')
})

test('the root filesystem is read-only; /tmp is writable, bounded and noexec', async () => {
  const run = await shellJob([
    'touch /etc/x /opt/wopr-runner/x /x 2>&1 | sed "s/.*: //" | sort -u',
    'dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>&1 | grep -o "No space left on device" | head -n 1; du -m /tmp/fill | cut -f1; rm /tmp/fill',
    'grep " /tmp " /proc/mounts',
    'cp /bin/true /tmp/t && /tmp/t; echo "exec $?"',
  ])
  assert.is(run.results[0], 'exit status 0\nRead-only file system\n')
  assert.is(run.results[1], 'exit status 0\nNo space left on device\n64\n')
  const mount = run.results[2]!
  for (const opt of ['rw', 'nosuid', 'nodev', 'noexec', 'size=65536k']) assert.ok(mount.includes(opt), `${opt} missing in ${mount}`)
  assert.is(run.results[3], 'exit status 0\n/bin/sh: 1: /tmp/t: Permission denied\nexec 126\n')
})

test('no capabilities, seccomp filter mode, no new privileges, not root, no setuid binaries', async () => {
  const run = await shellJob([
    'grep -E "^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\\t " " "',
    'find / -xdev -perm /6000 -type f 2>/dev/null | wc -l',
    'ls /usr/bin/apt /usr/bin/dpkg /usr/local/bin/npm 2>&1 | grep -c "No such file"',
  ])
  const status = run.results[0]!
  for (const line of ['Uid: 65534 65534 65534 65534', 'Gid: 65534 65534 65534 65534', 'CapInh: 0000000000000000', 'CapPrm: 0000000000000000', 'CapEff: 0000000000000000', 'CapBnd: 0000000000000000', 'CapAmb: 0000000000000000', 'NoNewPrivs: 1', 'Seccomp: 2']) {
    assert.ok(status.includes(`${line}\n`), `${line} not in ${status}`)
  }
  assert.is(run.results[1], 'exit status 0\n0\n')
  assert.is(run.results[2], 'exit status 0\n3\n')
})

test.after(async () => {
  const { engine } = await sandboxEnv()
  await removeSuiteContainers(engine)
})

test.run()
