import { z } from 'zod';

export const healthBody = z.strictObject({ status: z.literal('ok') });

export const readinessBody = z.strictObject({
  status: z.enum(['starting', 'ready', 'stopping']),
  backend: z.string().nullable(),
  simd: z.boolean().nullable(),
  /** Whether tensor memory is zeroed after use: true on wasm, false on the tensorflow opt-in; null until loaded. */
  tensorWipe: z.boolean().nullable(),
  versions: z.strictObject({
    mayfly: z.string(), tfjs: z.string().nullable(), faceApi: z.string().nullable(), node: z.string(),
  }),
});
