import { compileExclusions, parseExclusions, type ExclusionRule } from '../s3/exclusions.js';
import type { InputSource } from './inputs.js';

/** How objects get from the source bucket into the target bucket. */
export const COPY_METHODS = ['auto', 'server-side', 'stream'] as const;
export type CopyMethod = (typeof COPY_METHODS)[number];

export const DEFAULT_COPY_METHOD: CopyMethod = 'auto';
/** Objects copied at once. Chosen with `npm run bench:s3` (see README, Images refresh). */
export const DEFAULT_IMAGES_CONCURRENCY = 64;
export const DEFAULT_MAX_DELETE = 1000;

/** Inputs of the images engine, validated; problems go to `inputs.problems`. */
export interface ImagesOptions {
  copyMethod: CopyMethod;
  /** Objects copied at the same time. */
  concurrency: number;
  /** Delete target objects the source lacks (never excluded ones). */
  delete: boolean;
  /** Refuse (before deleting anything) when more than this many objects would be deleted. */
  maxDelete: number;
}

export function parseImagesOptions(inputs: InputSource): ImagesOptions {
  return {
    copyMethod: inputs.choice('copy-method', COPY_METHODS, DEFAULT_COPY_METHOD),
    concurrency: inputs.integer('concurrency', DEFAULT_IMAGES_CONCURRENCY, 1, 512),
    delete: inputs.boolean('delete', false) ?? false,
    maxDelete: inputs.integer('max-delete', DEFAULT_MAX_DELETE, 0, 10_000_000),
  };
}

/** What an empty `exclusions` input means: deployment packages, import files, the scraper's area. */
export const DEFAULT_EXCLUSIONS = 'lambda/\ndeploy/\ndata-import/\nlistings/';
/** `exclusions: none`: nothing excluded (an empty input means the defaults). */
export const NO_EXCLUSIONS = 'none';

/** The `exclusions` input, compiled; each bad pattern goes to `inputs.problems`. */
export function parseExclusionsInput(inputs: InputSource): ExclusionRule[] {
  const patterns = parseExclusions(inputs.value('exclusions', DEFAULT_EXCLUSIONS));
  const isNone = (pattern: string) => pattern.toLowerCase() === NO_EXCLUSIONS;
  if (patterns.length === 1 && isNone(patterns[0]!)) return [];
  if (patterns.some(isNone)) {
    inputs.problems.push(
      `\`exclusions\` holds \`${NO_EXCLUSIONS}\` among other patterns: \`${NO_EXCLUSIONS}\` alone means nothing is excluded; remove it, or write \`\\${NO_EXCLUSIONS}\` for a key named \`${NO_EXCLUSIONS}\`.`,
    );
  }
  const { rules, problems } = compileExclusions(patterns.filter((pattern) => !isNone(pattern)));
  for (const { pattern, reason } of problems) inputs.problems.push(`\`exclusions\` holds \`${pattern}\`, which is not a valid pattern: ${reason}.`);
  return rules;
}
