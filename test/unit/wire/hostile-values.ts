// Hostile values every wire parser is fed (STYLE.md: a shared list, as noble's
// test/utils.ts keeps). Raw JSON texts, because 1e309 or -0 do not survive
// JSON.stringify. Not a test file: the *.test.ts files import it.

/** Never a valid value of any message field: wrong type, negative, fractional, unsafe or infinite. */
export const HOSTILE_NON_STRINGS: readonly string[] = [
  'null',
  'true',
  'false',
  '-1',
  '1.5',
  '0.1',
  '1e-7',
  '1e309',
  '-1e309',
  '9007199254740992',
  '18446744073709551616',
  '[]',
  '[null]',
  '["2"]',
  '[[]]',
  '{}',
]

/** Strings that are never a key, hex id, number or signature (some are valid sessions or payloads). */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '1e309',
  '0x10',
  '2',
  'true',
  'null',
  '__proto__',
  '\ud800',
  '\udc00\ud800',
  '\u0000',
  'é'.repeat(32),
  'A'.repeat(100_000),
].map((s) => JSON.stringify(s))

/** Whole lines that must be refused, and must not throw, hang or recurse. */
export const HOSTILE_LINES: readonly string[] = [
  '',
  ' ',
  '\ufeff{}',
  '{',
  '}',
  '{"type":"hello",}',
  "{'type':'hello'}",
  '{"type":"hello"',
  '{"type":"\\x"}',
  '{"type":"\\ud800"}',
  '{"type":"a\u0000b"}',
  '{"type":"hello"}\u0000',
  'NaN',
  'Infinity',
  '1e309',
  '[' + '1,'.repeat(1_000_000) + '1]',
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
  `{"type":"log","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
  `{"type":"hello","versions":[${'2,'.repeat(1_000_000)}2]}`,
  `{"type":"log","session":"${'x'.repeat(2_000_000)}"}`,
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
]
