// The seccomp profile every sandbox carries, read once at start by the docker-proxy (which
// requires it byte for byte in each create body) and by the sidecar (which puts it there).
// Both must read the same file; a broken one is refused here, not at every create.

import { readFileSync } from 'node:fs'
import { WoprP2PError } from '../reasons.ts'

export function readSeccompProfile(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new WoprP2PError('IO', `cannot read the seccomp profile ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'pass --seccomp with the file the docker-proxy and the sidecar share, or leave it out for the shipped policies/seccomp.json')
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
  } catch {
    throw new WoprP2PError('IO', `the seccomp profile ${file} is not a JSON object`, 'pass the shipped policies/seccomp.json or a profile in the same format')
  }
  return text
}
