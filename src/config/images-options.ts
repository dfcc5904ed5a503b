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
