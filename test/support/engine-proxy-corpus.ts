// Loads test/corpus/proxy/ (STYLE.md "Vectors and attack corpora as data"): one raw
// HTTP exchange per file, age-style header lines, a blank line, then the request
// bytes. Unknown header keys and unknown reason codes are refused so a typo cannot pass.

import { readdirSync, readFileSync } from 'node:fs'
import { REASONS, type Reason } from '../../src/reasons.ts'

export type Expectation = Reason | 'ok'
export type ProxyCase = { file: string; expect: Expectation; comment: string; source: string; template: string }

/** Placeholder values; the template is latin1 text so every byte survives the round trip. */
export type Substitutions = { IMAGE_ID: string; SECCOMP_OPT: string; OWNED_ID: string; FOREIGN_ID: string }

const CORPUS_DIR = new URL('../corpus/proxy/', import.meta.url)
const KEYS = new Set(['expect', 'comment', 'source'])
const FILE_NAME = /^[0-9]{3}-[a-z0-9-]+\.http$/

export function loadProxyCorpus(dir: URL = CORPUS_DIR): ProxyCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.http'))
    .sort()
    .map((file) => {
      if (!FILE_NAME.test(file)) throw new Error(`${file}: corpus files are NNN-short-name.http`)
      const bytes = readFileSync(new URL(file, dir))
      const split = bytes.indexOf('\n\n')
      if (split < 0) throw new Error(`${file}: no blank line after the header lines`)
      const fields = new Map<string, string>()
      for (const line of bytes.subarray(0, split).toString('utf8').split('\n')) {
        const m = /^([a-z]+): (.+)$/.exec(line)
        if (!m || !KEYS.has(m[1]!) || fields.has(m[1]!)) throw new Error(`${file}: bad or unknown header line "${line}"`)
        fields.set(m[1]!, m[2]!)
      }
      const expect = fields.get('expect') ?? ''
      if (expect !== 'ok' && !(Object.hasOwn(REASONS, expect) && expect.startsWith('PROXY_'))) throw new Error(`${file}: unknown expectation "${expect}"`)
      const comment = fields.get('comment')
      const source = fields.get('source')
      if (comment === undefined || source === undefined) throw new Error(`${file}: comment and source are required`)
      return { file, expect: expect as Expectation, comment, source, template: bytes.subarray(split + 2).toString('latin1') }
    })
}

export function uses(c: ProxyCase, name: keyof Substitutions): boolean {
  return c.template.includes(`{{${name}`)
}

/** The placeholder for a JSON string holding exactly "seccomp=<profile text>". */
export function seccompOpt(profileText: string): string {
  return JSON.stringify(`seccomp=${profileText}`).slice(1, -1)
}

/**
 * Fill the placeholders: {{IMAGE_ID}}, {{SECCOMP_OPT}}, {{OWNED_ID}}, {{OWNED_ID_SHORT}} (12 hex),
 * {{FOREIGN_ID}}, {{PAD:n}} (n spaces), then {{LEN}}: the byte count from the end of its header block to the end of the file.
 */
export function renderCase(c: ProxyCase, subs: Substitutions): Buffer {
  let raw = c.template
    .replaceAll('{{OWNED_ID_SHORT}}', subs.OWNED_ID.slice(0, 12))
    .replace(/\{\{(IMAGE_ID|SECCOMP_OPT|OWNED_ID|FOREIGN_ID)\}\}/g, (_, k: keyof Substitutions) => subs[k])
    .replace(/\{\{PAD:([0-9]+)\}\}/g, (_, n: string) => ' '.repeat(Number(n)))
  const len = raw.indexOf('{{LEN}}')
  if (len >= 0) {
    const bodyStart = raw.indexOf('\r\n\r\n', len) + 4
    raw = raw.replace('{{LEN}}', String(raw.length - bodyStart))
  }
  if (/\{\{[A-Z_:0-9]+\}\}/.test(raw)) throw new Error(`${c.file}: unknown placeholder`)
  return Buffer.from(raw, 'latin1')
}
