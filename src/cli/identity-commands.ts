// `wopr-p2p init` and `wopr-p2p id`: create and show the agent's identity
// (SECURITY.md "Cryptographic Identity"; WIRE.md "Keys and identifiers").

import type { Command } from 'commander'
import { fingerprintOf, topicOf } from '../identity/ids.ts'
import { initIdentity, readIdentity } from '../identity/identity-file.ts'
import type { Identity } from '../identity/keys.ts'
import { resolveDataDir } from '../store/secure-dir.ts'

export function dataDirOf(cmd: Command): string {
  return resolveDataDir({ flag: cmd.optsWithGlobals<{ dataDir?: string }>().dataDir })
}

function describe(id: Identity): Record<string, string> {
  return {
    shortId: id.shortId,
    fingerprint: fingerprintOf(id.signPub),
    signPub: id.signPub,
    encryptPub: id.encryptPub,
    topic: topicOf(id.signPub).toString('hex'),
  }
}

function show(out: (text: string) => void, id: Identity, json: boolean): void {
  const d = describe(id)
  if (json) return out(`${JSON.stringify(d, null, 2)}\n`)
  out(
    [
      `short id:    ${d.shortId}`,
      `fingerprint: ${d.fingerprint}`,
      `signing key: ${d.signPub}`,
      `encrypt key: ${d.encryptPub}`,
      `topic:       ${d.topic}`,
      '',
    ].join('\n'),
  )
}

export function registerIdentityCommands(program: Command, out: (text: string) => void): void {
  program
    .command('init')
    .description('create this agent\'s identity (Ed25519 signing + X25519 encryption keys) in the data dir')
    .option('--force', 'replace an existing identity (peers will no longer recognise you; prefer rotate-keys)')
    .option('--json', 'print the new identity as JSON')
    .action((opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      const dir = dataDirOf(cmd)
      const id = initIdentity(dir, { force: opts.force === true })
      if (!opts.json) out(`created identity in ${dir}\n`)
      show(out, id, opts.json === true)
    })

  program
    .command('id')
    .description('show the short id, public keys, fingerprint and topic of this agent')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      show(out, readIdentity(dataDirOf(cmd)), opts.json === true)
    })
}
