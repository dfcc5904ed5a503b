import { compileGlobList, GlobSyntaxError, selectingRule, splitPatterns, type GlobListProblem, type GlobRule } from '../glob/glob.js';

/**
 * S3 key exclusion patterns, as documented for the `exclusions` input (syntax: src/glob/glob.ts):
 * - a pattern ending in `/` excludes every key under it (`lambda/` excludes `lambda/a.zip` and `lambda/x/y`);
 * - any other pattern is a glob matched against the whole key;
 * - `!pattern` re-includes keys an earlier pattern excluded: the last matching pattern decides;
 * - one pattern per line (a comma is part of a pattern: keys may hold commas); blank lines and
 *   lines starting with `#` are ignored.
 */
export type ExclusionRule = GlobRule;

export function parseExclusions(text: string): string[] {
  return splitPatterns(text, { commas: false });
}

/** Compiles the patterns in order; each bad one is a problem (reason in words), not an exception. */
export function compileExclusions(patterns: readonly string[]): { rules: ExclusionRule[]; problems: GlobListProblem[] } {
  return compileGlobList(patterns, { negation: true, trailingSlashIsPrefix: true, textsNeverStartWithSlash: 'S3 keys' });
}

/** One pattern alone (tests and benchmarks); throws when it is not valid. */
export function compileExclusion(pattern: string): ExclusionRule {
  const { rules, problems } = compileExclusions([pattern]);
  if (problems.length > 0) throw new GlobSyntaxError(`\`${pattern}\`: ${problems[0]!.reason}`);
  return rules[0]!;
}

/** The rule that excludes `key`, or undefined when the key is to be copied. */
export function matchExclusion(rules: readonly ExclusionRule[], key: string): ExclusionRule | undefined {
  return selectingRule(rules, key);
}
