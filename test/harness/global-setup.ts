import type { TestProject } from 'vitest/node';
import { startLocalServers } from './local-servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresPort: number;
    postgresAdminUrl: string;
    s3Endpoint: string;
  }
}

/** Starts one real PostgreSQL server and one s3rver for the whole test run. */
export default async function setup(project: TestProject) {
  const { postgres, s3, stop } = await startLocalServers();
  project.provide('postgresPort', postgres.port);
  project.provide('postgresAdminUrl', postgres.url());
  project.provide('s3Endpoint', s3.endpoint);
  return stop;
}
