import { describe, expect, it } from 'vitest';
import { createByteCache } from './byte-cache.js';

const sized = (value: string, bytes: number) => async () => ({ value, bytes });

describe('byte-bounded LRU cache of template derivatives', () => {
  it('keeps at most its budget, dropping the least recently used first', async () => {
    const cache = createByteCache(100);
    let makes = 0;
    const make = (value: string, bytes: number) => async () => { makes++; return { value, bytes }; };
    expect(await cache.get('a', make('A', 40))).toBe('A');
    expect(await cache.get('b', make('B', 40))).toBe('B');
    expect(await cache.get('a', make('A', 40))).toBe('A'); // hit: a is now the most recent
    expect(makes).toBe(2);
    expect(await cache.get('c', make('C', 40))).toBe('C'); // evicts b
    expect(cache.bytes()).toBe(80);
    await cache.get('a', make('A', 40));
    expect(makes).toBe(3);
    await cache.get('b', make('B', 40));
    expect(makes).toBe(4);
  });

  it('never holds more than the budget, whatever the sizes asked for (a client cycling maxSize)', async () => {
    const cache = createByteCache(1000);
    for (let size = 960; size < 1024; size++) {
      await cache.get(`art@${size}`, sized(`art@${size}`, size));
      expect(cache.bytes()).toBeLessThanOrEqual(1000);
    }
  });

  it('returns but does not keep an entry larger than the whole budget; concurrent misses share one make', async () => {
    const cache = createByteCache(10);
    expect(await cache.get('big', sized('BIG', 11))).toBe('BIG');
    expect(cache.bytes()).toBe(0);
    let makes = 0;
    const slow = async () => { makes++; await new Promise((r) => setTimeout(r, 5)); return { value: 'x', bytes: 1 }; };
    const [one, two] = await Promise.all([cache.get('k', slow), cache.get('k', slow)]);
    expect([one, two, makes]).toEqual(['x', 'x', 1]);
  });
});
