// One small typed JSON state file (friends.json, peers.json, access.json; DESIGN.md
// "State"). Missing means "not yet written"; anything unreadable is an error that
// names the file, never a silent reset to empty (that would drop friends or grants).

import { WoprP2PError } from '../reasons.ts'
import { readSecureFile, writeFileAtomic } from './atomic-file.ts'

export interface JsonFileOptions<T> {
  /** Returns the typed value or throws saying what is wrong (a zod schema's `parse` fits). */
  validate: (value: unknown) => T
  /** The value of a file that does not exist yet; a function so callers never share one mutable default. */
  defaultValue: () => T
}

export class JsonFile<T> {
  constructor(
    readonly path: string,
    private readonly options: JsonFileOptions<T>,
  ) {}

  load(): T {
    const bytes = readSecureFile(this.path)
    if (bytes === null) return this.options.defaultValue()
    let parsed: unknown
    try {
      // fatal: invalid UTF-8 is corruption, not something to paper over with U+FFFD.
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    } catch (err) {
      throw this.corrupt(`is not valid JSON (${(err as Error).message})`)
    }
    try {
      return this.options.validate(parsed)
    } catch (err) {
      throw this.corrupt(`does not have the expected shape (${err instanceof Error ? err.message : String(err)})`)
    }
  }

  save(value: T): void {
    writeFileAtomic(this.path, `${JSON.stringify(value, null, 2)}\n`)
  }

  private corrupt(what: string): WoprP2PError {
    return new WoprP2PError('STORE_CORRUPT', `state file ${this.path} ${what}`, `restore ${this.path} from a backup or move it aside; it is never reset automatically`)
  }
}
