/**
 * Reading raw inputs for the config parsers: trimmed values, defaults for empty inputs, and the
 * shared lists of problems and secrets. Records which inputs were read, so a test can keep
 * action.yml and the parsers in step.
 */
export class InputSource {
  readonly problems: string[] = [];
  readonly secrets: string[] = [];
  readonly namesRead = new Set<string>();

  constructor(private readonly read: (name: string) => string) {}

  /** The trimmed value, or `fallback` when the input is empty. */
  value(name: string, fallback = ''): string {
    this.namesRead.add(name);
    const value = this.read(name).trim();
    return value === '' ? fallback : value;
  }

  /** A `true`/`false` input (also yes/no, on/off, 1/0); a problem when it is anything else. */
  boolean(name: string, fallback: boolean): boolean | undefined {
    const text = this.value(name, String(fallback));
    if (/^(true|yes|on|1)$/i.test(text)) return true;
    if (/^(false|no|off|0)$/i.test(text)) return false;
    this.problems.push(`\`${name}\` must be \`true\` or \`false\`, got \`${text}\`.`);
    return undefined;
  }

  /** One of `choices`; a problem naming them when it is anything else. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const text = this.value(name, fallback);
    if ((choices as readonly string[]).includes(text)) return text as T;
    this.problems.push(`\`${name}\` must be one of ${choices.join(', ')}, got \`${text}\`.`);
    return fallback;
  }

  /** A whole number in [min, max]. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.value(name, String(fallback));
    const n = Number(text);
    if (/^\d+$/.test(text) && n >= min && n <= max) return n;
    this.problems.push(`\`${name}\` must be a whole number from ${min} to ${max}, got \`${text}\`.`);
    return fallback;
  }

  /** A duration such as `30s`, `2m`, `1h30m` or `500ms`, in milliseconds. */
  duration(name: string, fallback: string): number {
    const text = this.value(name, fallback);
    const ms = parseDuration(text);
    if (ms !== undefined) return ms;
    this.problems.push(`\`${name}\` must be a duration such as \`30s\`, \`2m\` or \`1h\`, got \`${text}\`.`);
    return parseDuration(fallback)!;
  }

  /** One item per line (or comma-separated), without blanks and `#` comment lines. */
  list(name: string, fallback = ''): string[] {
    return this.value(name, fallback)
      .split(/[\r\n,]+/)
      .map((item) => item.trim())
      .filter((item) => item !== '' && !item.startsWith('#'));
  }

  secret(value: string): void {
    if (value) this.secrets.push(value);
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) return undefined;
  return parts.reduce((total, p) => total + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}
