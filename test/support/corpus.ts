// The attack-corpus reader (STYLE.md "Vectors and attack corpora as data", after
// age's testkit): one case per file named NNN-short-name.<ext>, `key: value`
// header lines, a blank line, then the raw input bytes. Unknown or repeated
// header keys and unknown reason codes are errors, so a typo fails loudly.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REASONS, type Reason } from '../../src/reasons.ts'

export interface CorpusCase {
  file: string
  expect: Reason | 'ok'
  comment: string
  /** The optional header keys the caller allowed, as given. */
  headers: ReadonlyMap<string, string>
  /** Everything after the blank line, byte for byte (no trailing newline is added or removed). */
  body: Buffer
}

const NAME = /^(\d{3})-[a-z0-9]+(?:-[a-z0-9]+)*\.([a-z]+)$/
const HEADER = /^([a-z]+): (\S.*)$/
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Every case in `dir`, in file order. `optional` lists the header keys allowed besides expect and comment. */
export function readCorpus(dir: string, opts: { ext: string; optional: readonly string[] }): CorpusCase[] {
  const files = readdirSync(dir).sort()
  if (files.length === 0) throw new Error(`${dir}: no corpus cases`)
  const numbers = new Set<string>()
  return files.map((file) => {
    const name = NAME.exec(file)
    if (!name || name[2] !== opts.ext) throw new Error(`${dir}/${file}: not named NNN-short-name.${opts.ext}`)
    if (numbers.has(name[1]!)) throw new Error(`${dir}/${file}: case number ${name[1]} is used twice`)
    numbers.add(name[1]!)
    return parseCase(file, readFileSync(join(dir, file)), opts.optional)
  })
}

function parseCase(file: string, bytes: Buffer, optional: readonly string[]): CorpusCase {
  const end = bytes.indexOf('\n\n')
  if (end === -1) throw new Error(`${file}: no blank line after the header`)
  const headers = new Map<string, string>()
  UTF8.decode(bytes.subarray(0, end))
    .split('\n')
    .forEach((text, i) => {
      const where = `${file}:${i + 1}`
      const line = HEADER.exec(text)
      if (!line) throw new Error(`${where}: header lines are "key: value"`)
      const [, key, value] = line as unknown as [string, string, string]
      if (key !== 'expect' && key !== 'comment' && !optional.includes(key)) {
        throw new Error(`${where}: unknown header key "${key}" (allowed: expect, comment, ${optional.join(', ')})`)
      }
      if (headers.has(key)) throw new Error(`${where}: header key "${key}" repeated`)
      headers.set(key, value)
    })
  const expect = headers.get('expect')
  const comment = headers.get('comment')
  if (expect === undefined || comment === undefined) throw new Error(`${file}: expect and comment are required`)
  if (expect !== 'ok' && !Object.hasOwn(REASONS, expect)) throw new Error(`${file}: expect "${expect}" is not ok or a code in src/reasons.ts`)
  headers.delete('expect')
  headers.delete('comment')
  return { file, expect: expect as Reason | 'ok', comment, headers, body: bytes.subarray(end + 2) }
}
