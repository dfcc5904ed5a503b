import { startPostgres, type PostgresServer } from './postgres.js';
import { startS3, type S3Server } from './s3.js';

export interface LocalServers {
  postgres: PostgresServer;
  s3: S3Server;
  stop(): Promise<void>;
}

/**
 * Starts the local PostgreSQL and S3 servers side by side (the test run's and the demo's). If one
 * fails, the other is stopped before the error is passed on, so the process can exit.
 */
export async function startLocalServers(): Promise<LocalServers> {
  const [postgres, s3] = await Promise.allSettled([startPostgres(), startS3()]);
  if (postgres.status === 'fulfilled' && s3.status === 'fulfilled') {
    return {
      postgres: postgres.value,
      s3: s3.value,
      async stop() {
        await Promise.all([postgres.value.stop(), s3.value.stop()]);
      },
    };
  }
  await Promise.all([postgres, s3].map((started) => (started.status === 'fulfilled' ? started.value.stop() : undefined)));
  throw postgres.status === 'rejected' ? postgres.reason : (s3 as PromiseRejectedResult).reason;
}
