// Auto-accept rules (SECURITY.md "Auto-Accept Rules"): a rule is an exact
// name, `*`, or names joined by `|`. Matching follows friend-line `to`
// matching: a leading `@` is ignored and case does not matter. Accepting a
// friend this way still grants only `message` (friends/model.ts addFriend).

const MAX_RULE_CHARS = 512

export function normaliseName(name: string): string {
  return name.replace(/^@/, '').normalize('NFC').toLowerCase()
}

/** A rule as stored: trimmed, non-empty alternatives, no whitespace inside names. */
export function parseRule(rule: string): string[] | null {
  if (typeof rule !== 'string' || rule.length === 0 || rule.length > MAX_RULE_CHARS) return null
  const parts = rule.trim().split('|').map((p) => p.trim())
  if (parts.some((p) => p.length === 0 || /\s/.test(p))) return null
  return parts
}

export function matchesAutoAccept(rules: readonly string[], requesterName: string): boolean {
  const who = normaliseName(requesterName)
  return rules.some((rule) => (parseRule(rule) ?? []).some((alt) => alt === '*' || normaliseName(alt) === who))
}
