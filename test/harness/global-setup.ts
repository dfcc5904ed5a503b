import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';
import { startS3 } from './s3.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresPort: number;
    postgresAdminUrl: string;
    s3Endpoint: string;
  }
}

/** Starts one real PostgreSQL server and one s3rver for the whole test run. */
export default async function setup(project: TestProject) {
  const [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  project.provide('postgresPort', postgres.port);
  project.provide('postgresAdminUrl', postgres.url());
  project.provide('s3Endpoint', s3.endpoint);
  return async () => {
    await Promise.all([postgres.stop(), s3.stop()]);
  };
}
