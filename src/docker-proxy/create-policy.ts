// Field-by-field check of a POST /containers/create body against the sandbox
// policy (DESIGN.md "The narrowed Docker proxy", "The sandbox"; DOCKER-HAZARDS.md
// "Endpoints that escalate after a safe create"). Allowlist, fail closed: every
// field must be known, each with its allowed values; the engine gets only the
// JSON rebuilt here from validated values.

import { accept, refuse, type Reason, type Refusal, type Verdict } from '../reasons.ts'
import type { Json, JsonObject } from './body.ts'

export type SandboxPolicy = {
  /** The pinned image, by ID only: a tag can be repointed (DOCKER-HAZARDS.md "Endpoints that escalate"). */
  imageId: string
  /** The exact seccomp profile JSON text; SecurityOpt carries it inline and is compared byte for byte. */
  seccompProfile: string
  maxPids: number
  maxMemory: number
  maxNanoCpus: number
  maxTmpfsBytes: number
  /** Every sandbox carries this label; extra labels must live under `${key}.`. */
  label: { key: string; value: string }
}

export const DEFAULT_LIMITS = {
  maxPids: 100,
  maxMemory: 512 * 1024 * 1024,
  maxNanoCpus: 500_000_000,
  maxTmpfsBytes: 64 * 1024 * 1024,
} as const

/** A check returns the value to emit, or why not (refused with its rule's code), or a refusal with its own code. */
type Check = (value: Json | undefined, policy: SandboxPolicy, siblings: JsonObject) => { emit: unknown } | string | Refusal
type Rule = { code: Reason; check: Check }

// Allowed fields, checked in this order; `emit: undefined` leaves the field out.
const CONFIG: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  // Nothing pinned ('') matches nothing, not even an empty Image.
  ['Image', { code: 'PROXY_IMAGE_NOT_PINNED', check: (v, p) => (p.imageId !== '' && v === p.imageId ? { emit: v } : 'not the pinned ID') }],
  ['User', { code: 'PROXY_USER_ROOT', check: checkUser }],
  // Emitted after its own fields are checked (checkCreateBody); here only its type.
  ['HostConfig', { code: 'PROXY_FIELD_VALUE', check: optional((v) => (v instanceof Map ? { emit: undefined } : 'HostConfig is not an object')) }],
  ['Labels', { code: 'PROXY_LABEL', check: checkLabels }],
  ['Cmd', { code: 'PROXY_FIELD_VALUE', check: optional(stringList('Cmd', () => true)) }],
  ['Entrypoint', { code: 'PROXY_FIELD_VALUE', check: optional(stringList('Entrypoint', () => true)) }],
  ['Env', { code: 'PROXY_FIELD_VALUE', check: optional(stringList('Env', (s) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(s))) }],
  ['WorkingDir', { code: 'PROXY_FIELD_VALUE', check: optional(checkWorkingDir) }],
  ['AttachStdin', { code: 'PROXY_FIELD_VALUE', check: optional(boolean) }],
  ['AttachStdout', { code: 'PROXY_FIELD_VALUE', check: optional(boolean) }],
  ['AttachStderr', { code: 'PROXY_FIELD_VALUE', check: optional(boolean) }],
  ['OpenStdin', { code: 'PROXY_FIELD_VALUE', check: optional(boolean) }],
  ['StdinOnce', { code: 'PROXY_FIELD_VALUE', check: optional(boolean) }],
  // A TTY would merge stdout and stderr and change the attach framing the sidecar reads.
  ['Tty', { code: 'PROXY_FIELD_VALUE', check: optional((v) => (v === false ? { emit: v } : 'Tty must be false')) }],
])

const HOST: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['NetworkMode', { code: 'PROXY_NAMESPACE', check: (v) => (v === 'none' ? { emit: v } : 'NetworkMode must be "none"') }],
  ['ReadonlyRootfs', { code: 'PROXY_ROOTFS_WRITABLE', check: (v) => (v === true ? { emit: v } : 'ReadonlyRootfs must be true') }],
  ['CapDrop', { code: 'PROXY_CAPABILITIES', check: (v) => (sameList(v, ['ALL']) ? { emit: ['ALL'] } : 'CapDrop must be ["ALL"]') }],
  ['SecurityOpt', { code: 'PROXY_SECURITY_OPT', check: checkSecurityOpt }],
  ['PidsLimit', { code: 'PROXY_LIMITS', check: (v, p) => bounded('PidsLimit', v, p.maxPids) }],
  ['Memory', { code: 'PROXY_LIMITS', check: (v, p) => bounded('Memory', v, p.maxMemory) }],
  // Swap equal to memory means no swap: a memory hog is OOM-killed instead of thrashing the host.
  ['MemorySwap', { code: 'PROXY_LIMITS', check: (v, _p, host) => (v === host.get('Memory') ? { emit: v } : 'MemorySwap must equal Memory') }],
  ['NanoCpus', { code: 'PROXY_LIMITS', check: (v, p) => bounded('NanoCpus', v, p.maxNanoCpus) }],
  ['Tmpfs', { code: 'PROXY_MOUNT', check: optional(checkTmpfs) }],
])

// Known engine fields that open holes, named so the refusal says which hole.
const FORBIDDEN_CONFIG: ReadonlyMap<string, Reason> = new Map<string, Reason>([
  ['Volumes', 'PROXY_MOUNT'], // an anonymous volume is writable on a read-only root
  ['NetworkingConfig', 'PROXY_NAMESPACE'],
  ['ExposedPorts', 'PROXY_FIELD_FORBIDDEN'],
  ['MacAddress', 'PROXY_FIELD_FORBIDDEN'],
  ['Healthcheck', 'PROXY_FIELD_FORBIDDEN'],
])

const FORBIDDEN_HOST: ReadonlyMap<string, Reason> = new Map<string, Reason>([
  ['Privileged', 'PROXY_PRIVILEGED'],
  ...['Binds', 'Mounts', 'VolumesFrom', 'VolumeDriver', 'Devices', 'DeviceRequests', 'DeviceCgroupRules'].map((k) => [k, 'PROXY_MOUNT'] as const),
  ...['CapAdd', 'Capabilities'].map((k) => [k, 'PROXY_CAPABILITIES'] as const),
  ...['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode', 'Cgroup'].map((k) => [k, 'PROXY_NAMESPACE'] as const),
  ...['CpuShares', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'CpuCount', 'CpuPercent']
    .concat(['MemoryReservation', 'KernelMemory', 'KernelMemoryTCP', 'MemorySwappiness'])
    .map((k) => [k, 'PROXY_LIMITS'] as const),
  ...['MaskedPaths', 'ReadonlyPaths', 'Sysctls', 'CgroupParent', 'Runtime', 'Init', 'OomKillDisable', 'OomScoreAdj', 'Ulimits']
    .concat(['ExtraHosts', 'Dns', 'DnsOptions', 'DnsSearch', 'PortBindings', 'PublishAllPorts', 'Links', 'LogConfig', 'GroupAdd'])
    .concat(['RestartPolicy', 'Isolation', 'ContainerIDFile'])
    .map((k) => [k, 'PROXY_FIELD_FORBIDDEN'] as const),
])

/** Check a parsed create body; on success, the JSON text to forward, built only from validated values. */
export function checkCreateBody(body: Json, policy: SandboxPolicy): Verdict<string> {
  if (!(body instanceof Map)) return refuse('PROXY_FIELD_VALUE', 'body is not an object')
  const host = body.get('HostConfig')
  // Names first, both levels: a forbidden field is reported as itself, whatever else is wrong.
  const names = checkNames(body, CONFIG, FORBIDDEN_CONFIG, '') ?? (host instanceof Map ? checkNames(host, HOST, FORBIDDEN_HOST, 'HostConfig.') : undefined)
  if (names) return names

  const out = applyRules(body, CONFIG, policy)
  if (!out.ok) return out
  // A missing HostConfig is checked as an empty one, so the first missing hardening field is named.
  const hostOut = applyRules(host instanceof Map ? host : new Map(), HOST, policy)
  if (!hostOut.ok) return hostOut
  out.value.HostConfig = hostOut.value
  return accept(JSON.stringify(out.value))
}

function checkNames(obj: JsonObject, allowed: ReadonlyMap<string, Rule>, forbidden: ReadonlyMap<string, Reason>, prefix: string): Refusal | undefined {
  for (const key of obj.keys()) {
    const hole = forbidden.get(key)
    if (hole !== undefined) return refuse(hole, `${prefix}${key}`)
    if (!allowed.has(key)) return refuse('PROXY_FIELD_UNKNOWN', `${prefix}${key.slice(0, 64)}`)
  }
  return undefined
}

function applyRules(obj: JsonObject, rules: ReadonlyMap<string, Rule>, policy: SandboxPolicy): Verdict<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const [key, rule] of rules) {
    const r = rule.check(obj.get(key), policy, obj)
    if (typeof r === 'string') return refuse(rule.code, r)
    if ('ok' in r) return r
    if (r.emit !== undefined) out[key] = r.emit
  }
  return accept(out)
}

function optional(check: Check): Check {
  return (v, p, siblings) => (v === undefined ? { emit: undefined } : check(v, p, siblings))
}

function boolean(v: Json | undefined): { emit: unknown } | string {
  return typeof v === 'boolean' ? { emit: v } : 'expected true or false'
}

function sameList(v: Json | undefined, want: string[]): boolean {
  return Array.isArray(v) && v.length === want.length && v.every((x, i) => x === want[i])
}

function bounded(name: string, v: Json | undefined, max: number): { emit: unknown } | string {
  return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max ? { emit: v } : `${name} must be an integer in 1..${max}`
}

/** Numeric uid[:gid], neither 0: a name is resolved by the image's /etc/passwd, which could map it to root. */
function checkUser(v: Json | undefined): { emit: unknown } | string {
  return typeof v === 'string' && /^[1-9][0-9]{0,8}(:[1-9][0-9]{0,8})?$/.test(v) ? { emit: v } : 'User must be a numeric non-zero uid[:gid]'
}

function checkSecurityOpt(v: Json | undefined, p: SandboxPolicy): { emit: unknown } | string {
  const want = ['no-new-privileges', `seccomp=${p.seccompProfile}`]
  return sameList(v, want) ? { emit: want } : 'SecurityOpt must be exactly ["no-new-privileges", "seccomp=<pinned profile>"]'
}

function stringList(name: string, ok: (s: string) => boolean): Check {
  return (v) =>
    Array.isArray(v) && v.length <= 64 && v.every((s) => typeof s === 'string' && s.length <= 4096 && !s.includes('\0') && ok(s))
      ? { emit: [...(v as string[])] }
      : `${name} must be at most 64 strings of at most 4096 characters`
}

function checkWorkingDir(v: Json | undefined): { emit: unknown } | string {
  return typeof v === 'string' && /^\/[A-Za-z0-9._/-]{0,255}$/.test(v) && !v.split('/').includes('..') ? { emit: v } : 'WorkingDir must be a plain absolute path'
}

function checkLabels(v: Json | undefined, p: SandboxPolicy): { emit: unknown } | string {
  if (!(v instanceof Map) || v.get(p.label.key) !== p.label.value) return `label ${p.label.key}=${p.label.value} is required`
  if (v.size > 16) return 'at most 16 labels'
  for (const [key, value] of v) {
    const keyOk = key === p.label.key || (key.startsWith(`${p.label.key}.`) && /^[a-z0-9._-]{1,128}$/.test(key))
    if (!keyOk || typeof value !== 'string' || !/^[\x20-\x7e]{0,256}$/.test(value)) return `labels must be ${p.label.key}.* with short printable values`
  }
  // fromEntries defines own properties, so even a "__proto__" key could not reach a prototype.
  return { emit: Object.fromEntries(v) }
}

const TMPFS_FLAGS = new Set(['rw', 'noexec', 'nosuid', 'nodev'])
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** Only /tmp, nosuid and nodev, with a size: an unsized tmpfs may take half the host's memory. */
function checkTmpfs(v: Json | undefined, p: SandboxPolicy): { emit: unknown } | string | Refusal {
  if (!(v instanceof Map) || v.size !== 1 || typeof v.get('/tmp') !== 'string') return 'Tmpfs may hold only "/tmp"'
  const opts = (v.get('/tmp') as string).split(',')
  let size: number | undefined
  for (const opt of opts) {
    const m = /^size=([1-9][0-9]{0,12})([kmg]?)$/.exec(opt)
    if (m) size = Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? NaN)
    else if (!TMPFS_FLAGS.has(opt) && !/^mode=[0-7]{3,4}$/.test(opt)) return 'Tmpfs option not allowed'
  }
  if (new Set(opts.map((o) => o.split('=')[0])).size !== opts.length) return 'Tmpfs option repeated'
  if (!opts.includes('nosuid') || !opts.includes('nodev')) return 'Tmpfs needs nosuid,nodev'
  if (size === undefined || !(size <= p.maxTmpfsBytes)) return refuse('PROXY_LIMITS', `Tmpfs size must be set and at most ${p.maxTmpfsBytes} bytes`)
  return { emit: { '/tmp': opts.join(',') } }
}
