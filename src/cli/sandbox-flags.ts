// Flags the sidecar and the docker-proxy roles must agree on: where the proxy listens, the
// seccomp profile every sandbox carries (byte for byte, or the proxy refuses the create), and
// the instance name in the sandbox label (what the proxy's reaper may remove).

import { Option } from 'commander'
import { join } from 'node:path'
import { INSTANCE_NAME } from '../docker-proxy/sandbox-policy.ts'
import { SHIPPED_POLICY_DIR } from '../policy/load.ts'
import { WoprP2PError } from '../reasons.ts'

export const DEFAULT_PROXY_SOCKET = '/run/wopr-p2p/docker.sock'

export function proxySocketOption(description: string): Option {
  return new Option('--docker-proxy <socket>', `${description} (default: $WOPR_P2P_DOCKER_PROXY_SOCKET or ${DEFAULT_PROXY_SOCKET})`)
}

export function seccompOption(): Option {
  return new Option('--seccomp <file>', 'seccomp profile every sandbox carries; the sidecar and the proxy must use the same file').default(join(SHIPPED_POLICY_DIR, 'seccomp.json'), 'the shipped policies/seccomp.json')
}

export function instanceOption(): Option {
  return new Option('--instance <name>', 'sandbox label value shared by a sidecar and its proxy (default: $WOPR_P2P_INSTANCE or "default")')
}

export function proxySocketOf(flag: string | undefined): string {
  return flag || process.env.WOPR_P2P_DOCKER_PROXY_SOCKET || DEFAULT_PROXY_SOCKET
}

export function instanceOf(flag: string | undefined): string {
  const instance = flag || process.env.WOPR_P2P_INSTANCE || 'default'
  if (!INSTANCE_NAME.test(instance)) {
    throw new WoprP2PError('USAGE', `instance name "${instance.slice(0, 80)}" is not allowed`, 'use lower-case letters, digits, ".", "_" and "-" (at most 63)')
  }
  return instance
}
