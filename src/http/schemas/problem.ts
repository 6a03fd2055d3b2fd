import { z } from 'zod';

/** Every error code the service answers with (the errors catalogue in src/errors.ts). */
export const PROBLEM_CODES = [
  'missing_image', 'too_many_files', 'malformed_multipart', 'invalid_parameter', 'bad_request', 'not_multipart',
  'payload_too_large', 'unsupported_media_type', 'image_decode_failed', 'image_too_large', 'not_found',
  'method_not_allowed', 'request_timeout', 'overloaded', 'timeout', 'not_ready', 'internal_error',
  'missing_credentials', 'invalid_credentials', 'forbidden', 'rate_limited', 'quota_exceeded', 'shutting_down',
  'headers_too_large', 'template_not_found', 'no_face_detected', 'face_too_small', 'too_many_uploads',
  'expectation_failed', 'face_pose_unsupported',
] as const;

/** RFC 9457 problem details, as src/http/problem.ts sends them. */
export const problemBody = z.strictObject({
  type: z.string().describe('URI reference naming the problem type: /problems/<code>.'),
  title: z.string().describe('Fixed short summary per code.'),
  status: z.int().min(400).max(599),
  detail: z.string().describe('What happened to this request.'),
  code: z.string().regex(/^[a-z_]+$/).describe(`Stable machine-readable code, one of: ${PROBLEM_CODES.join(', ')}.`),
});
