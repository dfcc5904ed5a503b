/**
 * Masking rules: what the `masking` input says, and the SQL expression each rule becomes. Pure:
 * the expressions run inside production's `COPY (SELECT …)`, so real values never leave it.
 */

export const MASK_RULES = ['email', 'email-keep-domain', 'name', 'phone', 'text', 'hash', 'uuid', 'null', 'keep'] as const;
export type MaskRuleName = (typeof MASK_RULES)[number] | 'fixed' | 'sql';

export interface MaskRule {
  schema: string;
  table: string;
  column: string;
  rule: MaskRuleName;
  /** The value of `fixed:<value>` or the expression of `sql:<expression>`. */
  argument?: string;
  /** The line as written, for messages. */
  text: string;
}

/** The custom setting the keyed rules read the key from (set with a bound value, never spliced into SQL). */
export const SALT_SETTING = 'p2s.masking_salt';

const IDENT = '[A-Za-z_][A-Za-z0-9_$]*';
const LINE = new RegExp(`^(?:(${IDENT})\\.)?(${IDENT})\\.(${IDENT})\\s*:\\s*(.+)$`);

/** Parses `schema.table.column: rule` lines (`#` comments, blank lines ignored); problems say what to write. */
export function parseMaskRules(text: string): { rules: MaskRule[]; problems: string[] } {
  const rules: MaskRule[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) {
      problems.push(`\`masking\` line \`${line}\` is not \`schema.table.column: rule\` (e.g. \`public.users.email: email\`).`);
      continue;
    }
    const [, schema = 'public', table, column, ruleText] = match as unknown as [string, string | undefined, string, string, string];
    const ruleName = ruleText.trim();
    let rule: MaskRuleName;
    let argument: string | undefined;
    if (ruleName.startsWith('fixed:')) {
      rule = 'fixed';
      argument = ruleName.slice('fixed:'.length);
    } else if (ruleName.startsWith('sql:')) {
      rule = 'sql';
      argument = ruleName.slice('sql:'.length).trim();
      if (!argument) problems.push(`\`masking\` line \`${line}\`: \`sql:\` needs an expression (e.g. \`sql:'user' || id\`).`);
    } else if ((MASK_RULES as readonly string[]).includes(ruleName)) {
      rule = ruleName as MaskRuleName;
    } else {
      problems.push(`\`masking\` line \`${line}\`: unknown rule \`${ruleName}\`; rules are ${[...MASK_RULES, 'fixed:<value>', 'sql:<expression>'].map((r) => `\`${r}\``).join(', ')}.`);
      continue;
    }
    const key = `${schema}.${table}.${column}`;
    if (seen.has(key)) problems.push(`\`masking\` names \`${key}\` twice: keep one rule per column.`);
    seen.add(key);
    rules.push({ schema, table, column, rule, argument, text: line });
  }
  return { rules, problems };
}

/** Rules producing text: they fit string columns only. */
const TEXT_RULES = new Set<MaskRuleName>(['email', 'email-keep-domain', 'name', 'phone', 'text', 'hash']);

/**
 * Why `rule` cannot fill a column of this type (pg_type.typcategory: S string, U user, …), or
 * undefined when it can. `fixed` and `sql` are checked by production's server itself.
 */
export function ruleTypeProblem(rule: MaskRule, column: { type: string; category: string; notNull: boolean; generated: boolean }): string | undefined {
  const where = `\`${rule.schema}.${rule.table}.${rule.column}\``;
  if (column.generated) return `\`masking\` names ${where}, a generated column (staging computes it): remove the rule.`;
  if (TEXT_RULES.has(rule.rule) && column.category !== 'S') return `\`masking\` rule \`${rule.rule}\` makes text, and ${where} is ${column.type}: use \`null\`, \`fixed:<value>\` or \`sql:<expression>\`.`;
  if (rule.rule === 'uuid' && column.type !== 'uuid' && column.category !== 'S') return `\`masking\` rule \`uuid\` makes a uuid, and ${where} is ${column.type}.`;
  if (rule.rule === 'null' && column.notNull) return `\`masking\` rule \`null\` on ${where}, which is NOT NULL: use another rule.`;
  return undefined;
}

/**
 * The SQL expression that replaces `column` (already quoted) in production's SELECT. Keyed rules
 * hash the value with the salt (a setting of the session), so equal values stay equal and distinct
 * values stay distinct: unique constraints and joins on a masked column keep working.
 */
export function maskExpression(rule: MaskRule, column: string): string {
  const digest = `encode(sha256(convert_to(current_setting('${SALT_SETTING}') || ':' || ${column}::text, 'UTF8')), 'hex')`;
  switch (rule.rule) {
    case 'keep':
      return column;
    case 'null':
      return 'NULL';
    case 'email':
      return `CASE WHEN ${column} IS NULL THEN NULL ELSE 'user_' || left(${digest}, 20) || '@example.com' END`;
    case 'email-keep-domain':
      return `CASE WHEN ${column} IS NULL THEN NULL ELSE 'user_' || left(${digest}, 20) || '@' || coalesce(substring(${column}::text from '@([^@]*)$'), 'example.com') END`;
    case 'name':
      return `CASE WHEN ${column} IS NULL THEN NULL ELSE 'Person ' || upper(left(${digest}, 8)) END`;
    case 'phone':
      return `CASE WHEN ${column} IS NULL THEN NULL ELSE '+1555' || lpad((('x' || left(${digest}, 8))::bit(32)::bigint % 10000000)::text, 7, '0') END`;
    case 'text':
      // Same length and word shapes; every other character becomes x.
      return `regexp_replace(${column}::text, '\\S', 'x', 'g')`;
    case 'hash':
      return `CASE WHEN ${column} IS NULL THEN NULL ELSE ${digest} END`;
    case 'uuid':
      return `CASE WHEN ${column} IS NULL THEN NULL ELSE left(${digest}, 32)::uuid END`;
    case 'fixed':
      return quoteLiteral(rule.argument ?? '');
    case 'sql':
      return `(${rule.argument})`;
  }
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Column names that usually hold personal data. */
const PERSONAL_NAME =
  /(^|_)(e_?mail|phone|mobile|first_?name|last_?name|full_?name|surname|given_?name|address|street|postcode|zip_?code|ssn|social_security|birth|dob|ip_?address|ip|password|passwd|token|secret|iban|card_?number|tax_?id|national_?id)($|_)/i;

export function looksPersonal(column: string): boolean {
  return PERSONAL_NAME.test(column);
}
