import type { Response } from 'express';

/**
 * Calls `fn` exactly once when the response is over: on 'finish' (the answer was handed to the
 * kernel) or on 'close' (client gone, connection destroyed), whichever comes first.
 */
export function onResponseEnd(res: Response, fn: () => void): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    fn();
  };
  res.once('finish', once);
  res.once('close', once);
}
