// Seeded mutation of wire lines and of the byte stream that carries them, for the
// admission fuzz test (SECURITY.md "Messages on the wire": strict parsing without a
// crash; only the canonical spelling of a signed line). Everything is a pure
// function of the seed, so a failure names a seed to rerun.

/** mulberry32: tiny, fast, good enough to pick mutations; never for keys or nonces on the wire. */
export class Rng {
  private state: number

  constructor(readonly seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  /** `bytes` random bytes as lowercase hex (a well-formed nonce or requestId for seed lines). */
  hex(bytes: number): string {
    let out = ''
    for (let i = 0; i < bytes; i++) out += this.int(256).toString(16).padStart(2, '0')
    return out
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }
}

export interface Mutant {
  bytes: Buffer
  /** The operators applied, in order, for the failure message. */
  ops: string[]
}

type Json = Record<string, unknown>
type Path = readonly (string | number)[]

/**
 * One to three stacked mutations of a valid line. JSON-aware operators work on
 * the parsed message, so they run first; once a byte operator has run (or a
 * nesting too deep to walk again), the rest are byte operators.
 */
export function mutateLine(rng: Rng, line: string): Mutant {
  let text: string | null = line
  let bytes: Buffer = Buffer.from(line, 'utf8')
  const ops: string[] = []
  // Mostly one operator, so that many mutants still parse and reach the signature checks.
  for (let n = rng.chance(0.6) ? 1 : rng.between(2, 3); n > 0; n--) {
    if (text !== null && rng.chance(0.7)) {
      const op = pickWeighted(rng, JSON_OPS)
      text = op.apply(rng, text, JSON.parse(text) as Json)
      bytes = Buffer.from(text, 'utf8')
      if (op.last) text = null
      ops.push(op.name)
    } else {
      const op = rng.pick(BYTE_OPS)
      bytes = op.apply(rng, bytes)
      text = null
      ops.push(op.name)
    }
  }
  return { bytes, ops }
}

/**
 * The stream cut at random points: mostly a few lines per chunk, some chunks
 * of a few bytes so that multi-byte characters and newlines straddle pushes.
 */
export function splitIntoChunks(rng: Rng, stream: Buffer): Buffer[] {
  const chunks: Buffer[] = []
  let at = 0
  while (at < stream.length) {
    const roll = rng.next()
    const size = roll < 0.25 ? rng.between(1, 8) : roll < 0.75 ? rng.between(100, 2_000) : rng.between(2_000, 8_000)
    chunks.push(stream.subarray(at, at + size))
    at += size
  }
  return chunks
}

// ---- byte operators -------------------------------------------------------

/** Bytes a parser or decoder might mishandle: invalid or overlong UTF-8, a raw surrogate, BOM, CR, NUL, newline, JSON punctuation. */
const INTERESTING_BYTES: readonly (readonly number[])[] = [
  [0xff],
  [0x80],
  [0xc0, 0xaf], // overlong "/"
  [0xed, 0xa0, 0x80], // UTF-8 of the lone surrogate U+D800
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xef, 0xbb, 0xbf], // BOM
  [0xe2, 0x80, 0xa8], // raw U+2028
  [0x0d],
  [0x00],
  [0x0a],
  [0x22],
  [0x5c],
  [0x7b],
  [0x7d],
  [0x2c],
]

interface ByteOp {
  name: string
  apply(rng: Rng, bytes: Buffer): Buffer
}

const BYTE_OPS: readonly ByteOp[] = [
  {
    name: 'bit-flip',
    apply(rng, bytes) {
      if (bytes.length === 0) return bytes
      const out = Buffer.from(bytes)
      for (let n = rng.between(1, 3); n > 0; n--) out[rng.int(out.length)]! ^= 1 << rng.int(8)
      return out
    },
  },
  {
    name: 'insert-bytes',
    apply(rng, bytes) {
      const at = rng.int(bytes.length + 1)
      const insert = rng.chance(0.5) ? Buffer.from(rng.pick(INTERESTING_BYTES)) : Buffer.from(rng.hex(rng.between(1, 4)), 'hex')
      return Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)])
    },
  },
  {
    name: 'delete-bytes',
    apply(rng, bytes) {
      const at = rng.int(bytes.length + 1)
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + rng.between(1, 16))])
    },
  },
  {
    name: 'truncate',
    apply(rng, bytes) {
      return bytes.subarray(0, rng.int(bytes.length))
    },
  },
]

// ---- JSON-aware operators -------------------------------------------------

/** Every value in the message: top-level fields, keyRotation's fields, array elements. */
function valuePaths(obj: Json): Path[] {
  const out: Path[] = []
  const walk = (value: unknown, path: Path) => {
    if (path.length > 0) out.push(path)
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]))
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, [...path, k])
  }
  walk(obj, [])
  return out
}

/** Paths of the objects whose keys we can splice: the message and any nested object. */
function objectPaths(obj: Json): Path[] {
  return [[], ...valuePaths(obj).filter((p) => isObject(get(obj, p)))]
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function get(obj: unknown, path: Path): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], obj)
}

/** Define, never assign: assigning to a "__proto__" key would set a prototype instead of a member. */
function setOwn(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

const MARK = '\u0000mutant\u0000'

/**
 * The message re-serialised with the value at `path` replaced by a raw JSON
 * text, so that spellings JSON.stringify never emits (1e309, -0, 100k levels
 * of nesting, hand-escaped keys) reach the parser.
 */
function withRaw(obj: Json, path: Path, raw: string): string {
  const copy = structuredClone(obj)
  setOwn(get(copy, path.slice(0, -1)) as object, path.at(-1)!, MARK)
  return JSON.stringify(copy).replace(JSON.stringify(MARK), () => raw)
}

/** `{"k":v,` spliced in right after the opening brace of the object at `path` (or `,"k":v` before its close). */
function spliceMember(obj: Json, path: Path, member: string, atEnd: boolean): string {
  if (path.length === 0) {
    const text = JSON.stringify(obj)
    if (text === '{}') return `{${member}}`
    return atEnd ? `${text.slice(0, -1)},${member}}` : `{${member},${text.slice(1)}`
  }
  const inner = get(obj, path) as Json
  const innerText = JSON.stringify(inner)
  const spliced = innerText === '{}' ? `{${member}}` : atEnd ? `${innerText.slice(0, -1)},${member}}` : `{${member},${innerText.slice(1)}`
  return withRaw(obj, path, spliced)
}

/** Raw JSON texts of every type, for a field that expects another. */
const TYPE_SWAPS = ['0', '1', '2', '-1', '""', '"x"', '"2"', '[]', '[2]', '[[]]', '{}', '{"a":1}', 'null', 'true', 'false']

/** Numbers at and past the edges: unsafe integers, infinity, negative zero, fractions, non-canonical spellings. */
const HOSTILE_NUMBERS = [
  '1e308',
  '-1e308',
  '1e309',
  '9007199254740993', // 2**53 + 1
  '9007199254740992',
  '-9007199254740993',
  '-0',
  '-1',
  '1.5',
  '0.5',
  '1e-7',
  '2.0',
  '2e0',
  '20e-1',
  '1800000000000.0',
]

/** Characters that change meaning, width, direction or normal form; inserted into an existing string. */
const UNICODE_EDGES = [
  '\ud800', // lone high surrogate (JSON.stringify escapes it)
  '\udc00', // lone low surrogate
  '\u2028',
  '\u2029',
  '\u0000',
  '\u202e', // RTL override
  '\u200d',
  '\u{1f469}\u200d\u{1f4bb}', // emoji ZWJ sequence
  'e\u0301', // non-NFC: e + combining acute
  '\u212b', // ANGSTROM SIGN, NFC-normalises to U+00C5
  '\ufeff',
  '\uffff',
  '\u{10ffff}',
  '\u0085',
]

const FORBIDDEN_MEMBERS = [
  '"__proto__":{"polluted":true}',
  '"__proto__":null',
  '"constructor":{"prototype":{"polluted":true}}',
  '"prototype":{"polluted":true}',
  '"\\u005f_proto__":{"polluted":true}', // the same key, escaped: JSON.parse decodes it
]

/** Field names from other message types, case and spelling variants, and the empty name. */
const EXTRA_KEYS = ['extra', 'Type', 'TYPE', 'sig2', 'requestId', 'ephemeralPub', 'session', 'payload', 'token', 'versions', 'version', 'keyRotation', 'v ', '']

interface JsonOp {
  name: string
  /** The result nests too deep to parse and walk again: no JSON operator may follow. */
  last?: true
  /** Relative frequency (default 1): deep nesting costs tens of milliseconds a line, so it is rarer. */
  weight?: number
  apply(rng: Rng, text: string, obj: Json): string
}

/** True when text[at] is a character of a JSON string's content, not a delimiter or part of an escape. */
function isPlainStringChar(text: string, at: number): boolean {
  let inString = false
  for (let i = 0; i < at; i++) {
    const c = text[i]
    if (!inString) inString = c === '"'
    else if (c === '"') inString = false
    else if (c === '\\') {
      const end = i + (text[i + 1] === 'u' ? 5 : 1)
      if (at <= end) return false
      i = end
    }
  }
  return inString
}

function pickWeighted(rng: Rng, ops: readonly JsonOp[]): JsonOp {
  let roll = rng.next() * ops.reduce((sum, op) => sum + (op.weight ?? 1), 0)
  for (const op of ops) {
    roll -= op.weight ?? 1
    if (roll < 0) return op
  }
  return ops.at(-1)!
}

function anyPath(rng: Rng, obj: Json): Path | null {
  const paths = valuePaths(obj)
  return paths.length ? rng.pick(paths) : null
}

function deepNesting(rng: Rng): string {
  const depth = rng.chance(0.2) ? 100_000 : rng.between(10_000, 20_000)
  switch (rng.int(3)) {
    case 0:
      return '['.repeat(depth) + ']'.repeat(depth)
    case 1:
      return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
    default:
      // A prototype key at the very bottom: the forbidden-key walk must reach it without recursing.
      return '[{"a":'.repeat(depth) + '{"__proto__":{"polluted":true}}' + '}]'.repeat(depth)
  }
}

const JSON_OPS: readonly JsonOp[] = [
  {
    name: 'type-swap',
    apply(rng, text, obj) {
      const path = anyPath(rng, obj)
      if (!path) return text
      // Sometimes another field's value: a key where a different key kind belongs, a nonce where a sig does.
      const other = anyPath(rng, obj)
      const raw = other && rng.chance(0.3) ? JSON.stringify(get(obj, other)) : rng.pick(TYPE_SWAPS)
      return withRaw(obj, path, raw)
    },
  },
  {
    name: 'hostile-number',
    apply(rng, text, obj) {
      const path = anyPath(rng, obj)
      return path ? withRaw(obj, path, rng.pick(HOSTILE_NUMBERS)) : text
    },
  },
  {
    name: 'long-string',
    apply(rng, text, obj) {
      const path = anyPath(rng, obj)
      if (!path) return text
      // Rarely past the 1 MiB + 4 KiB line cap, so the framer's cut-off is exercised mid-stream.
      const length = rng.chance(0.02) ? 1_100_000 : rng.pick([257, 1_025, 4_097, 65_537])
      return withRaw(obj, path, JSON.stringify(rng.pick(['A', 'é', '\u{1f600}', '0']).repeat(length)))
    },
  },
  {
    name: 'deep-nesting',
    last: true,
    weight: 0.15,
    apply(rng, text, obj) {
      const path = anyPath(rng, obj)
      return path ? withRaw(obj, path, deepNesting(rng)) : text
    },
  },
  {
    name: 'unicode-edge',
    apply(rng, text, obj) {
      const strings = valuePaths(obj).filter((p) => typeof get(obj, p) === 'string')
      if (!strings.length) return text
      const path = rng.pick(strings)
      const value = get(obj, path) as string
      const at = rng.int(value.length + 1)
      return withRaw(obj, path, JSON.stringify(value.slice(0, at) + rng.pick(UNICODE_EDGES) + value.slice(at)))
    },
  },
  {
    name: 'escape-respelling',
    apply(rng, text) {
      // The same parsed value, another spelling: one character as \uXXXX, or "/" as "\/".
      const at = rng.int(text.length)
      const ch = text[at]!
      // Not a quote or backslash (they delimit), nor half of a surrogate pair (UTF-8 cannot carry it alone).
      if (ch === '"' || ch === '\\' || (ch >= '\ud800' && ch <= '\udfff')) return text
      const spelled = ch === '/' && rng.chance(0.5) ? '\\/' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
      return isPlainStringChar(text, at) ? text.slice(0, at) + spelled + text.slice(at + 1) : text
    },
  },
  {
    name: 'duplicate-key',
    apply(rng, text, obj) {
      const host = rng.pick(objectPaths(obj))
      const keys = Object.keys(get(obj, host) as Json)
      if (!keys.length) return text
      const key = rng.pick(keys)
      const value = rng.chance(0.5) ? JSON.stringify((get(obj, host) as Json)[key]) : rng.pick(TYPE_SWAPS)
      return spliceMember(obj, host, `${JSON.stringify(key)}:${value}`, rng.chance(0.5))
    },
  },
  {
    name: 'forbidden-key',
    apply(rng, text, obj) {
      const member = rng.pick(FORBIDDEN_MEMBERS)
      if (rng.chance(0.3)) {
        // As a value: the prototype key one or more levels down.
        const path = anyPath(rng, obj)
        if (path) return withRaw(obj, path, rng.chance(0.5) ? `{${member}}` : `[{"x":[{${member}}]}]`)
      }
      return spliceMember(obj, rng.pick(objectPaths(obj)), member, rng.chance(0.5))
    },
  },
  {
    name: 'same-shape',
    apply(rng, text, obj) {
      // A value of the right type and form but different content (a hex digit, a base64
      // character, ±1 on a number), so the line still parses and only a signature can tell.
      const path = anyPath(rng, obj)
      if (!path) return text
      const value = get(obj, path)
      if (typeof value === 'number') return withRaw(obj, path, JSON.stringify(value + (rng.chance(0.5) ? 1 : -1)))
      if (typeof value !== 'string') return text
      // Base64 padding stays: its length is fixed by the data's.
      const end = value.replace(/=+$/, '').length
      if (end === 0) return text
      const alphabet = /^[0-9a-f]+$/.test(value) ? '0123456789abcdef' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
      const at = rng.int(end)
      return withRaw(obj, path, JSON.stringify(value.slice(0, at) + rng.pick([...alphabet]) + value.slice(at + 1)))
    },
  },
  {
    name: 'not-an-object',
    last: true,
    apply(rng, text) {
      // The whole message wrapped as an array element or a string, or replaced by a bare value.
      return rng.pick([`[${text}]`, JSON.stringify(text), '[]', '"hello"', '2', 'null'])
    },
  },
  {
    name: 'reorder-keys',
    apply(rng, text, obj) {
      const host = rng.pick(objectPaths(obj))
      const target = get(obj, host) as Json
      const reordered: Json = {}
      for (const key of rng.shuffle(Object.keys(target))) setOwn(reordered, key, target[key])
      return host.length === 0 ? JSON.stringify(reordered) : withRaw(obj, host, JSON.stringify(reordered))
    },
  },
  {
    name: 'remove-field',
    apply(rng, text, obj) {
      const path = anyPath(rng, obj)
      if (!path) return text
      const copy = structuredClone(obj)
      const parent = get(copy, path.slice(0, -1))
      if (Array.isArray(parent)) parent.splice(path.at(-1) as number, 1)
      else delete (parent as Json)[path.at(-1) as string]
      return JSON.stringify(copy)
    },
  },
  {
    name: 'add-field',
    apply(rng, text, obj) {
      const host = rng.pick(objectPaths(obj))
      const value = rng.chance(0.5) ? rng.pick(TYPE_SWAPS) : JSON.stringify(rng.hex(16))
      return spliceMember(obj, host, `${JSON.stringify(rng.pick(EXTRA_KEYS))}:${value}`, rng.chance(0.5))
    },
  },
]
