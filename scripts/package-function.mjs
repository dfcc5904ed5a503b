// Packs the built database function (dist/function/, the ncc build) into a zip Lambda accepts,
// for the CloudFormation template or Terraform's package_zip. dist/ stays exactly the build:
// the zip goes to build/ (gitignored).
//
// Usage: node scripts/package-function.mjs [--source DIR] [--out FILE] [--ca-bundle PEM]
//   --ca-bundle adds the RDS CA bundle at the zip's root as global-bundle.pem
//   (then set DB_CA_BUNDLE=/var/task/global-bundle.pem).
// The zip is reproducible (sorted entries, fixed timestamps): the same build gives the same bytes.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import console from 'node:console';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CA_BUNDLE_NAME = 'global-bundle.pem';
// 1980-01-01 00:00, the earliest time a zip can hold: fixed so the bytes depend on the content only.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UNIX_FILE_MODE = 0o100644; // regular file, readable by the Lambda runtime's user

async function filesUnder(dir, prefix = '') {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = [];
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await filesUnder(path.join(dir, entry.name), relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/** A zip archive (deflate, no zip64) of [name, bytes] entries. */
export function zipEntries(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const compressed = deflateRawSync(data, { level: 9 });
    const checksum = crc32(data);
    if (data.length >= 0xffffffff || offset >= 0xffffffff) throw new Error(`${name}: too large for a zip without zip64`);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: deflate
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, so the file mode below is read
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(checksum, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    // extra field, comment, disk number, internal attributes: all 0
    central.writeUInt32LE((UNIX_FILE_MODE << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);

    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDirectory, end]);
}

async function main(argv) {
  const option = (flag, fallback) => {
    const index = argv.indexOf(flag);
    return index >= 0 && argv[index + 1] ? path.resolve(argv[index + 1]) : fallback;
  };
  const source = option('--source', path.join(repoRoot, 'dist/function'));
  const out = option('--out', path.join(repoRoot, 'build/function.zip'));
  const caBundle = option('--ca-bundle', undefined);

  const isDirectory = await stat(source).then((info) => info.isDirectory(), () => false);
  const names = isDirectory ? (await filesUnder(source)).sort() : [];
  if (!names.includes('index.js')) {
    console.error(`package-function: ${source} has no index.js: build the function first (npm run build).`);
    return 1;
  }
  const entries = [];
  for (const name of names) entries.push([name, await readFile(path.join(source, name))]);
  if (caBundle) {
    const pem = await readFile(caBundle).catch(() => undefined);
    if (!pem || !pem.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      console.error(`package-function: --ca-bundle ${caBundle} is not a PEM certificate bundle (download global-bundle.pem from AWS).`);
      return 1;
    }
    entries.push([CA_BUNDLE_NAME, pem]);
  }

  const shown = (target) => {
    const relative = path.relative(process.cwd(), target);
    return relative && !relative.startsWith('..') ? relative : target;
  };
  const zip = zipEntries(entries);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  const sha256 = createHash('sha256').update(zip);
  const hex = sha256.copy().digest('hex');
  console.log(`wrote ${shown(out)}: ${entries.length} files, ${zip.length} bytes`);
  console.log(`sha256 ${hex} (base64 ${sha256.digest('base64')})`);
  if (caBundle) console.log(`includes ${CA_BUNDLE_NAME}: set DB_CA_BUNDLE=/var/task/${CA_BUNDLE_NAME}`);
  console.log(`upload: aws s3 cp ${shown(out)} s3://BUCKET/prod-to-staging-sync/function-${hex.slice(0, 12)}.zip`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
