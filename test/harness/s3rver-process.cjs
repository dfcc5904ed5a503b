// Runs s3rver as its own process. Must be started with `node --openssl-legacy-provider`:
// s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 rejects otherwise.
// Usage: node --openssl-legacy-provider s3rver-process.cjs <port> <directory>
const S3rver = require('s3rver');

const [port, directory] = process.argv.slice(2);
const server = new S3rver({ port: Number(port), address: '127.0.0.1', directory, silent: true });
server.run().then(
  () => process.stdout.write(`ready ${port}\n`),
  (err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
