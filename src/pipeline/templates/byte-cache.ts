/**
 * A least-recently-used cache bounded by bytes, for what templates derive per output size (art
 * scaled to a size, masks, flattened art). Templates are not user data, but every distinct
 * `maxSize` a client asks for derives new entries: without a byte bound, a client cycling
 * through sizes grows the process without limit. An entry larger than the whole budget is made
 * and returned but not kept.
 */
export interface ByteCache {
  /** The value under `key`, made (and kept, if it fits) on a miss; concurrent misses share one make. */
  get<T>(key: string, make: () => Promise<Sized<T>>): Promise<T>;
  /** Bytes held now. */
  bytes(): number;
}

export interface Sized<T> {
  readonly value: T;
  readonly bytes: number;
}

export function createByteCache(budgetBytes: number): ByteCache {
  // A Map iterates in insertion order: re-inserting on each hit keeps the least recent first.
  const entries = new Map<string, { value: unknown; bytes: number }>();
  const pending = new Map<string, Promise<unknown>>();
  let held = 0;
  const keep = (key: string, sized: Sized<unknown>): void => {
    if (sized.bytes > budgetBytes) return;
    while (held + sized.bytes > budgetBytes) {
      const [oldest, entry] = entries.entries().next().value!;
      entries.delete(oldest);
      held -= entry.bytes;
    }
    entries.set(key, sized);
    held += sized.bytes;
  };
  return {
    get<T>(key: string, make: () => Promise<Sized<T>>): Promise<T> {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return Promise.resolve(hit.value as T);
      }
      let made = pending.get(key) as Promise<T> | undefined;
      if (!made) {
        made = make().then((sized) => {
          keep(key, sized);
          return sized.value;
        }).finally(() => pending.delete(key));
        pending.set(key, made);
      }
      return made;
    },
    bytes: () => held,
  };
}
