// `wopr-p2p sandbox pin` and `wopr-p2p sandbox show` (DESIGN.md "The sandbox",
// "Operator surface"): record the sandbox image by ID in the operator's policy, and
// say whether the image name still points at what is pinned.

import type { Command } from 'commander'
import { EngineAdmin } from '../docker-proxy/engine-admin.ts'
import { resolvePolicyDir } from '../policy/load.ts'
import { DEFAULT_SANDBOX_IMAGE, pinSandboxImage, readPinStatus, type PinStatus } from '../sandbox/pin.ts'

export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock'

type SandboxOptions = { image: string; engine: string; policyDir?: string; json?: boolean }

function describeStatus(s: PinStatus): string {
  const pinned = s.pinned === '' ? '(none: no sandbox may run; run wopr-p2p sandbox pin)' : s.pinned
  const now =
    s.imageId === null ? 'not on the engine'
    : s.imageId === s.pinned ? `${s.imageId} (the pinned image)`
    : `${s.imageId} (NOT the pinned image: what runs stays the pinned one until wopr-p2p sandbox pin)`
  return `pinned:  ${pinned}\n         in ${s.policyDir}\n${s.image}: ${now}\n`
}

export function registerSandboxCommands(program: Command, out: (text: string) => void): void {
  const sandbox = program.command('sandbox').description('pin the sandbox image by ID and show the pin')
  const common = (cmd: Command) =>
    cmd
      .option('--image <name>', 'sandbox image name or ID on the engine', DEFAULT_SANDBOX_IMAGE)
      .option('--engine <socket>', 'Docker engine socket', DEFAULT_ENGINE_SOCKET)
      .option('--policy-dir <dir>', 'policy directory (default: $WOPR_P2P_POLICY_DIR or the shipped policies/)')
      .option('--json', 'print as JSON')

  common(sandbox.command('pin'))
    .description('resolve the image name to its ID and write it as sandbox.image in the policy directory (comments kept)')
    .action(async (opts: SandboxOptions) => {
      const engine = new EngineAdmin(opts.engine)
      const r = await pinSandboxImage({ policyDir: resolvePolicyDir({ flag: opts.policyDir }), image: opts.image, resolveImage: (ref) => engine.imageId(ref) })
      if (opts.json) return out(`${JSON.stringify(r, null, 2)}\n`)
      if (!r.changed) return out(`${opts.image} is already pinned in ${r.file}: ${r.imageId}\n`)
      out(`pinned ${opts.image} in ${r.file}:\n  ${r.previous || '(none)'} → ${r.imageId}\n`)
      out('a running docker-proxy applies it when it sees the file change, or on SIGHUP\n')
    })

  common(sandbox.command('show'))
    .description('print the pinned image ID and whether the image name still points at it')
    .action(async (opts: SandboxOptions) => {
      const engine = new EngineAdmin(opts.engine)
      const s = await readPinStatus({ policyDir: resolvePolicyDir({ flag: opts.policyDir }), image: opts.image, resolveImage: (ref) => engine.imageId(ref) })
      out(opts.json ? `${JSON.stringify({ ...s, current: s.imageId !== null && s.imageId === s.pinned }, null, 2)}\n` : describeStatus(s))
    })
}
