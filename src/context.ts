import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsAccess } from './aws/access.js';
import type { SyncConfig } from './config/config.js';
import type { Note, RunReport } from './report/model.js';

export type Side = 'source' | 'target';

/** What every step gets: the validated config, the report it fills in, and shared clients. */
export interface RunContext {
  config: SyncConfig;
  report: RunReport;
  s3Client(side: Side): S3Client;
  /** True when one set of AWS credentials serves both sides (server-side copies are possible). */
  sharedCredentials: boolean;
  note(level: Note['level'], text: string): void;
  /** Each side's AWS credentials (roles assumed by the `aws-access` step), for clients other than S3. */
  aws: AwsAccess;
  /** Hides a secret found at run time (keys, tokens, passwords) from the log, the summary and errors. */
  maskSecret(secret: string): void;
}
