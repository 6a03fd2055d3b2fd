import { AppError, errors } from '../errors.js';
import { refusalDetail } from '../imaging/decode.js';
import { PROBLEM_CODES } from './schemas/problem.js';

/**
 * One representative answer per error code, made by the catalogue's own factories (src/errors.ts)
 * with typical arguments, plus what a client or a person can do about it. The OpenAPI document
 * takes its examples from here and /problems/<code> its pages, so neither can drift from the
 * messages the service really sends.
 */
export type ProblemCode = (typeof PROBLEM_CODES)[number];

const MiB = 1024 * 1024;

export const PROBLEM_SAMPLES: Readonly<Record<ProblemCode, AppError>> = {
  missing_image: errors.missingImage(),
  too_many_files: errors.tooManyFiles(),
  malformed_multipart: errors.malformedMultipart('The multipart body ended before its closing boundary.'),
  invalid_parameter: errors.invalidParameter('quality', 'an integer from 1 to 100'),
  bad_request: errors.badRequest(),
  not_multipart: errors.notMultipart(),
  payload_too_large: errors.payloadTooLarge(15 * MiB),
  unsupported_media_type: errors.unsupportedMediaType(refusalDetail('heic')),
  image_decode_failed: errors.imageDecodeFailed(),
  image_too_large: errors.imageTooLarge(64_000_000, 50_000_000),
  not_found: errors.notFound(),
  method_not_allowed: errors.methodNotAllowed(['POST']),
  request_timeout: errors.requestTimeout(),
  overloaded: errors.overloaded(2),
  timeout: errors.timeout(),
  not_ready: errors.notReady(),
  internal_error: errors.internal(),
  missing_credentials: errors.missingCredentials(),
  invalid_credentials: errors.invalidCredentials(),
  forbidden: errors.forbidden('effects'),
  rate_limited: errors.rateLimited(1, {}),
  quota_exceeded: errors.quotaExceeded(36_000, {}),
  shutting_down: errors.shuttingDown(),
  headers_too_large: errors.headersTooLarge(),
  template_not_found: errors.templateNotFound(),
  no_face_detected: errors.noFaceDetected(),
  face_too_small: errors.faceTooSmall(40),
  too_many_uploads: errors.tooManyUploads(4),
  expectation_failed: errors.expectationFailed(),
  face_pose_unsupported: errors.facePoseUnsupported(45),
};

/** What to do next, in plain words, for the /problems/<code> page. */
export const PROBLEM_ADVICE: Readonly<Record<ProblemCode, string>> = {
  missing_image: 'Send the photo as a file part named "image" of a multipart/form-data body.',
  too_many_files: 'Send exactly one file, in the part named "image".',
  malformed_multipart: 'Let your HTTP library build the multipart body (FormData, curl -F); do not assemble it by hand.',
  invalid_parameter: 'Fix the field the detail names; the OpenAPI document (/openapi.json) gives each field\'s type and range.',
  bad_request: 'The request could not be parsed (a bad URL or header). Check what your client sends.',
  not_multipart: 'Send the request as multipart/form-data with the photo in the part named "image".',
  payload_too_large: 'Send a smaller file: resize or re-compress the photo. The detail says the limit in MiB.',
  unsupported_media_type: 'Send JPEG, PNG, WebP or AVIF. HEIC photos from an iPhone: choose Settings → Camera → Formats → Most Compatible, or convert to JPEG.',
  image_decode_failed: 'The file is damaged or cut short. Send it again, complete.',
  image_too_large: 'The picture has too many pixels. Resize it (4000 px on the long edge is plenty) and send it again.',
  not_found: 'No such path. The API reference is at /docs.',
  method_not_allowed: 'Use one of the methods the Allow header lists.',
  request_timeout: 'The upload was too slow or stalled. Send it again, on a steadier connection or as a smaller file.',
  overloaded: 'The service is busy. Wait the number of seconds in Retry-After, then send the same request again.',
  timeout: 'The photo took too long to process. Retry after Retry-After seconds; a smaller photo is faster.',
  not_ready: 'The service is starting or stopping. Retry after Retry-After seconds.',
  internal_error: 'Something failed on the service\'s side. Retry later; if it persists, report the X-Request-Id of the answer.',
  missing_credentials: 'Send your API key as "X-API-Key: <key>" or "Authorization: Bearer <key>".',
  invalid_credentials: 'The key or token was not accepted. Check it for typos, or ask for a new key.',
  forbidden: 'Your key may not use this operation. Ask for a key with this scope.',
  rate_limited: 'You sent requests too quickly. Wait the number of seconds in Retry-After; the RateLimit-* headers say where you stand.',
  quota_exceeded: 'Your daily quota is used up. It renews after the number of seconds in Retry-After.',
  shutting_down: 'This instance is stopping. Send the request again: another instance will answer.',
  headers_too_large: 'The request headers are too large. Send fewer or shorter headers (cookies are not needed).',
  template_not_found: 'No template has this id. GET /v1/templates lists the templates.',
  no_face_detected: 'No usable face was found. Send a photo with a face seen from the front, well lit, not too small.',
  face_too_small: 'The face is too small in the photo. Send a closer or larger photo.',
  too_many_uploads: 'Too many uploads from your address are in progress at once. Wait for one to finish, then send the next.',
  face_pose_unsupported: 'Send a photo where the face looks more towards the camera; for a two-slot template, choose one face (face=largest) if another is turned away.',
  expectation_failed: 'Send no Expect header, or "Expect: 100-continue" (which curl sends for large bodies).',
};

/** Codes by status, for the OpenAPI document's per-status descriptions and examples. */
export function codesWithStatus(status: number): ProblemCode[] {
  return PROBLEM_CODES.filter((code) => PROBLEM_SAMPLES[code].status === status);
}
