/**
 * PostgreSQL puts row values into error texts (`DETAIL: Failing row contains (…)`, `Key (…)=(…)`,
 * `CONTEXT: COPY t, line 3, column c: "…"`, `invalid input syntax for type …: "…"`). Those texts
 * reach the log, the summary, the JSON report and the pull-request reply, which may be public:
 * the values are removed here, while table, column and constraint names stay (they say what to fix).
 */

export const HIDDEN = '(row values hidden)';

/** Each shape that carries values, and what is left of it. Lines are handled one at a time (`m`). */
const RULES: { pattern: RegExp; keep: (...groups: string[]) => string }[] = [
  // A value may hold parentheses, quotes or anything else: everything after the `(` goes.
  { pattern: /(Failing row contains )\(.*$/gim, keep: (lead) => `${lead}${HIDDEN}.` },
  // `Key (email)=(a@b.c) already exists.`, `… is not present in table "authors".`, `… is still
  // referenced from table "books".`, `… conflicts with existing key (a)=(b).`: keep the columns
  // (expressions may hold parentheses) and the known ending; without one, everything after `=(`.
  {
    pattern: /(\bkey \(.*?\))=\((?:.*?\)(?=\s+(?:already exists|is not present|is still referenced|conflicts with existing key)\b)|.*$)/gim,
    keep: (columns) => `${columns}=${HIDDEN}`,
  },
  // `COPY books, line 3, column email: "alice@…"` and `COPY books, line 3: "1\talice@…"`.
  { pattern: /(\bCOPY [^,\n]+, line \d+(?:, column [^:\n]+)?): .*$/gim, keep: (where) => `${where}: ${HIDDEN}` },
  // `invalid input syntax for type integer: "abc"`, `invalid input value for enum mood: "sad"`.
  { pattern: /(\binvalid input (?:syntax|value) for (?:type|enum) [^:\n]+): .*$/gim, keep: (what) => `${what}: ${HIDDEN}` },
  // JSON input errors: `DETAIL: Token "…" is invalid.`
  { pattern: /(\bToken )".*?"( is invalid)/gim, keep: (lead, tail) => `${lead}${HIDDEN}${tail}` },
];

/** `text` with every row value PostgreSQL put into it replaced by a note; anything else unchanged. */
export function hideRowValues(text: string): string {
  let out = text;
  for (const { pattern, keep } of RULES) {
    out = out.replace(pattern, (_match, ...groups: unknown[]) => keep(...(groups.slice(0, -2) as string[])));
  }
  return out;
}
