import type { InputSource } from './inputs.js';

/** Repository roles GitHub reports for a collaborator, highest first. */
export const PERMISSION_LEVELS = ['admin', 'maintain', 'write', 'triage', 'read'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export const DEFAULT_COMMAND = '/refresh-staging';
export const DEFAULT_ALLOWED_PERMISSIONS = 'admin,maintain,write';

/** How a pull-request comment asks for a refresh, and who may ask. */
export interface TriggerOptions {
  /** The word a comment's first line must start with, e.g. `/refresh-staging`. */
  command: string;
  /** Repository roles whose comments are obeyed. */
  allowedPermissions: PermissionLevel[];
}

export function parseTriggerOptions(inputs: InputSource): TriggerOptions {
  const command = inputs.value('command', DEFAULT_COMMAND);
  if (!/^\/[A-Za-z0-9][\w-]*$/.test(command)) {
    inputs.problems.push(`\`command\` must be a slash command such as \`${DEFAULT_COMMAND}\` (a slash, then letters, digits, - or _), got \`${command}\`.`);
  }
  const allowedPermissions: PermissionLevel[] = [];
  const listed = inputs.list('allowed-permissions', DEFAULT_ALLOWED_PERMISSIONS).map((l) => l.toLowerCase());
  for (const level of listed) {
    if ((PERMISSION_LEVELS as readonly string[]).includes(level)) allowedPermissions.push(level as PermissionLevel);
    else inputs.problems.push(`\`allowed-permissions\` may list only ${PERMISSION_LEVELS.join(', ')}, got \`${level}\`.`);
  }
  if (listed.length === 0) {
    inputs.problems.push(`\`allowed-permissions\` is empty: list the repository roles that may run the command, e.g. \`${DEFAULT_ALLOWED_PERMISSIONS}\`.`);
  }
  return { command, allowedPermissions };
}
