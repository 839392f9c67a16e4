// Keys policy deliberately lacks (DESIGN.md "Configuration"; SECURITY.md "Trust Model",
// "Sandbox Isolation"). The schema has no key for a sandbox network, mount or capability, nor
// for a trust level above `untrusted`; these are the spellings an operator would try, so the
// error says why the thing is not configurable rather than just "unknown key".

const NETWORK = 'the sandbox never has a network: it runs with --network none (SECURITY.md Sandbox Isolation)'
const MOUNTS = 'the sandbox has no mounts and no workspace access; only the size of /tmp is set, by tmpfsMiB (SECURITY.md Sandbox Isolation)'
const CAPABILITIES = 'the sandbox runs with --cap-drop ALL and is never privileged (SECURITY.md Sandbox Isolation)'
const HARDENING = 'the sandbox hardening (read-only root, no-new-privileges, seccomp, non-root user, private namespaces) is fixed, not policy (SECURITY.md Sandbox Isolation)'
const TRUST = 'P2P peers are always untrusted; trusted and owner limits exist only for local callers (SECURITY.md Trust Model)'
export const PROTOTYPE_KEY = 'prototype keys (__proto__, constructor, prototype) are never accepted'

const SANDBOX: Record<string, string> = {
  ...Object.fromEntries(['network', 'networkmode', 'networks', 'net', 'dns', 'extrahosts', 'hosts', 'ports', 'publish', 'expose'].map((k) => [k, NETWORK])),
  ...Object.fromEntries(['mounts', 'mount', 'binds', 'bind', 'volumes', 'volume', 'volumesfrom', 'devices', 'device', 'workspace', 'tmpfs'].map((k) => [k, MOUNTS])),
  ...Object.fromEntries(['capabilities', 'capability', 'caps', 'capadd', 'capdrop', 'privileged'].map((k) => [k, CAPABILITIES])),
  ...Object.fromEntries(
    ['readonly', 'readonlyrootfs', 'securityopt', 'securityopts', 'seccomp', 'seccompprofile', 'nonewprivileges', 'apparmor', 'user', 'pidmode', 'ipcmode', 'utsmode', 'usernsmode', 'cgroupnsmode', 'runtime'].map((k) => [k, HARDENING]),
  ),
}

const TRUST_KEYS: Record<string, string> = { trust: TRUST, trustlevel: TRUST }

/** Forbidden spellings by the dotted path of the mapping they appear in. */
const BY_PARENT: Record<string, Record<string, string>> = {
  '': TRUST_KEYS,
  admission: TRUST_KEYS,
  friends: TRUST_KEYS,
  'admission.rate': { trusted: TRUST, owner: TRUST, ...TRUST_KEYS },
  sandbox: SANDBOX,
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key)
}

/** Why `key` can never be set under `parent` (dotted path, '' for the top level), or null for a plain unknown key. */
export function whyForbidden(parent: string, key: string): string | null {
  if (isPrototypeKey(key)) return PROTOTYPE_KEY
  // Case, '-' and '_' do not matter: `Network`, `cap_add` and `read-only` are the same attempt.
  const table = BY_PARENT[parent]
  const normal = key.toLowerCase().replace(/[-_\s]/g, '')
  return table && Object.hasOwn(table, normal) ? table[normal]! : null
}
