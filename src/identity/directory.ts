/** A pool user's attributes by name (`email`, `sub`, …), as ListUsers returns them. */
export type PoolUserAttributes = Record<string, string>;

/**
 * The pool's users reduced to what the remap matches on: parallel lists of e-mail and `sub`
 * (sent to staging as two array parameters). Addresses are compared case-insensitively by
 * PostgreSQL's `lower()` on both sides, so both sides fold case the same way.
 */
export interface PoolDirectory {
  emails: string[];
  subs: string[];
  /** Users the pool listed. */
  users: number;
  /** Users without an `email` (or `sub`) attribute: nothing to match them on. */
  withoutEmail: number;
}

export function poolDirectory(users: PoolUserAttributes[]): PoolDirectory {
  const emails: string[] = [];
  const subs: string[] = [];
  let withoutEmail = 0;
  for (const user of users) {
    const email = user.email?.trim();
    const sub = user.sub?.trim();
    if (!email || !sub) {
      withoutEmail++;
      continue;
    }
    emails.push(email);
    subs.push(sub);
  }
  return { emails, subs, users: users.length, withoutEmail };
}
