import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_MAX_OBJECT_BYTES } from './batch/plan.js';
import type { CopyItem, CopyReason } from './diff.js';
import { ObjectTally } from './tally.js';

/** Objects to copy, read in order as often as needed, with their count and bytes known up front. */
export interface CopyItems {
  readonly length: number;
  readonly bytes: number;
  /** The objects in order, many at a time (a file is read 1 MiB at a time). */
  batches(): AsyncIterable<readonly CopyItem[]>;
}

/** Past how many objects a copy list goes to disk, and where. */
export interface SpillPolicy {
  aboveObjects: number;
  /** A local directory (the runner's RUNNER_TEMP). */
  dir: string;
  /** Called once, when the list is written to disk. */
  onSpill?: (path: string) => void;
}

/** Lines are written 1 MiB at a time. */
const FLUSH_CHARS = 1 << 20;

/**
 * The objects a refresh copies, in the order they were found. Held in memory, unless a spill
 * policy is given (only when an S3 Batch Operations job will copy them: the job reads them once,
 * in order, into its manifest) and there are more than its `aboveObjects`: then they are written
 * to a local file as they arrive, so memory stays flat however many there are. Counts, bytes, the
 * first keys (for the summary) and the objects over 5 GB (which the runner copies whatever the
 * engine) always stay in memory.
 */
export class CopyList implements CopyItems {
  /** How many, their bytes and the first keys (the summary's sample). */
  private readonly tally = new ObjectTally();
  readonly byReason: Record<CopyReason, number> = { missing: 0, 'size differs': 0, 'content differs': 0, 'newer in source': 0 };
  /** Objects over 5 GB: more than one CopyObject (or a Batch Operations task) can copy. */
  readonly large: CopyItem[] = [];
  private held: CopyItem[] = [];
  private file: SpillFile | undefined;

  constructor(private readonly spill?: SpillPolicy) {}

  get length(): number {
    return this.tally.length;
  }

  get bytes(): number {
    return this.tally.bytes;
  }

  get keys(): readonly string[] {
    return this.tally.keys;
  }

  /** The file the list was written to, once it spilled. */
  get spilledTo(): string | undefined {
    return this.file?.path;
  }

  add(item: CopyItem): void {
    this.tally.add(item.source);
    this.byReason[item.reason]++;
    if (item.source.size > BATCH_MAX_OBJECT_BYTES) this.large.push(item);
    else if (this.file) this.file.write(encodeItem(item));
    else {
      this.held.push(item);
      if (this.spill && this.length > this.spill.aboveObjects) {
        this.file = new SpillFile(this.spill.dir);
        for (const held of this.held) this.file.write(encodeItem(held));
        this.held = [];
        this.spill.onSpill?.(this.file.path);
      }
    }
  }

  /** Every object, the ones up to 5 GB first (in the order added), then the large ones. */
  async *batches(): AsyncGenerator<readonly CopyItem[]> {
    yield* this.upTo5GB().batches();
    if (this.large.length > 0) yield this.large;
  }

  /** The objects up to 5 GB: what one Batch Operations job can copy. */
  upTo5GB(): CopyItems {
    const { file, held } = this;
    const largeBytes = this.large.reduce((sum, item) => sum + item.source.size, 0);
    return {
      length: this.length - this.large.length,
      bytes: this.bytes - largeBytes,
      async *batches() {
        if (!file) {
          if (held.length > 0) yield held;
          return;
        }
        for await (const lines of file.lines()) yield lines.map(decodeItem);
      },
    };
  }

  async toArray(): Promise<CopyItem[]> {
    const items: CopyItem[] = [];
    for await (const batch of this.batches()) items.push(...batch);
    return items;
  }

  /** A new empty list that spills the same way. */
  emptyLike(): CopyList {
    return new CopyList(this.spill);
  }

  /** Removes the list's file, if it has one (also removed when the process exits). */
  dispose(): void {
    this.file?.remove();
  }
}

/** One JSON array a line: JSON escapes line breaks in keys, so a line is always one object. */
function encodeItem({ source, target, reason }: CopyItem): string {
  const fields: unknown[] = [source.key, source.size, source.etag, source.lastModified, reason];
  if (target) fields.push(target.size, target.etag, target.lastModified);
  return `${JSON.stringify(fields)}\n`;
}

function decodeItem(line: string): CopyItem {
  const [key, size, etag, lastModified, reason, targetSize, targetEtag, targetLastModified] = JSON.parse(line) as [
    string, number, string, number, CopyReason, number?, string?, number?,
  ];
  const item: CopyItem = { source: { key, size, etag, lastModified }, reason };
  if (targetSize !== undefined) item.target = { key, size: targetSize, etag: targetEtag!, lastModified: targetLastModified! };
  return item;
}

/** Files still on disk, removed when the process exits (the runner also empties RUNNER_TEMP after the job). */
const openFiles = new Set<string>();
let removeAtExit = false;

/** A local file written line by line (synchronously: the merge that feeds it does not await) and read back in order. */
class SpillFile {
  readonly path: string;
  private fd: number | undefined;
  private pending = '';

  constructor(dir: string) {
    this.path = join(dir, `prod-to-staging-sync-copy-list-${process.pid}-${randomUUID()}.ndjson`);
    try {
      mkdirSync(dir, { recursive: true });
      this.fd = openSync(this.path, 'w', 0o600);
    } catch (error) {
      throw this.failure(error);
    }
    openFiles.add(this.path);
    if (!removeAtExit) {
      removeAtExit = true;
      process.once('exit', () => openFiles.forEach((path) => rmSync(path, { force: true })));
    }
  }

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  private flush(): void {
    if (!this.pending || this.fd === undefined) return;
    try {
      writeSync(this.fd, this.pending);
    } catch (error) {
      throw this.failure(error);
    }
    this.pending = '';
  }

  /** The lines written, in order, those of one chunk of the file at a time. */
  async *lines(): AsyncGenerator<string[]> {
    this.flush();
    let rest = '';
    for await (const chunk of createReadStream(this.path, { encoding: 'utf8', highWaterMark: FLUSH_CHARS })) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop()!;
      if (lines.length > 0) yield lines;
    }
    if (rest) yield [rest];
  }

  remove(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
    openFiles.delete(this.path);
  }

  private failure(error: unknown): Error {
    const e = error as NodeJS.ErrnoException;
    const hint =
      e.code === 'ENOSPC'
        ? ": the runner's disk is full (the list takes about 100 bytes an object)"
        : ": the runner's temporary directory (RUNNER_TEMP) must be a directory the action can write to";
    return new Error(`Could not write the list of objects to copy to ${this.path} (${e.code ?? e.message})${hint}.`);
  }
}
