import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createBucket, type SeedObject } from './fixtures.js';

/** Credentials s3rver accepts; the action gets them through the standard AWS variables. */
export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export function adminUrl(database = 'postgres'): string {
  const url = new URL(inject('postgresAdminUrl'));
  url.pathname = `/${database}`;
  return url.href;
}

/** Creates an empty database on the test server and returns its URL. */
export async function newDatabase(prefix: string): Promise<string> {
  const name = uniqueName(prefix).replace(/-/g, '_');
  await query(adminUrl(), `CREATE DATABASE "${name}"`);
  return adminUrl(name);
}

export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export function s3Endpoint(): string {
  return inject('s3Endpoint');
}

export function testS3Client(): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: s3Endpoint(),
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a bucket with a unique name holding `objects`; returns its name. */
export async function newBucket(prefix: string, objects: SeedObject[] = []): Promise<string> {
  const bucket = uniqueName(prefix);
  await createBucket(testS3Client(), bucket, objects);
  return bucket;
}

/** Every key of a bucket with a digest of its bytes, for "nothing changed" assertions. */
export async function bucketSnapshot(bucket: string): Promise<Record<string, string>> {
  const client = testS3Client();
  const snapshot: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      snapshot[o.Key!] = Buffer.from(await body.Body!.transformToByteArray()).toString('base64');
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return snapshot;
}

/** Every row of every table in `public`, for "nothing changed" assertions. */
export async function databaseSnapshot(url: string): Promise<Record<string, string[]>> {
  const tables = await query<{ name: string }>(url, `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  const snapshot: Record<string, string[]> = {};
  for (const { name } of tables) {
    const rows = await query<{ r: string }>(url, `SELECT t::text AS r FROM "${name}" t ORDER BY 1`);
    snapshot[name] = rows.map((row) => row.r);
  }
  return snapshot;
}
