// Strict JSON for request bodies bound for the engine (DOCKER-HAZARDS.md "How the
// engine reads request bodies"): Go matches keys case-insensitively, merges
// duplicate objects (last wins), decodes \u escapes in key names and ignores
// trailing content. JSON.parse hides all four, so this parser refuses them and
// callers rebuild the outgoing body from validated values, never these bytes.

import { accept, refuse, type Reason, type Verdict } from '../reasons.ts'

export type Json = null | boolean | number | string | Json[] | JsonObject
/** Objects keep their key order and can hold any key (no prototype to pollute). */
export type JsonObject = Map<string, Json>

/** A create body is 3 levels deep (body → HostConfig → Tmpfs); 8 leaves room and bounds recursion. */
export const MAX_DEPTH = 8

class Stop {
  constructor(
    readonly reason: Reason,
    readonly detail: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const ESCAPES = new Map(Object.entries({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }))

export function parseStrictJson(bytes: Uint8Array): Verdict<Json> {
  let text: string
  try {
    // fatal: invalid UTF-8 is refused (Go would turn it into U+FFFD); ignoreBOM keeps a BOM so it is refused below.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return refuse('PROXY_BODY_NOT_JSON', 'not valid UTF-8')
  }
  try {
    const parser = new Parser(text)
    parser.skipSpace()
    const value = parser.value(0)
    parser.skipSpace()
    if (parser.pos !== text.length) return refuse('PROXY_BODY_TRAILING', `content at offset ${parser.pos}`)
    return accept(value)
  } catch (e) {
    if (e instanceof Stop) return refuse(e.reason, e.detail)
    throw e
  }
}

class Parser {
  pos = 0
  constructor(private readonly s: string) {}

  skipSpace(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return
      this.pos++
    }
  }

  private fail(detail: string): never {
    throw new Stop('PROXY_BODY_NOT_JSON', `${detail} at offset ${this.pos}`)
  }

  value(depth: number): Json {
    const c = this.s[this.pos]
    if (c === '{') return this.object(depth + 1)
    if (c === '[') return this.array(depth + 1)
    if (c === '"') return this.string()
    if (c === 't' || c === 'f' || c === 'n') return this.literal()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number()
    return this.fail(c === undefined ? 'unexpected end' : 'unexpected character')
  }

  private enter(depth: number): void {
    if (depth > MAX_DEPTH) throw new Stop('PROXY_BODY_TOO_DEEP', `deeper than ${MAX_DEPTH} levels`)
    this.pos++
    this.skipSpace()
  }

  private object(depth: number): JsonObject {
    this.enter(depth)
    const out: JsonObject = new Map()
    const folded = new Set<string>()
    if (this.s[this.pos] === '}') {
      this.pos++
      return out
    }
    for (;;) {
      if (this.s[this.pos] !== '"') this.fail('expected a key')
      const key = this.key()
      if (out.has(key)) throw new Stop('PROXY_DUPLICATE_KEY', `key "${key}"`)
      // Keys are printable ASCII here, so ASCII lower-casing is exactly Go's fold.
      const fold = key.toLowerCase()
      if (folded.has(fold)) throw new Stop('PROXY_KEY_CASE_COLLISION', `key "${key}"`)
      folded.add(fold)
      this.skipSpace()
      if (this.s[this.pos] !== ':') this.fail('expected :')
      this.pos++
      this.skipSpace()
      out.set(key, this.value(depth))
      this.skipSpace()
      const sep = this.s[this.pos++]
      if (sep === '}') return out
      if (sep !== ',') this.fail('expected , or }')
      this.skipSpace()
    }
  }

  private array(depth: number): Json[] {
    this.enter(depth)
    const out: Json[] = []
    if (this.s[this.pos] === ']') {
      this.pos++
      return out
    }
    for (;;) {
      out.push(this.value(depth))
      this.skipSpace()
      const sep = this.s[this.pos++]
      if (sep === ']') return out
      if (sep !== ',') this.fail('expected , or ]')
      this.skipSpace()
    }
  }

  /** Key names must be literal printable ASCII: Go decodes \u escapes and folds Unicode (ſ→s, K→k) in them. */
  private key(): string {
    const start = ++this.pos
    for (;;) {
      const c = this.s.charCodeAt(this.pos)
      if (Number.isNaN(c)) this.fail('unterminated key')
      if (c === 0x22) break
      if (c === 0x5c || c < 0x20 || c > 0x7e) {
        throw new Stop('PROXY_ESCAPED_KEY', `key at offset ${start - 1}`)
      }
      this.pos++
    }
    return this.s.slice(start, this.pos++)
  }

  private string(): string {
    let out = ''
    let run = ++this.pos
    for (;;) {
      const c = this.s.charCodeAt(this.pos)
      if (Number.isNaN(c)) this.fail('unterminated string')
      if (c < 0x20) this.fail('control character in string')
      if (c === 0x22) break
      if (c !== 0x5c) {
        this.pos++
        continue
      }
      out += this.s.slice(run, this.pos)
      const e = this.s[this.pos + 1] ?? ''
      if (e === 'u') {
        const hex = this.s.slice(this.pos + 2, this.pos + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape')
        out += String.fromCharCode(parseInt(hex, 16))
        this.pos += 6
      } else {
        const decoded = ESCAPES.get(e)
        if (decoded === undefined) this.fail('bad escape')
        out += decoded
        this.pos += 2
      }
      run = this.pos
    }
    out += this.s.slice(run, this.pos++)
    // Go replaces unpaired surrogates with U+FFFD; refusing keeps what we check equal to what runs.
    if (LONE_SURROGATE.test(out)) this.fail('unpaired surrogate')
    return out
  }

  private literal(): boolean | null {
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length
        return value
      }
    }
    return this.fail('unexpected character')
  }

  private number(): number {
    NUMBER.lastIndex = this.pos
    const m = NUMBER.exec(this.s)
    if (m === null) return this.fail('bad number')
    this.pos += m[0].length
    const n = Number(m[0])
    if (!Number.isFinite(n)) this.fail('number out of range')
    return n
  }
}
