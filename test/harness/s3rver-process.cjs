// Runs s3rver as its own process. Must be started with `node --openssl-legacy-provider`:
// s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 rejects otherwise.
// Usage: node --openssl-legacy-provider s3rver-process.cjs <port> <directory>
const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');

// s3rver's delimiter listing skips directories two or more levels below the prefix, so
// `books/` is missing from CommonPrefixes when all its keys sit in `books/<id>/`. Real S3
// returns it. Walk every key under the prefix and group them the way S3 does; only the
// objects returned need their metadata read.
const fs = require('fs');
const path = require('path');
const { walk } = require('s3rver/lib/utils');
const S3Object = require('s3rver/lib/models/object');
const listWithoutDelimiterBug = FilesystemStore.prototype.listObjects;
const OBJECT_SUFFIX = '._S3rver_object';
FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter, prefix = '', startAfter = '', maxKeys = Infinity } = options;
  if (!delimiter || process.platform === 'win32') return listWithoutDelimiterBug.call(this, bucket, options);
  const bucketPath = this.getBucketPath(bucket);
  if (delimiter === '/' && (prefix === '' || prefix.endsWith('/'))) return listOneLevel(this, bucket, bucketPath, options);
  const prefixDir = path.posix.join(bucketPath, prefix.slice(0, prefix.lastIndexOf('/') + 1));
  const keys = [];
  const commonPrefixes = new Set();
  let isTruncated = false;
  const walkFrom = fs.existsSync(prefixDir) ? prefixDir : null;
  for (const file of walkFrom ? walk(walkFrom) : []) {
    if (!file.endsWith(OBJECT_SUFFIX)) continue;
    const key = file.slice(bucketPath.length + 1, -OBJECT_SUFFIX.length);
    if (key <= startAfter || !key.startsWith(prefix)) continue;
    const idx = key.slice(prefix.length).indexOf(delimiter);
    if (idx !== -1) {
      commonPrefixes.add(key.slice(0, prefix.length + idx + delimiter.length));
    } else if (keys.length < maxKeys) {
      keys.push(key);
    } else {
      isTruncated = true;
      break;
    }
  }
  const metadata = await Promise.all(keys.map((key) => this.getMetadata(bucket, key).catch(() => undefined)));
  const objects = keys.map((key, i) => metadata[i] && new S3Object(bucket, key, null, metadata[i])).filter(Boolean);
  return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
};

// With `/` as delimiter and a folder as prefix, one directory holds the answer: its object files
// are the keys, its sub-directories holding any object are the common prefixes (cheap, like S3).
async function listOneLevel(store, bucket, bucketPath, { prefix = '', startAfter = '', maxKeys = Infinity }) {
  const dir = path.posix.join(bucketPath, prefix);
  const keys = [];
  const commonPrefixes = [];
  let isTruncated = false;
  const names = fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : [];
  const holdsObject = (sub) => {
    for (const file of walk(sub)) if (file.endsWith(OBJECT_SUFFIX)) return true;
    return false;
  };
  for (const entry of names) {
    if (entry.isDirectory()) {
      const common = `${prefix}${entry.name}/`;
      if (common > startAfter && holdsObject(path.posix.join(dir, entry.name))) commonPrefixes.push(common);
    } else if (entry.name.endsWith(OBJECT_SUFFIX)) {
      const key = prefix + entry.name.slice(0, -OBJECT_SUFFIX.length);
      if (key > startAfter) keys.push(key);
    }
  }
  keys.sort();
  if (keys.length > maxKeys) {
    keys.length = maxKeys;
    isTruncated = true;
  }
  const metadata = await Promise.all(keys.map((key) => store.getMetadata(bucket, key).catch(() => undefined)));
  const objects = keys.map((key, i) => metadata[i] && new S3Object(bucket, key, null, metadata[i])).filter(Boolean);
  return { objects, commonPrefixes: commonPrefixes.sort(), isTruncated };
}

// SSE-KMS, as far as a copy engine can see it: s3rver keeps no encryption, so an object stored
// with `x-amz-server-side-encryption: aws:kms` (or `aws:kms:dsse`) keeps the header and answers
// it on HEAD/GET, and its ETag is 32 hex digits that are not the MD5 of its bytes and change with
// every write, as on S3. Other objects keep their MD5 ETag.
const crypto = require('crypto');
const KMS_HEADERS = ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id'];
S3Object.ALLOWED_METADATA.push(...KMS_HEADERS);
const getMetadataWithMd5Etag = FilesystemStore.prototype.getMetadata;
FilesystemStore.prototype.getMetadata = async function getMetadata(bucket, key) {
  const metadata = await getMetadataWithMd5Etag.call(this, bucket, key);
  if (!String(metadata['x-amz-server-side-encryption'] ?? '').startsWith('aws:kms')) return metadata;
  const stat = fs.statSync(this.getResourcePath(bucket, key, 'object'));
  const perWrite = `${metadata.etag}:${stat.ino}:${stat.mtimeMs}`;
  return { ...metadata, etag: JSON.stringify(crypto.createHash('md5').update(`kms:${perWrite}`).digest('hex')) };
};

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
