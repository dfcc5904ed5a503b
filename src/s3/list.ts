import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface ObjectEntry {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

/** Every object under `prefix`, page by page (1,000 keys a request). */
export async function listAllObjects(client: S3Client, bucket: string, prefix?: string): Promise<ObjectEntry[]> {
  const objects: ObjectEntry[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }),
    );
    for (const o of page.Contents ?? []) {
      objects.push({ key: o.Key!, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified?.getTime() ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** Turns SDK errors about a bucket into a sentence that says what to check. */
export function describeBucketError(error: unknown, bucket: string, environment: string, role: 'source' | 'target'): Error {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  if (name === 'NoSuchBucket') {
    return new Error(`${environment}'s bucket \`${bucket}\` does not exist: check \`${role}-bucket\` (this action does not create buckets).`);
  }
  if (['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'].includes(name)) {
    return new Error(`access to ${environment}'s bucket \`${bucket}\` was denied (${name}): check the credentials or role used for ${environment}.`);
  }
  return new Error(`could not read ${environment}'s bucket \`${bucket}\`: ${message}`);
}
