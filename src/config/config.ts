import { parseDatabaseUrl, type DatabaseUrl } from './database-url.js';
import { compileExclusion, parseExclusions, type ExclusionRule } from '../s3/exclusions.js';

export const MODES = ['full', 'db-only', 'images-only'] as const;
export type Mode = (typeof MODES)[number];

/** Defaults applied when an input is empty; they mirror action.yml (a test keeps the two equal). */
export const INPUT_DEFAULTS: Readonly<Record<string, string>> = {
  mode: 'full',
  'dry-run': 'false',
  'source-name': 'production',
  'target-name': 'staging',
  exclusions: 'lambda/\ndeploy/\ndata-import/\nlistings/',
  'aws-region': 'us-east-1',
  'count-table': 'books',
};

export interface TableName {
  schema: string;
  name: string;
}

export interface EnvironmentConfig {
  /** Human name, e.g. `production`; used in confirmation, log and summary. */
  name: string;
  database?: DatabaseUrl;
  bucket?: string;
  apiUrl?: string;
}

export interface SyncConfig {
  mode: Mode;
  dryRun: boolean;
  source: EnvironmentConfig;
  target: EnvironmentConfig;
  exclusions: ExclusionRule[];
  s3Endpoint?: string;
  awsRegion: string;
  countTable: TableName;
  githubToken: string;
}

export type InputReader = (name: string) => string;

export type ConfigResult =
  | { ok: true; config: SyncConfig; secrets: string[] }
  | { ok: false; problems: string[]; secrets: string[] };

export const touchesDatabase = (mode: Mode): boolean => mode !== 'images-only';
export const touchesImages = (mode: Mode): boolean => mode !== 'db-only';

/**
 * Turns raw action inputs into one validated config. Every problem is collected so the user
 * can fix them all in one go; secrets found in the inputs are returned even when the inputs
 * are invalid, so the caller can mask them before printing anything.
 */
export function buildConfig(readInput: InputReader): ConfigResult {
  const problems: string[] = [];
  const secrets: string[] = [];
  const input = (name: string): string => {
    const value = readInput(name).trim();
    return value === '' ? (INPUT_DEFAULTS[name] ?? '') : value;
  };

  const modeText = input('mode');
  const mode = (MODES as readonly string[]).includes(modeText) ? (modeText as Mode) : undefined;
  if (!mode) problems.push(`\`mode\` must be one of ${MODES.join(', ')}, got \`${modeText}\`.`);

  const dryRun = parseBoolean('dry-run', input('dry-run'), problems);

  const sourceName = input('source-name');
  const targetName = input('target-name');
  if (sourceName === targetName) {
    problems.push(
      `\`source-name\` and \`target-name\` are both \`${targetName}\`: the run would copy an environment onto itself. Give the target its own name (e.g. \`staging\`).`,
    );
  }

  const githubToken = readInput('github-token').trim();
  if (githubToken) secrets.push(githubToken);

  const side = (role: 'source' | 'target', name: string): EnvironmentConfig => {
    const env: EnvironmentConfig = { name };
    const urlText = readInput(`${role}-database-url`).trim();
    if (urlText) {
      secrets.push(urlText, ...passwordOf(urlText));
      const parsed = parseDatabaseUrl(urlText);
      if ('error' in parsed) {
        problems.push(`\`${role}-database-url\` is not a valid PostgreSQL URL: ${parsed.error}.`);
      } else {
        if (parsed.password) secrets.push(parsed.password);
        env.database = parsed;
      }
    } else if (mode && touchesDatabase(mode)) {
      problems.push(`\`${role}-database-url\` is required when \`mode\` is \`${mode}\` (or use \`mode: images-only\`).`);
    }
    const bucketText = readInput(`${role}-bucket`).trim();
    if (bucketText) {
      const bucket = bucketText.replace(/^s3:\/\//, '').replace(/\/+$/, '');
      if (!/^[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]$/.test(bucket)) {
        problems.push(
          `\`${role}-bucket\` must be an S3 bucket name (3–63 lowercase letters, digits, dots or hyphens), got \`${bucketText}\`.`,
        );
      } else {
        env.bucket = bucket;
      }
    } else if (mode && touchesImages(mode)) {
      problems.push(`\`${role}-bucket\` is required when \`mode\` is \`${mode}\` (or use \`mode: db-only\`).`);
    }
    const apiText = readInput(`${role}-api-url`).trim();
    if (apiText) {
      const api = parseHttpUrl(apiText);
      if (api) env.apiUrl = api.replace(/\/+$/, '');
      else problems.push(`\`${role}-api-url\` must be an http(s) URL such as https://api.example.com, got \`${apiText}\`.`);
    }
    return env;
  };
  const source = side('source', sourceName);
  const target = side('target', targetName);

  const s3EndpointText = readInput('s3-endpoint').trim();
  let s3Endpoint: string | undefined;
  if (s3EndpointText) {
    s3Endpoint = parseHttpUrl(s3EndpointText)?.replace(/\/+$/, '');
    if (!s3Endpoint) problems.push(`\`s3-endpoint\` must be an http(s) URL such as http://localhost:9000, got \`${s3EndpointText}\`.`);
  }
  if (source.bucket && source.bucket === target.bucket) {
    problems.push(
      `\`source-bucket\` and \`target-bucket\` are the same bucket (\`${source.bucket}\`${s3Endpoint ? ` on ${s3Endpoint}` : ''}): staging must have its own bucket.`,
    );
  }

  const exclusions = parseExclusions(input('exclusions')).map(compileExclusion);

  const awsRegion = input('aws-region');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(awsRegion)) {
    problems.push(`\`aws-region\` must be an AWS region such as us-east-1, got \`${awsRegion}\`.`);
  }

  const countTable = parseTableName(input('count-table'));
  if (!countTable) {
    problems.push(`\`count-table\` must be a table name, optionally schema-qualified (e.g. \`books\` or \`public.books\`).`);
  }

  // The safety gate: a real run must name the environment it is about to overwrite.
  if (dryRun === false) {
    const confirm = readInput('confirm').trim();
    if (confirm !== targetName) {
      problems.push(
        (confirm
          ? `\`confirm\` is \`${confirm}\`, which is not the target's name.`
          : `\`confirm\` is empty.`) +
          ` This run replaces data in \`${targetName}\`: set \`confirm\` to \`${targetName}\` (the value of \`target-name\`) to proceed, or set \`dry-run: true\` to see the plan first.`,
      );
    }
  }

  if (problems.length > 0 || !mode || dryRun === undefined || !countTable) {
    return { ok: false, problems, secrets };
  }
  return {
    ok: true,
    secrets,
    config: { mode, dryRun, source, target, exclusions, s3Endpoint, awsRegion, countTable, githubToken },
  };
}

function parseBoolean(name: string, text: string, problems: string[]): boolean | undefined {
  if (/^(true|yes|on|1)$/i.test(text)) return true;
  if (/^(false|no|off|0)$/i.test(text)) return false;
  problems.push(`\`${name}\` must be \`true\` or \`false\`, got \`${text}\`.`);
  return undefined;
}

function parseHttpUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function parseTableName(text: string): TableName | undefined {
  const parts = text.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_$]*$/.test(p))) return undefined;
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { schema: 'public', name: parts[0]! };
}

/** The password of any URL-shaped text (also when its scheme is wrong), raw and decoded. */
function passwordOf(text: string): string[] {
  try {
    const url = new URL(text);
    const found = [url.password, url.searchParams.get('password') ?? ''].filter(Boolean);
    return found.flatMap((p) => {
      try {
        return [p, decodeURIComponent(p)];
      } catch {
        return [p];
      }
    });
  } catch {
    return [];
  }
}
