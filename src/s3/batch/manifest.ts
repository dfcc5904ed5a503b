import { createHash } from 'node:crypto';

/**
 * The CSV manifest S3 Batch Operations reads (format S3BatchOperations_CSV_20180820, fields
 * Bucket,Key): one `bucket,key` line per object, keys URL-encoded as the S3 User Guide requires
 * ("Creating a manifest file"). Each path segment is encoded, so `/` stays readable and commas,
 * quotes and newlines in keys cannot break the CSV.
 */
export function manifestLine(bucket: string, key: string): string {
  return `${bucket},${encodeManifestKey(key)}\n`;
}

export function encodeManifestKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Batch Operations reports keys URL-encoded as they were in the manifest; `+` is read as a space. */
export function decodeReportKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return encoded;
  }
}

/**
 * The job's idempotency token: the same run creating a job for the same manifest always sends
 * the same token, so a CreateJob retried after a lost answer finds the first job instead of
 * starting a second one. At most 64 characters (S3 Control's limit).
 */
export function clientRequestToken(parts: { runId?: string; targetBucket: string; manifestKey: string; manifestEtag: string }): string {
  const digest = createHash('sha256').update(JSON.stringify([parts.runId ?? '', parts.targetBucket, parts.manifestKey, parts.manifestEtag])).digest('hex');
  return `p2s-${digest.slice(0, 59)}`;
}

/** Where this run's manifest goes: under the prefix, named after the run and the manifest's content. */
export function manifestKey(prefix: string, runId: string | undefined, contentDigest: string): string {
  return `${prefix}manifests/${runId ? `run-${runId}-` : ''}${contentDigest.slice(0, 16)}.csv`;
}
