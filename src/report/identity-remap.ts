import { formatCount, plural } from './format.js';
import type { IdentityRemapReport } from './model.js';

const UNMATCHED_WORDS = {
  null: 'subject cleared',
  keep: "subject kept as production had it",
  fail: 'the refresh was refused',
} as const;

/**
 * The remap in one sentence, for the log and the summary. Counts and names only: the e-mails and
 * subs it matched are personal data and never appear.
 */
export function identityRemapLine(remap: IdentityRemapReport, targetName: string): string {
  const where = `\`${remap.table}.${remap.subjectColumn}\``;
  const head = `${where} re-pointed at ${targetName}'s Cognito pool \`${remap.userPoolId}\` (${plural(remap.poolUsers, 'user')} listed, matched on \`${remap.emailColumn}\`)`;
  if (remap.rowsUpdated === undefined) return `${head}: not done`;
  const parts = [`${plural(remap.rowsUpdated, 'row')} set to their pool user's \`sub\``];
  const unmatched = remap.rowsUnmatched ?? 0;
  parts.push(`${plural(unmatched, 'row')} without a pool user${unmatched > 0 ? `: ${UNMATCHED_WORDS[remap.unmatchedPolicy]}` : ''} (\`identity-unmatched: ${remap.unmatchedPolicy}\`)`);
  parts.push(`${plural(remap.poolUsersWithoutRow ?? 0, 'pool user')} without a row`);
  if (remap.ambiguousEmails) {
    parts.push(`${formatCount(remap.ambiguousEmails)} e-mail ${remap.ambiguousEmails === 1 ? 'address' : 'addresses'} shared by several pool users (their rows count as without a pool user)`);
  }
  if (remap.poolUsersWithoutEmail) parts.push(`${plural(remap.poolUsersWithoutEmail, 'pool user')} without an e-mail`);
  if (remap.rowsWithoutIdentity) parts.push(`${plural(remap.rowsWithoutIdentity, 'row')} with neither a subject nor a pool user left as they are`);
  return `${head}: ${parts.join('; ')}.`;
}
