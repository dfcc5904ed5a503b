export const ROLLED_BACK = 'unchanged (the transaction was rolled back)';
export const NOTHING_WRITTEN = 'unchanged (nothing was written)';
export const COMMIT_UNKNOWN =
  'unknown: the connection dropped while COMMIT was under way, so the refresh may or may not have been committed; check staging (or run again, which replaces it as a whole)';

/** A refresh failure: says which table and why, and the state staging is in (rolled back unless it says otherwise). */
export class RefreshError extends Error {
  constructor(
    message: string,
    readonly targetState: string = ROLLED_BACK,
  ) {
    super(message);
  }
}

