/**
 * Objects that are only counted: how many, their bytes and the first keys (for the summary).
 * Memory stays the same however many objects are pushed; `length` and `push` read like an array's.
 */
export class ObjectTally {
  static readonly SAMPLE_KEYS = 20;
  length = 0;
  bytes = 0;
  readonly keys: string[] = [];

  push(...objects: readonly { key: string; size: number }[]): number {
    for (const object of objects) this.add(object);
    return this.length;
  }

  add(object: { key: string; size: number }): void {
    this.length++;
    this.bytes += object.size;
    if (this.keys.length < ObjectTally.SAMPLE_KEYS) this.keys.push(object.key);
  }
}
