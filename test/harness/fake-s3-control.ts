/**
 * A local S3 Control server for S3 Batch Operations (REST-XML, API version 2018-08-20): CreateJob
 * (POST /v20180820/jobs), DescribeJob (GET /v20180820/jobs/{id}) and UpdateJobStatus
 * (POST /v20180820/jobs/{id}/status), the account in `x-amz-account-id`. It runs the jobs it
 * is given against the local S3 server the way Batch Operations does: reads the CSV manifest
 * from its bucket (checking its ETag), performs one real CopyObject per task, advances the
 * counts while it works, and writes the completion report (manifest.json + result CSV) to the
 * report bucket. The action reaches it through AWS_ENDPOINT_URL_S3_CONTROL.
 */
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeJob {
  id: string;
  token: string;
  accountId: string;
  roleArn: string;
  status: 'New' | 'Active' | 'Cancelling' | 'Cancelled' | 'Complete' | 'Failed';
  confirmationRequired: string;
  operation: { targetBucket: string; metadataDirective: string };
  manifest: { bucket: string; key: string; etag: string; format: string; fields: string[] };
  report: { bucket: string; prefix: string; scope: string; format: string; enabled: string };
  total: number;
  succeeded: number;
  failed: number;
  failureReasons: { code: string; reason: string }[];
  /** Failed tasks: the key as written in the manifest (URL-encoded), code, HTTP status, message. */
  failedTasks: { encodedKey: string; bucket: string; code: string; status: number; message: string }[];
  cancelReason?: string;
  done: Promise<void>;
}

export interface FakeS3ControlCall {
  action: 'CreateJob' | 'DescribeJob' | 'UpdateJobStatus';
  accountId: string;
  jobId?: string;
  status: number;
}

export interface FakeS3ControlOptions {
  /** Client of the S3 server the jobs run against (one that may read and write every bucket). */
  s3: S3Client;
  /** Pause before each task, so a test sees progress (and can cancel mid-job). */
  taskDelayMs?: number;
  /** Answer the first N CreateJob calls with a 500 after creating the job (the answer was lost). */
  failCreateAnswers?: number;
  /** Keys whose copy the job reports as failed (with this code and message), as a denied object would. */
  failKeys?: Record<string, { code: string; message: string; status: number }>;
}

export interface FakeS3Control {
  /** Put in the action's environment. */
  env: Record<string, string>;
  jobs: FakeJob[];
  calls: FakeS3ControlCall[];
  close(): Promise<void>;
}

export async function startFakeS3Control(opts: FakeS3ControlOptions): Promise<FakeS3Control> {
  const jobs: FakeJob[] = [];
  const calls: FakeS3ControlCall[] = [];
  let createFailuresLeft = opts.failCreateAnswers ?? 0;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const accountId = String(req.headers['x-amz-account-id'] ?? '');
    const answer = (action: FakeS3ControlCall['action'], status: number, xml: string, jobId?: string) => {
      calls.push({ action, accountId, status, ...(jobId ? { jobId } : {}) });
      res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    const error = (action: FakeS3ControlCall['action'], status: number, code: string, message: string) =>
      answer(action, status, `<ErrorResponse><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></ErrorResponse>`);
    try {
      if (!/Credential=/.test(String(req.headers.authorization ?? ''))) return error('DescribeJob', 403, 'AccessDenied', 'unsigned request');
      if (!/^\d{12}$/.test(accountId)) return error('DescribeJob', 400, 'InvalidRequest', 'x-amz-account-id is missing');
      const jobPath = /^\/v20180820\/jobs\/([^/]+)(\/status)?$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/v20180820/jobs') {
        const job = createJob(body, accountId);
        if (!job) return error('CreateJob', 400, 'InvalidRequest', 'malformed CreateJob request');
        if (createFailuresLeft > 0) {
          createFailuresLeft--;
          return error('CreateJob', 500, 'InternalError', 'We encountered an internal error. Please try again.');
        }
        return answer('CreateJob', 200, `<CreateJobResult><JobId>${job.id}</JobId></CreateJobResult>`, job.id);
      }
      const job = jobPath && jobs.find((j) => j.id === decodeURIComponent(jobPath[1]!) && j.accountId === accountId);
      if (!job) return error(jobPath?.[2] ? 'UpdateJobStatus' : 'DescribeJob', 404, 'NotFoundException', 'no such job');
      if (req.method === 'GET' && !jobPath![2]) return answer('DescribeJob', 200, describe(job), job.id);
      if (req.method === 'POST' && jobPath![2]) {
        const requested = url.searchParams.get('requestedJobStatus');
        if (requested === 'Cancelled' && !['Complete', 'Failed', 'Cancelled'].includes(job.status)) {
          job.status = 'Cancelling';
          job.cancelReason = url.searchParams.get('statusUpdateReason') ?? '';
        }
        return answer('UpdateJobStatus', 200, `<UpdateJobStatusResult><JobId>${job.id}</JobId><Status>${job.status}</Status></UpdateJobStatusResult>`, job.id);
      }
      res.writeHead(404).end('unknown S3 Control route');
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });

  /** Idempotent on ClientRequestToken, as S3 Control is: the same token finds the same job. */
  function createJob(xml: string, accountId: string): FakeJob | undefined {
    const token = tag(xml, 'ClientRequestToken');
    const existing = jobs.find((j) => j.token === token && j.accountId === accountId);
    if (existing) return existing;
    const objectArn = tag(xml, 'ObjectArn');
    const [bucket, ...keyParts] = objectArn.replace(/^arn:[^:]+:s3:::/, '').split('/');
    if (!token || !bucket) return undefined;
    const job: FakeJob = {
      id: randomUUID(),
      token,
      accountId,
      roleArn: tag(xml, 'RoleArn'),
      status: 'New',
      confirmationRequired: tag(xml, 'ConfirmationRequired'),
      operation: { targetBucket: tag(section(xml, 'S3PutObjectCopy'), 'TargetResource').replace(/^arn:[^:]+:s3:::/, ''), metadataDirective: tag(xml, 'MetadataDirective') },
      manifest: { bucket, key: keyParts.join('/'), etag: tag(section(xml, 'Location'), 'ETag'), format: tag(section(xml, 'Spec'), 'Format'), fields: all(section(xml, 'Fields'), 'member') },
      report: {
        bucket: tag(section(xml, 'Report'), 'Bucket').replace(/^arn:[^:]+:s3:::/, ''),
        prefix: tag(section(xml, 'Report'), 'Prefix'),
        scope: tag(section(xml, 'Report'), 'ReportScope'),
        format: tag(section(xml, 'Report'), 'Format'),
        enabled: tag(section(xml, 'Report'), 'Enabled'),
      },
      total: 0,
      succeeded: 0,
      failed: 0,
      failureReasons: [],
      failedTasks: [],
      done: Promise.resolve(),
    };
    jobs.push(job);
    job.done = run(job).catch((e: Error) => {
      job.status = 'Failed';
      job.failureReasons.push({ code: 'InternalError', reason: e.message });
    });
    return job;
  }

  async function run(job: FakeJob): Promise<void> {
    const s3 = opts.s3;
    const head = await s3.send(new HeadObjectCommand({ Bucket: job.manifest.bucket, Key: job.manifest.key })).catch(() => undefined);
    if (!head || head.ETag !== job.manifest.etag) {
      job.status = 'Failed';
      job.failureReasons.push({ code: 'ManifestNotFound', reason: head ? 'the manifest ETag does not match' : 'the manifest could not be read' });
      return;
    }
    const csv = await (await s3.send(new GetObjectCommand({ Bucket: job.manifest.bucket, Key: job.manifest.key }))).Body!.transformToString();
    const tasks = csv.split('\n').filter(Boolean).map((line) => {
      const [bucket, encodedKey] = line.split(',');
      return { bucket: bucket!, encodedKey: encodedKey! };
    });
    job.total = tasks.length;
    job.status = 'Active';
    for (const task of tasks) {
      if ((job.status as FakeJob['status']) === 'Cancelling') break;
      if (opts.taskDelayMs) await new Promise((r) => setTimeout(r, opts.taskDelayMs));
      const key = decodeURIComponent(task.encodedKey);
      const injected = opts.failKeys?.[key];
      try {
        if (injected) throw Object.assign(new Error(injected.message), { name: injected.code, $metadata: { httpStatusCode: injected.status } });
        await s3.send(
          new CopyObjectCommand({
            Bucket: job.operation.targetBucket,
            Key: key,
            CopySource: `${task.bucket}/${task.encodedKey}`,
            MetadataDirective: job.operation.metadataDirective === 'COPY' ? 'COPY' : 'REPLACE',
          }),
        );
        job.succeeded++;
      } catch (e) {
        const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        job.failed++;
        job.failedTasks.push({ encodedKey: task.encodedKey, bucket: task.bucket, code: err.name ?? 'Error', status: err.$metadata?.httpStatusCode ?? 500, message: err.message ?? '' });
      }
    }
    await writeReport(job);
    job.status = (job.status as FakeJob['status']) === 'Cancelling' ? 'Cancelled' : 'Complete';
  }

  /** `<prefix>/job-<id>/manifest.json` listing `results/<hash>.csv` (failed tasks only), as Batch Operations writes them. */
  async function writeReport(job: FakeJob): Promise<void> {
    if (job.report.enabled !== 'true' || job.succeeded + job.failed === 0) return;
    const base = `${job.report.prefix}/job-${job.id}`;
    const results = [];
    if (job.failedTasks.length > 0) {
      const rows = job.failedTasks.map((t) => [t.bucket, t.encodedKey, '', 'failed', t.code, String(t.status), csvField(t.message)].join(','));
      const text = `${rows.join('\n')}\n`;
      const key = `${base}/results/${createHash('sha1').update(text).digest('hex')}.csv`;
      await opts.s3.send(new PutObjectCommand({ Bucket: job.report.bucket, Key: key, Body: text }));
      results.push({ TaskExecutionStatus: 'failed', Bucket: job.report.bucket, MD5Checksum: createHash('md5').update(text).digest('hex'), Key: key });
    }
    const manifest = { Format: 'Report_CSV_20180820', ReportCreationDate: new Date().toISOString(), Results: results, ReportSchema: 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage' };
    await opts.s3.send(new PutObjectCommand({ Bucket: job.report.bucket, Key: `${base}/manifest.json`, Body: JSON.stringify(manifest) }));
  }

  await new Promise<void>((resolve) => server.listen(0, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    env: { AWS_ENDPOINT_URL_S3_CONTROL: `http://localhost:${port}` },
    jobs,
    calls,
    async close() {
      for (const job of jobs) if (job.status === 'Active') job.status = 'Cancelling';
      await Promise.all(jobs.map((j) => j.done));
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function describe(job: FakeJob): string {
  const reasons = job.failureReasons.map((f) => `<member><FailureCode>${esc(f.code)}</FailureCode><FailureReason>${esc(f.reason)}</FailureReason></member>`).join('');
  return (
    `<DescribeJobResult><Job><JobId>${job.id}</JobId><Status>${job.status}</Status><RoleArn>${esc(job.roleArn)}</RoleArn>` +
    `<ProgressSummary><TotalNumberOfTasks>${job.total}</TotalNumberOfTasks><NumberOfTasksSucceeded>${job.succeeded}</NumberOfTasksSucceeded>` +
    `<NumberOfTasksFailed>${job.failed}</NumberOfTasksFailed></ProgressSummary>${reasons ? `<FailureReasons>${reasons}</FailureReasons>` : ''}</Job></DescribeJobResult>`
  );
}

const section = (xml: string, name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1] ?? '';
const tag = (xml: string, name: string) => unesc(section(xml, name).trim());
const all = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => unesc(m[1]!));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

