import type { ObjectEntry } from './list.js';

/** Where a ListObjectsV2 output carries the entries read by `takeListEntries` (not enumerable). */
export const LISTED_ENTRIES = Symbol('listedEntries');

/** The entries of a ListObjectsV2 output, when `takeListEntries` read them from its answer. */
export function listedEntries(output: object): ObjectEntry[] | undefined {
  return (output as { [LISTED_ENTRIES]?: ObjectEntry[] })[LISTED_ENTRIES];
}

/**
 * The `<Contents>` entries of a ListObjectsV2 answer, read without a general XML parser.
 *
 * Why: the SDK's XML deserializer spends ~20 µs per key (20 ms a 1,000-key page), which makes
 * listing CPU-bound long before S3 is: at 16 chains, parsing, not the network, set the pace. This
 * reads the few fields the diff needs (Key, LastModified, ETag, Size) from a format S3 has kept
 * stable for years, and gives back the answer without those entries, for the SDK to parse the
 * rest (IsTruncated, NextContinuationToken, CommonPrefixes, …) as before.
 *
 * Anything unexpected (an entry without a Key or Size, markup inside a value, an unknown entity)
 * returns undefined: the caller then leaves the answer to the SDK whole.
 */
export function takeListEntries(xml: string): { entries: ObjectEntry[]; rest: string } | undefined {
  const entries: ObjectEntry[] = [];
  const rest: string[] = [];
  let at = 0;
  for (;;) {
    const open = xml.indexOf('<Contents>', at);
    if (open < 0) break;
    const close = xml.indexOf('</Contents>', open);
    if (close < 0) return undefined;
    const body = xml.slice(open + '<Contents>'.length, close);
    const key = text(body, 'Key');
    const size = text(body, 'Size');
    const etag = text(body, 'ETag');
    const modified = text(body, 'LastModified');
    if (key == null || size == null || !/^\d+$/.test(size) || etag === null || modified === null) return undefined;
    const lastModified = modified === undefined ? 0 : Date.parse(modified);
    if (Number.isNaN(lastModified)) return undefined;
    entries.push({ key, size: Number(size), etag: etag ?? '', lastModified });
    rest.push(xml.slice(at, open));
    at = close + '</Contents>'.length;
  }
  rest.push(xml.slice(at));
  return { entries, rest: rest.join('') };
}

/** The decoded text of `<name>…</name>` in `body`: undefined when absent, null when unreadable. */
function text(body: string, name: string): string | undefined | null {
  const open = body.indexOf(`<${name}>`);
  if (open < 0) return body.includes(`<${name}/>`) ? '' : undefined;
  const start = open + name.length + 2;
  const end = body.indexOf(`</${name}>`, start);
  if (end < 0) return null;
  const raw = body.slice(start, end);
  // Markup (CDATA, a nested element) is not S3's format; raw line breaks are left to an XML
  // parser's rules (S3 sends them as character references).
  if (raw.includes('<') || raw.includes('\r') || raw.includes('\n')) return null;
  return raw.includes('&') ? decodeEntities(raw) : raw;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(raw: string): string | null {
  let failed = false;
  const decoded = raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (whole, name: string | undefined) => {
    if (name === undefined) return ((failed = true), whole);
    if (name.startsWith('#')) {
      const point = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return ((failed = true), whole);
      return String.fromCodePoint(point);
    }
    return NAMED[name] ?? ((failed = true), whole);
  });
  return failed ? null : decoded;
}
