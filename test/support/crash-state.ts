// Shared by crash-writer.ts (the child) and crash-safety.test.ts (the parent): the state
// files the child keeps rewriting and how both sides read them. The padding's length follows
// the counter, so a file mixing two writes fails validation even if it happens to parse.

import { join } from 'node:path'
import { JsonFile } from '../../src/store/json-file.ts'

export const COUNTER_FILES = ['friends.json', 'peers.json', 'access.json']
export const REPLAY_FILE = 'replay.jsonl'
/** Small, so journal compactions (atomic rewrites) happen often enough to be killed mid-way. */
export const REPLAY_OPTIONS = { compactAfter: 200 }

export interface Counter {
  counter: number
  pad: string
}

const padFor = (counter: number) => 'x'.repeat((counter * 37) % 4000)

export function counterValue(counter: number): Counter {
  return { counter, pad: padFor(counter) }
}

export function counterFile(dir: string, name: string): JsonFile<Counter> {
  return new JsonFile(join(dir, name), {
    validate: (value) => {
      const { counter, pad } = value as Counter
      if (!Number.isSafeInteger(counter) || pad !== padFor(counter)) throw new TypeError('counter and padding disagree')
      return { counter, pad }
    },
    defaultValue: () => counterValue(0),
  })
}
