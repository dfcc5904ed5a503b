import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes COPY data through unchanged while counting bytes and rows, for the progress log.
 * Text format: one row per newline (newlines inside values are escaped as `\n`). Binary format:
 * walks the tuple headers and field lengths without copying any data.
 */
export class CopyMeter extends Transform {
  bytes = 0;
  rows = 0;
  private readonly binary: boolean;
  // Binary parser state: bytes still to skip, and a small carry for integers split across chunks.
  private skip = 0;
  private expecting: 'header' | 'tuple' | 'field' = 'header';
  private fieldsLeft = 0;
  private carry = Buffer.alloc(0);

  constructor(format: 'binary' | 'text') {
    super();
    this.binary = format === 'binary';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.binary) this.walkBinary(chunk);
    else for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++;
    callback(null, chunk);
  }

  private walkBinary(chunk: Buffer): void {
    let buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let at = 0;
    this.carry = Buffer.alloc(0);
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - at);
        this.skip -= n;
        at += n;
        if (this.skip > 0) return;
      }
      if (this.expecting === 'header') {
        // 11-byte signature, 4-byte flags, 4-byte extension length, then the extension.
        if (buf.length - at < 19) break;
        this.skip = buf.readUInt32BE(at + 15);
        at += 19;
        this.expecting = 'tuple';
        continue;
      }
      if (this.expecting === 'tuple') {
        if (buf.length - at < 2) break;
        const fields = buf.readInt16BE(at);
        at += 2;
        if (fields < 0) {
          // Trailer: nothing follows.
          return;
        }
        this.rows++;
        this.fieldsLeft = fields;
        this.expecting = fields > 0 ? 'field' : 'tuple';
        continue;
      }
      if (buf.length - at < 4) break;
      const length = buf.readInt32BE(at);
      at += 4;
      this.skip = Math.max(length, 0);
      if (--this.fieldsLeft === 0) this.expecting = 'tuple';
    }
    buf = buf.subarray(at);
    this.carry = Buffer.from(buf);
  }
}
