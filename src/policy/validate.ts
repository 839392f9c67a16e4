// Policy validation without I/O (DESIGN.md "Configuration"): the bytes of one or more YAML files
// become one frozen Policy, or a list of problems that each name FILE:LINE:COLUMN and the key
// path. The YAML AST supplies positions and refuses what a lenient loader would let through
// (duplicate keys, non-text keys, prototype keys, alias bombs); the zod schema judges values.
// Each top-level section lives in exactly one file; absent sections and keys take the defaults.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { isPrototypeKey, PROTOTYPE_KEY, whyForbidden } from './forbidden-keys.ts'
import { DEFAULT_POLICY, freezePolicy, policySchema, type Policy, type PolicyReason } from './schema.ts'

export interface PolicyProblem {
  reason: PolicyReason
  file: string
  line: number
  col: number
  /** Dotted key path (`admission.rate.message.perMinute`, `friends.autoAccept[1]`); '' for the file as a whole. */
  path: string
  message: string
}

export interface PolicySource {
  /** As the operator should see it in the error (a path relative to where they ran the command is fine). */
  file: string
  bytes: Uint8Array | string
}

export type PolicyVerdict = { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] }

/** A policy is a few KiB; anything near this is a mistake or an attack on the loader. */
export const MAX_POLICY_BYTES = 1024 * 1024
/** Policy keys nest four deep; the walk refuses far deeper documents before anything recurses over them. */
const MAX_DEPTH = 16
/** yaml's budget for alias expansion (uses × aliases inside the anchor); a few reused anchors cost a few. */
const MAX_ALIAS_COUNT = 100

type Segment = string | number
type Pos = { line: number; col: number }
const START: Pos = { line: 1, col: 1 }

interface ParsedFile {
  file: string
  root: Record<string, unknown>
  /** Position of every key (and list item) by formatted path. */
  positions: Map<string, Pos>
}

export function formatProblem(p: PolicyProblem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path ? `${p.path}: ` : ''}${p.message}`
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((s, i) => {
      if (typeof s === 'number') return `[${s}]`
      const name = String(s)
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return i === 0 ? name : `.${name}`
      return `[${JSON.stringify(name)}]`
    })
    .join('')
}

/** Validate the files of one policy together: sections merge across files, values against the schema. */
export function validatePolicy(sources: readonly PolicySource[]): PolicyVerdict {
  const problems: PolicyProblem[] = []
  const parsed: ParsedFile[] = []
  for (const source of sources) {
    const r = parseFile(source)
    if (r.ok) parsed.push(r.value)
    else problems.push(...r.problems)
  }

  const merged: Record<string, unknown> = {}
  const owner = new Map<string, ParsedFile>()
  for (const f of parsed) {
    for (const [section, value] of Object.entries(f.root)) {
      const first = owner.get(section)
      if (first) {
        const at = first.positions.get(formatPath([section])) ?? START
        problems.push({ reason: 'POLICY_DUPLICATE_KEY', file: f.file, ...(f.positions.get(formatPath([section])) ?? START), path: formatPath([section]), message: `section is also defined at ${first.file}:${at.line}:${at.col}; a section lives in one file` })
        continue
      }
      owner.set(section, f)
      merged[section] = value
    }
  }

  const result = policySchema.safeParse(merged, { reportInput: true })
  if (!result.success) problems.push(...schemaProblems(result.error.issues, owner))
  if (!result.success || problems.length > 0) return { ok: false, problems: sortProblems(problems, sources) }
  return { ok: true, policy: freezePolicy(result.data) }
}

function parseFile(source: PolicySource): { ok: true; value: ParsedFile } | { ok: false; problems: PolicyProblem[] } {
  const { file } = source
  const fail = (reason: PolicyReason, pos: Pos, path: readonly Segment[], message: string) => ({ ok: false as const, problems: [{ reason, file, ...pos, path: formatPath(path), message }] })

  const size = typeof source.bytes === 'string' ? Buffer.byteLength(source.bytes) : source.bytes.length
  if (size > MAX_POLICY_BYTES) return fail('POLICY_RESOURCE_LIMIT', START, [], `file is ${size} bytes; a policy file is at most ${MAX_POLICY_BYTES}`)
  let text: string
  try {
    text = typeof source.bytes === 'string' ? source.bytes : new TextDecoder('utf-8', { fatal: true }).decode(source.bytes)
  } catch {
    return fail('POLICY_SYNTAX', START, [], 'file is not valid UTF-8')
  }

  const lines = new LineCounter()
  // YAML 1.2 core schema whatever the file's %YAML directive says: no `<<` merge keys, no yes/no booleans.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, merge: false, schema: 'core', version: '1.2', prettyErrors: false, strict: true })
  const tree = walkTree(doc, lines)

  const yamlProblems = [...doc.errors, ...doc.warnings].map((e): PolicyProblem => {
    const reason: PolicyReason = e.code === 'DUPLICATE_KEY' ? 'POLICY_DUPLICATE_KEY' : e.code === 'RESOURCE_EXHAUSTION' ? 'POLICY_RESOURCE_LIMIT' : 'POLICY_SYNTAX'
    // yaml appends " at line L, column C:" and a source excerpt; we print our own position.
    const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    return { reason, file, ...lines.linePos(e.pos[0]), path: formatPath(tree.keyAt.get(e.pos[0]) ?? []), message }
  })
  if (yamlProblems.length > 0) return { ok: false, problems: yamlProblems }
  if (doc.contents === null) return fail('POLICY_EMPTY', START, [], 'file holds no policy; delete it to use the defaults, or write {}')
  if (!isMap(doc.contents)) return fail('POLICY_NOT_MAPPING', posOf(doc.contents, lines), [], 'the top level must be a mapping of sections (admission:, sandbox:, …)')
  if (tree.problems.length > 0) return { ok: false, problems: tree.problems.map((p) => ({ ...p, file })) }

  let root: unknown
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    // Unresolvable aliases were refused by the walk, so a ReferenceError here is the alias budget.
    if (!(err instanceof ReferenceError) || !tree.firstAlias) throw err
    return fail('POLICY_RESOURCE_LIMIT', tree.firstAlias.pos, tree.firstAlias.path, `aliases expand beyond the budget of ${MAX_ALIAS_COUNT} (an alias bomb?)`)
  }
  return { ok: true, value: { file, root: root as Record<string, unknown>, positions: tree.positions } }
}

interface Tree {
  positions: Map<string, Pos>
  /** Key path by the source offset of the key, to name the key in yaml's own errors. */
  keyAt: Map<number, Segment[]>
  problems: Omit<PolicyProblem, 'file'>[]
  /** The earliest alias in the file: where an alias bomb is reported. */
  firstAlias?: { pos: Pos; path: Segment[] }
}

/** Iterative, so a hostile depth cannot overflow the stack before it is refused. */
function walkTree(doc: Document, lines: LineCounter): Tree {
  const tree: Tree = { positions: new Map(), keyAt: new Map(), problems: [] }
  const problem = (reason: PolicyReason, pos: Pos, path: Segment[], message: string) => tree.problems.push({ reason, ...pos, path: formatPath(path), message })
  const stack: { node: unknown; path: Segment[] }[] = [{ node: doc.contents, path: [] }]
  let tooDeep = false
  while (stack.length > 0) {
    const { node, path } = stack.pop()!
    if (path.length > MAX_DEPTH) {
      if (!tooDeep) problem('POLICY_RESOURCE_LIMIT', posOf(node, lines), path.slice(0, MAX_DEPTH), `nested deeper than ${MAX_DEPTH} levels`)
      tooDeep = true
      continue
    }
    if (isAlias(node)) {
      const pos = posOf(node, lines)
      if (!tree.firstAlias || pos.line < tree.firstAlias.pos.line || (pos.line === tree.firstAlias.pos.line && pos.col < tree.firstAlias.pos.col)) tree.firstAlias = { pos, path }
      if (node.resolve(doc) === undefined) problem('POLICY_SYNTAX', pos, path, `alias *${node.source} has no anchor before it`)
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key
        const pos = posOf(key ?? pair.value, lines)
        if (!isScalar(key) || typeof key.value !== 'string') {
          problem('POLICY_WRONG_TYPE', pos, path, 'every key must be text (quote it: "1": …)')
          continue
        }
        const keyPath = [...path, key.value]
        tree.positions.set(formatPath(keyPath), pos)
        if (key.range) tree.keyAt.set(key.range[0], keyPath)
        if (isPrototypeKey(key.value)) problem('POLICY_FORBIDDEN_KEY', pos, keyPath, PROTOTYPE_KEY)
        else stack.push({ node: pair.value, path: keyPath })
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        tree.positions.set(formatPath([...path, i]), posOf(item, lines))
        stack.push({ node: item, path: [...path, i] })
      })
    }
  }
  return tree
}

function posOf(node: unknown, lines: LineCounter): Pos {
  const range = (node as { range?: [number, number, number] } | null)?.range
  return range ? lines.linePos(range[0]) : START
}

function schemaProblems(issues: readonly z.core.$ZodIssue[], owner: Map<string, ParsedFile>): PolicyProblem[] {
  const seen = new Set<string>()
  const out: PolicyProblem[] = []
  const add = (path: readonly PropertyKey[], reason: PolicyReason, message: string) => {
    const key = formatPath(path)
    // One problem per key: a value out of range would otherwise also trip a cross-field check.
    if (seen.has(key)) return
    seen.add(key)
    const f = owner.get(String(path[0]))
    if (!f) throw new Error(`policy: the built-in defaults fail validation at ${key}: ${message}`)
    out.push({ reason, file: f.file, ...locate(f, path), path: key, message })
  }
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const why = whyForbidden(formatPath(issue.path), k)
        add([...issue.path, k], why ? 'POLICY_FORBIDDEN_KEY' : 'POLICY_UNKNOWN_KEY', why ?? unknownKeyMessage(issue.path, k))
      }
    } else {
      const { reason, message } = describe(issue)
      add(issue.path, reason, message)
    }
  }
  return out
}

/** The nearest position at or above `path`: a problem about a missing key points at its section. */
function locate(f: ParsedFile, path: readonly PropertyKey[]): Pos {
  for (let n = path.length; n > 0; n--) {
    const pos = f.positions.get(formatPath(path.slice(0, n)))
    if (pos) return pos
  }
  return START
}

function describe(issue: z.core.$ZodIssue): { reason: PolicyReason; message: string } {
  switch (issue.code) {
    case 'custom':
      return { reason: (issue.params?.reason as PolicyReason | undefined) ?? 'POLICY_BAD_VALUE', message: issue.message }
    case 'invalid_key':
      // A record key (a session name) that its own check refused: report that check's verdict.
      return issue.issues[0] ? describe(issue.issues[0]) : { reason: 'POLICY_BAD_VALUE', message: issue.message }
    case 'invalid_type':
      return { reason: 'POLICY_WRONG_TYPE', message: `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}` }
    case 'too_big':
      return { reason: 'POLICY_OUT_OF_RANGE', message: issue.origin === 'number' ? `${String(issue.input)} is above the maximum ${issue.maximum}` : `has more than ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'entries'}` }
    case 'too_small':
      return { reason: 'POLICY_OUT_OF_RANGE', message: issue.origin === 'number' ? `${String(issue.input)} is below the minimum ${issue.minimum}` : 'must not be empty' }
    default:
      return { reason: 'POLICY_BAD_VALUE', message: issue.message }
  }
}

const TYPE_NAMES: Record<string, string> = { int: 'a whole number', number: 'a number', boolean: 'true or false', string: 'text', object: 'a mapping', array: 'a list', record: 'a mapping' }

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (an empty value)'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  return String(v)
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  let here: unknown = DEFAULT_POLICY
  for (const s of parent) here = (here as Record<PropertyKey, unknown>)[s]
  const known = Object.keys(here as object)
  const near = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2)
  return near ? `unknown key; did you mean ${near}?` : `unknown key; known keys here: ${known.join(', ')}`
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}

function sortProblems(problems: PolicyProblem[], sources: readonly PolicySource[]): PolicyProblem[] {
  const order = new Map(sources.map((s, i) => [s.file, i]))
  return problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line || a.col - b.col)
}
