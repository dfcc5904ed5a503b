import type { InputSource } from './inputs.js';

/** Inputs of this capability, validated; problems go to `inputs.problems`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DatabaseOptions {}

// eslint-disable-next-line @typescript-eslint/no-unused-vars
export function parseDatabaseOptions(inputs: InputSource): DatabaseOptions {
  return {};
}
