import type { InputSource } from './inputs.js';

/** Inputs of this capability, validated; problems go to `inputs.problems`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AwsOptions {}

// eslint-disable-next-line @typescript-eslint/no-unused-vars
export function parseAwsOptions(inputs: InputSource): AwsOptions {
  return {};
}
