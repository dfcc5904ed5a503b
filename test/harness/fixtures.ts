import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';

/** A small book catalogue: authors, books, images rows and a migration table. */
const CATALOGUE_SCHEMA = `
  CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL, born integer);
  CREATE TABLE books (
    id serial PRIMARY KEY,
    title text NOT NULL,
    author_id integer REFERENCES authors(id),
    published integer,
    tags text[] NOT NULL DEFAULT '{}',
    details jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE images (
    id serial PRIMARY KEY,
    book_id integer NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    s3_key text NOT NULL,
    content_type text NOT NULL
  );
  CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
`;

export interface CatalogueOptions {
  books: number;
  authors?: number;
  migration?: string;
  /** Distinguishes staging's older titles from production's. */
  titlePrefix?: string;
}

export async function seedCatalogue(url: string, opts: CatalogueOptions): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(CATALOGUE_SCHEMA);
    const authors = opts.authors ?? 12;
    await client.query(
      `INSERT INTO authors (name, born) SELECT 'Author ' || g, 1800 + g * 7 FROM generate_series(1, $1) g`,
      [authors],
    );
    await client.query(
      `INSERT INTO books (title, author_id, published, tags, details)
       SELECT $2 || 'Book ' || g, 1 + (g % $3), 1850 + (g % 170), ARRAY['fiction', 'vol-' || (g % 5)],
              jsonb_build_object('condition', CASE WHEN g % 3 = 0 THEN 'fine' ELSE 'good' END, 'pages', 100 + g)
       FROM generate_series(1, $1) g`,
      [opts.books, opts.titlePrefix ?? '', authors],
    );
    await client.query(
      `INSERT INTO images (book_id, s3_key, content_type)
       SELECT b.id, 'books/' || b.id || '/' || v || '.jpg', 'image/jpeg' FROM books b, unnest(ARRAY['cover', 'spine']) v`,
    );
    await client.query(`INSERT INTO alembic_version VALUES ($1)`, [opts.migration ?? 'a1b2c3d4']);
  } finally {
    await client.end();
  }
}

export interface SeedObject {
  key: string;
  body: string | Buffer;
  contentType?: string;
  metadata?: Record<string, string>;
}

export async function createBucket(client: S3Client, bucket: string, objects: SeedObject[] = []): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const queue = [...objects];
  const worker = async () => {
    for (let o = queue.shift(); o; o = queue.shift()) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: o.key,
          Body: typeof o.body === 'string' ? Buffer.from(o.body) : o.body,
          ContentType: o.contentType,
          Metadata: o.metadata,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** Production's images: covers for each book plus objects under every default excluded prefix. */
export function productionImages(books: number): SeedObject[] {
  const objects: SeedObject[] = [];
  for (let id = 1; id <= books; id++) {
    objects.push({ key: `books/${id}/cover.jpg`, body: `cover of book ${id} `.repeat(20), contentType: 'image/jpeg', metadata: { 'book-id': String(id) } });
  }
  for (const key of ['lambda/api.zip', 'deploy/layer.zip', 'data-import/2025-12.csv', 'listings/ebay-1.json', 'listings/ebay-2.json']) {
    objects.push({ key, body: `not an image: ${key}`, contentType: 'application/octet-stream' });
  }
  return objects;
}

/** Staging's older images: a subset of the covers, one stale, plus a staging-only object. */
export function stagingImages(books: number): SeedObject[] {
  const objects: SeedObject[] = [];
  for (let id = 1; id <= books; id++) {
    objects.push({ key: `books/${id}/cover.jpg`, body: id === 1 ? 'stale cover' : `cover of book ${id} `.repeat(20), contentType: 'image/jpeg', metadata: { 'book-id': String(id) } });
  }
  objects.push({ key: 'staging-only/test-upload.png', body: 'uploaded on staging', contentType: 'image/png' });
  return objects;
}
