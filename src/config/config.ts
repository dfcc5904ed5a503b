import { parseDatabaseUrl, type DatabaseUrl } from './database-url.js';
import { checkDatabaseInputs, parseAwsOptions, type AwsOptions, type AwsRunnerFacts } from './aws-options.js';
import { parseTriggerOptions, type TriggerOptions } from './trigger-options.js';
import { parseChecksOptions, type ChecksOptions, type RunnerFacts } from './checks-options.js';
import { isSystemSchema, parseDatabaseOptions, systemSchemaProblem, type DatabaseOptions } from './database-options.js';
import { parseIdentityOptions, type IdentityOptions } from './identity-options.js';
import { batchManifestExclusions, parseExclusionsInput, parseImagesOptions, type ImagesOptions, type ImagesRunnerFacts } from './images-options.js';
import { parseNetworkOptions, type NetworkOptions, type NetworkRunnerFacts } from './network-options.js';
import { InputSource } from './inputs.js';
import type { ExclusionRule } from '../s3/exclusions.js';

export const MODES = ['full', 'db-only', 'images-only'] as const;
export type Mode = (typeof MODES)[number];

export const DEFAULT_AWS_REGION = 'us-east-1';
const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

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
  /** `aws-region`, or the runner's AWS_REGION / AWS_DEFAULT_REGION, or `us-east-1`. */
  awsRegion: string;
  /** Each side's region (`source-region` / `target-region`, default `awsRegion`): its S3, STS, Secrets Manager and (target) Lambda clients. */
  regions: Record<'source' | 'target', string>;
  countTable: TableName;
  githubToken: string;
  /** Options of the database engine (issue: database refresh). */
  database: DatabaseOptions;
  /** Re-pointing users at staging's Cognito pool after the load; absent when not asked for (issue 12). */
  identity?: IdentityOptions;
  /** Options of the images engine (issue: images refresh). */
  images: ImagesOptions;
  /** Pre-/post-flight checks, version notes, cache (issue: checks). */
  checks: ChecksOptions;
  /** AWS roles and secrets (issue: AWS access). */
  aws: AwsOptions;
  /** The pull-request comment command (issue: triggers). */
  trigger: TriggerOptions;
  /** Timeouts of every network call. */
  network: NetworkOptions;
}

export type InputReader = (name: string) => string;

/** What a run is about, known even when the inputs are invalid (for the failure report). */
export interface RunLabels {
  mode: string;
  dryRun: boolean;
  sourceName: string;
  targetName: string;
}

export type ConfigResult = { labels: RunLabels; secrets: string[]; inputsRead: Set<string> } & (
  | { ok: true; config: SyncConfig }
  | { ok: false; problems: string[] }
);

export const touchesDatabase = (mode: Mode): boolean => mode !== 'images-only';
export const touchesImages = (mode: Mode): boolean => mode !== 'db-only';

/**
 * Turns raw action inputs into one validated config. Every problem is collected so the user
 * can fix them all in one go; secrets found in the inputs are returned even when the inputs
 * are invalid, so the caller can mask them before printing anything.
 */
export function buildConfig(readInput: InputReader, runner: RunnerFacts & AwsRunnerFacts & NetworkRunnerFacts & ImagesRunnerFacts = {}): ConfigResult {
  const inputs = new InputSource(readInput);
  const { problems, secrets } = inputs;
  const input = (name: string, fallback = '') => inputs.value(name, fallback);

  const modeText = input('mode', 'full');
  const mode = (MODES as readonly string[]).includes(modeText) ? (modeText as Mode) : undefined;
  if (!mode) problems.push(`\`mode\` must be one of ${MODES.join(', ')}, got \`${modeText}\`.`);

  const dryRun = inputs.boolean('dry-run', false);

  const sourceName = input('source-name', 'production');
  const targetName = input('target-name', 'staging');
  if (sourceName === targetName) {
    problems.push(
      `\`source-name\` and \`target-name\` are both \`${targetName}\`: the run would copy an environment onto itself. Give the target its own name (e.g. \`staging\`).`,
    );
  }

  const githubToken = input('github-token');
  if (githubToken) secrets.push(githubToken);

  const side = (role: 'source' | 'target', name: string): EnvironmentConfig => {
    const env: EnvironmentConfig = { name };
    const urlText = input(`${role}-database-url`);
    if (urlText) {
      secrets.push(urlText, ...passwordOf(urlText));
      const parsed = parseDatabaseUrl(urlText);
      if ('error' in parsed) {
        problems.push(`\`${role}-database-url\` is not a valid PostgreSQL URL: ${parsed.error}.`);
      } else {
        if (parsed.password) secrets.push(parsed.password);
        env.database = parsed;
      }
    }
    const bucketText = input(`${role}-bucket`);
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
    const apiText = input(`${role}-api-url`);
    if (apiText) {
      const api = parseHttpUrl(apiText);
      if (api) env.apiUrl = api.replace(/\/+$/, '');
      else problems.push(`\`${role}-api-url\` must be an http(s) URL such as https://api.example.com, got \`${apiText}\`.`);
    }
    return env;
  };
  const source = side('source', sourceName);
  const target = side('target', targetName);

  const s3EndpointText = input('s3-endpoint');
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

  const exclusions = parseExclusionsInput(inputs);

  // What aws-actions/configure-aws-credentials exports comes before the built-in default.
  const awsRegion = input('aws-region', runner.awsRegion || DEFAULT_AWS_REGION);
  const checkRegion = (what: string, region: string) => {
    if (!AWS_REGION_PATTERN.test(region)) problems.push(`${what} must be an AWS region such as us-east-1, got \`${region}\`.`);
  };
  checkRegion(input('aws-region') ? '`aws-region`' : 'The runner\'s AWS_REGION (or AWS_DEFAULT_REGION), used since `aws-region` is empty,', awsRegion);
  const regions = { source: input('source-region', awsRegion), target: input('target-region', awsRegion) };
  if (input('source-region')) checkRegion('`source-region`', regions.source);
  if (input('target-region')) checkRegion('`target-region`', regions.target);

  const countTable = parseTableName(input('count-table', 'books'));
  if (!countTable) {
    problems.push(`\`count-table\` must be a table name, optionally schema-qualified (e.g. \`books\` or \`public.books\`).`);
  } else if (isSystemSchema(countTable.schema)) {
    problems.push(systemSchemaProblem('count-table', `${countTable.schema}.${countTable.name}`));
  }

  // The safety gate: a real run must name the environment it is about to overwrite.
  const confirm = input('confirm');
  if (dryRun === false) {
    if (confirm !== targetName) {
      problems.push(
        (confirm
          ? `\`confirm\` is \`${confirm}\`, which is not the target's name.`
          : `\`confirm\` is empty.`) +
          ` This run replaces data in \`${targetName}\`: set \`confirm\` to \`${targetName}\` (the value of \`target-name\`) to proceed, or set \`dry-run: true\` to see the plan first.`,
      );
    }
  }

  const labels: RunLabels = { mode: modeText, dryRun: dryRun ?? false, sourceName, targetName };
  const database = parseDatabaseOptions(inputs);
  const identity = parseIdentityOptions(inputs, database, { touchesDatabase: Boolean(mode && touchesDatabase(mode)) });
  const images = parseImagesOptions(inputs, runner);
  exclusions.push(...batchManifestExclusions(images, target.bucket));
  const checks = parseChecksOptions(inputs, runner);
  const aws = parseAwsOptions(inputs, runner);
  checkDatabaseInputs(aws, { mode, touchesDatabase: Boolean(mode && touchesDatabase(mode)), dbMethod: database.method, urlGiven: { source: Boolean(input('source-database-url')), target: Boolean(input('target-database-url')) } }, problems);
  const trigger = parseTriggerOptions(inputs);
  const network = parseNetworkOptions(inputs, runner);

  if (problems.length > 0 || !mode || dryRun === undefined || !countTable) {
    return { ok: false, problems, secrets, inputsRead: inputs.namesRead, labels };
  }
  return {
    ok: true,
    labels,
    secrets,
    inputsRead: inputs.namesRead,
    config: { mode, dryRun, source, target, exclusions, s3Endpoint, awsRegion, regions, countTable, githubToken, database, ...(identity ? { identity } : {}), images, checks, aws, trigger, network },
  };
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
