import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/s3/list.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapLimit', () => {
  it('runs at most `limit` at a time and keeps the input order', async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimit([30, 10, 20, 5, 15], 2, async (ms, i) => {
      most = Math.max(most, ++running);
      await pause(ms);
      running--;
      return i * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(most).toBe(2);
  });

  it('starts no new work after a failure (e.g. part copies of an upload about to be aborted)', async () => {
    const started: number[] = [];
    const failure = mapLimit(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
      started.push(i);
      await pause(i === 1 ? 5 : 30);
      if (i === 1) throw new Error('part 2 failed');
      return i;
    });
    await expect(failure).rejects.toThrow('part 2 failed');
    await pause(100); // time for any worker still looping to start more
    // The three started at once; nothing after the failure.
    expect(started).toEqual([0, 1, 2]);
  });

  it('settles only once the work already running has ended, so the caller cleans up after it', async () => {
    const finished: number[] = [];
    let settledWhileRunning = false;
    await mapLimit([0, 1], 2, async (i) => {
      if (i === 0) throw new Error('first fails at once');
      await pause(20);
      finished.push(i);
    }).catch(() => {
      settledWhileRunning = finished.length === 0;
    });
    expect(settledWhileRunning).toBe(false);
    expect(finished).toEqual([1]);
  });
});
