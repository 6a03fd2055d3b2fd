import type { Response } from 'express';
import { MIME_TYPES } from '../../imaging/encode.js';
import type { EffectResult } from '../../pipeline/effect.js';
import type { RequestScope } from '../../request/context.js';

const STAGES = ['decode', 'detect', 'composite', 'encode'] as const;

/** A composited picture as the answer: its type, size, faces used and step timings. */
export function writePicture(res: Response, result: EffectResult, scope: RequestScope): void {
  res.status(200).set({
    'Content-Type': MIME_TYPES[result.format],
    'Content-Length': String(result.image.length),
    'X-Faces-Used': String(result.facesUsed),
    'Server-Timing': STAGES.map((s) => `${s};dur=${(scope.timings[s] ?? 0).toFixed(1)}`).join(', '),
    Vary: 'Accept',
  });
  res.end(result.image);
}
