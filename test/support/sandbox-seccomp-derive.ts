// Derives policies/seccomp.json (DOCKER-HAZARDS.md "Seccomp for a Node runner"):
// runs the runner's workloads (sandbox-workloads.ts) in real sandboxes under a
// profile whose default action is SCMP_ACT_LOG, reads the kernel's type=1326 audit
// lines, allows what they name, and repeats until passes log nothing new.
//
//   node --import tsx test/support/sandbox-seccomp-derive.ts [--write] [--confirm N] [--parallel N]
//
// --confirm: quiet passes needed to stop (default 3). --parallel: copies of the
// workloads run at once per pass (default 1); contention between throttled
// sandboxes brings out calls a lone run never makes (sched_yield and the like).
// Root only (dmesg, printk rate limit). During derivation the forbidden syscalls
// get EPERM, clone3 ENOSYS and clone its flag mask, exactly as in production, so
// the workloads take the fallback paths they will take there (libuv without
// io_uring, glibc threads through clone).

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { connectEngine, removeSuiteContainers, sandboxPolicy } from './sandbox-engine.ts'
import { sandboxImage } from './sandbox-image.ts'
import { runJob, scriptedModel } from './sandbox-rpc.ts'
import { BAD_JOBS, INJECT_JOB, INJECT_STEPS, MESSAGE_JOB } from './sandbox-workloads.ts'

const PROFILE_PATH = new URL('../../policies/seccomp.json', import.meta.url)
const UNISTD = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h'
/** Docker's mask: clone is allowed only when no namespace flag is set. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000
const ENOSYS = 38

/** Never allowed, whatever a workload does: seeing one is an error, not an addition. */
export const FORBIDDEN = [
  'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'ptrace', 'bpf', 'keyctl', 'add_key', 'request_key',
  'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'kexec_load', 'kexec_file_load',
  'init_module', 'finit_module', 'delete_module', 'reboot', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount',
  'fspick', 'mount_setattr', 'open_by_handle_at', 'name_to_handle_at', 'swapon', 'swapoff', 'acct', 'process_vm_readv',
  'process_vm_writev', 'kcmp', 'quotactl', 'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex', 'syslog', 'vhangup',
  'lookup_dcookie', 'iopl', 'ioperm', 'personality',
]
/** Handled by their own rules below. */
const SPECIAL = ['clone', 'clone3']

/**
 * The profile text. `deny` lists syscalls refused explicitly with EPERM: only for
 * derivation, where the default action logs and allows. Each must be numbered below
 * clone3, the highest syscall the final profile names: runc answers ENOSYS above
 * that number, and a higher explicit rule would turn those ENOSYS into EPERM.
 */
export function buildProfile(allowed: readonly string[], defaultAction: 'SCMP_ACT_ERRNO' | 'SCMP_ACT_LOG', deny: readonly string[] = []): string {
  const denyRule = { names: [...deny].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: 1, comment: 'derivation only: refused as the default action refuses them in production' }
  const profile = {
    defaultAction,
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      {
        names: [...allowed].sort(),
        action: 'SCMP_ACT_ALLOW',
        comment: 'What the sandbox runner, its shell tool and runc need, observed under SCMP_ACT_LOG (test/support/sandbox-seccomp-derive.ts)',
      },
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        comment: 'fork and threads, never with a CLONE_NEW* flag (mask 0x7E020000)',
      },
      {
        names: ['clone3'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: ENOSYS,
        comment: 'Its flags sit in memory a filter cannot read; ENOSYS makes glibc and Node fall back to clone (EPERM would abort thread creation)',
      },
      ...(deny.length > 0 ? [denyRule] : []),
    ],
  }
  return `${JSON.stringify(profile, null, 2)}\n`
}

function syscallNames(): Map<number, string> {
  const names = new Map<number, string>()
  for (const m of readFileSync(UNISTD, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)) names.set(Number(m[2]), m[1]!)
  return names
}

type Seen = { serial: number; syscall: number; comm: string }

function auditLines(): Seen[] {
  const out: Seen[] = []
  for (const line of execFileSync('dmesg', { maxBuffer: 64 << 20 }).toString('utf8').split('\n')) {
    const m = /type=1326 audit\(\d+\.\d+:(\d+)\).*? comm="([^"]*)".*? syscall=(\d+) /.exec(line)
    if (m) out.push({ serial: Number(m[1]), comm: m[2]!, syscall: Number(m[3]) })
  }
  return out
}

async function runWorkloads(profile: string, parallel: number): Promise<void> {
  await Promise.all(Array.from({ length: parallel }, () => runWorkloadsOnce(profile)))
}

async function runWorkloadsOnce(profile: string): Promise<void> {
  const engine = await connectEngine()
  const policy = sandboxPolicy(await sandboxImage(), profile)
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`workload failed under the derivation profile: ${what}`)
  }
  const message = await runJob(engine, policy, MESSAGE_JOB)
  check(message.outcome?.type === 'result', `message job → ${JSON.stringify(message.outcome)}`)
  const inject = await runJob(engine, policy, INJECT_JOB, scriptedModel(INJECT_STEPS.map(([command]) => command)))
  check(inject.outcome?.type === 'result', `inject job → ${JSON.stringify(inject.outcome)} ${inject.stderr}`)
  for (const [input] of BAD_JOBS) await runJob(engine, policy, input)
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write')
  const option = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) || fallback : fallback)
  const confirm = option('--confirm', 3)
  const parallel = option('--parallel', 1)
  const names = syscallNames()
  const numbers = new Map([...names].map(([n, name]) => [name, n]))
  const deny = FORBIDDEN.filter((name) => (numbers.get(name) ?? Infinity) < (numbers.get('clone3') as number))
  const allowed = new Set<string>()
  // Every seccomp log line must reach dmesg, however many arrive per second.
  const ratelimit = readFileSync('/proc/sys/kernel/printk_ratelimit', 'utf8')
  writeFileSync('/proc/sys/kernel/printk_ratelimit', '0')
  try {
    let quiet = 0
    for (let pass = 1; quiet < confirm; pass++) {
      const since = Math.max(0, ...auditLines().map((l) => l.serial))
      await runWorkloads(buildProfile([...allowed], 'SCMP_ACT_LOG', deny), parallel)
      const fresh = auditLines().filter((l) => l.serial > since)
      const added = new Set<string>()
      for (const { syscall, comm } of fresh) {
        const name = names.get(syscall) ?? `#${syscall}`
        if (FORBIDDEN.includes(name)) throw new Error(`a workload (${comm}) used forbidden syscall ${name}`)
        if (!SPECIAL.includes(name) && !allowed.has(name)) added.add(name)
      }
      for (const name of added) allowed.add(name)
      quiet = added.size === 0 ? quiet + 1 : 0
      console.error(`pass ${pass}: ${fresh.length} log lines, new: ${[...added].sort().join(' ') || '(none)'}`)
    }
  } finally {
    writeFileSync('/proc/sys/kernel/printk_ratelimit', ratelimit)
    await removeSuiteContainers(await connectEngine())
  }
  const profile = buildProfile([...allowed], 'SCMP_ACT_ERRNO')
  console.error(`${allowed.size} syscalls allowed, plus clone (masked) and clone3 (ENOSYS)`)
  if (write) writeFileSync(PROFILE_PATH, profile)
  else process.stdout.write(profile)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
