/**
 * S3 key exclusion patterns, as documented for the `exclusions` input:
 * - a pattern ending in `/` is a key prefix (`lambda/` excludes `lambda/a.zip` and `lambda/x/y`);
 * - any other pattern is a glob matched against the whole key: `*` and `?` stay within one
 *   path segment, `**` crosses `/`;
 * - blank lines and lines starting with `#` are ignored.
 */
export interface ExclusionRule {
  pattern: string;
  test(key: string): boolean;
}

export function parseExclusions(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export function compileExclusion(pattern: string): ExclusionRule {
  if (pattern.endsWith('/')) return { pattern, test: (key) => key.startsWith(pattern) };
  const regex = globToRegExp(pattern);
  return { pattern, test: (key) => regex.test(key) };
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      // `**/` also matches zero directories, so `**/x.jpg` matches `x.jpg`.
      if (glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (ch === '*') {
      source += '[^/]*';
    } else if (ch === '?') {
      source += '[^/]';
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

/** Returns the first rule matching `key`, or undefined when the key is to be copied. */
export function matchExclusion(rules: readonly ExclusionRule[], key: string): ExclusionRule | undefined {
  return rules.find((rule) => rule.test(key));
}
