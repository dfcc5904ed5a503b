/**
 * PostgreSQL messages quote row values: `DETAIL: Key (email)=(alice@example.com) already exists.`,
 * `Failing row contains (1, alice@example.com, …).`, `CONTEXT: COPY users, line 3: "1\talice@…"`.
 * Those are production's (or staging's) data and must never reach a log, summary or comment.
 */

/** A line that starts a new message (or field) in libpq / pg_dump / pg_restore output. */
const MESSAGE_START = /^(?:pg_restore|pg_dump|psql)(?:\[\d+\])?:|^\s*(?:ERROR|FATAL|PANIC|DETAIL|CONTEXT|HINT|WARNING|NOTICE|STATEMENT|QUERY|LINE \d+|Command was):/;

const HIDDEN = '…';

/** The same text with every quoted row or key value replaced by `…`; names are kept. */
export function hideRowValues(text: string): string {
  const body = text.replace(/\n+$/, '');
  const chunks: string[] = [];
  for (const line of body.split('\n')) {
    if (chunks.length === 0 || MESSAGE_START.test(line)) chunks.push(line);
    else chunks[chunks.length - 1] += `\n${line}`; // a value holding a newline continues its message
  }
  return chunks.map(hideInMessage).join('\n') + text.slice(body.length);
}

function hideInMessage(message: string): string {
  return (
    message
      // Key (email)=(alice@…) already exists / is not present in table "t" / conflicts with existing key (id)=(3).
      .replace(
        /(\b[Kk]ey \((?:[^()]|\([^()]*\))*\)=\()[\s\S]*?(?=\) already exists|\) is not present in table|\) is still referenced from table|\) conflicts with existing key|\)\.?\s*$)/g,
        `$1${HIDDEN}`,
      )
      // Failing row contains (1, alice@…, 078-05-1120).
      // (a value may hold a newline: the row ends at a `)` that ends a line)
      .replace(/(Failing row contains \()[\s\S]*?\)(?=\.?[ \t]*(?:\n|$))/g, `$1${HIDDEN})`)
      // COPY users, line 3: "<row>"  /  COPY users, line 3, column email: "<value>"
      .replace(/(\bCOPY [^\n,]+, line \d+(?:, column [^:\n]+)?): [\s\S]*$/g, '$1')
      // invalid input syntax for type integer: "abc"; malformed array literal: "{…"
      .replace(/((?:invalid input (?:syntax|value) for [^:\n]+|malformed (?:array|record|range|multirange) literal|value too long for type [^:\n]+)): "[\s\S]*$/g, `$1: "${HIDDEN}"`)
      // value "99999999999" is out of range for type integer
      .replace(/\bvalue "(?:[^"]|"")*" is out of range/g, `value "${HIDDEN}" is out of range`)
      // JSON input: Token "…" is invalid.
      .replace(/\bToken "[\s\S]*?" is invalid/g, `Token "${HIDDEN}" is invalid`)
  );
}
