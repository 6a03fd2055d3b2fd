/**
 * The one error class of the service. `code` is stable snake_case (clients branch on it),
 * `status` is the HTTP status, `title` is fixed per code and `detail` says what happened to
 * this request. Nothing user-supplied (filenames, bytes, landmarks) is ever put in a message.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'AppError';
  }
}

/** A byte limit as people read it: "15 MiB", "256 KiB" (never a raw byte count). */
export function sizeText(bytes: number): string {
  const [unit, size] = bytes >= 1024 * 1024 ? ['MiB', bytes / (1024 * 1024)] : bytes >= 1024 ? ['KiB', bytes / 1024] : ['bytes', bytes];
  return `${Number(size.toFixed(2))} ${unit}`;
}

const megapixels = (pixels: number): string => `${Number((pixels / 1e6).toFixed(1))} megapixels`;

/** The catalogue of errors; docs/errors.md lists the same codes (test/docs.test.ts checks it). */
export const errors = {
  missingImage: (detail = 'Send the photo as a multipart/form-data file in the field "image".') =>
    new AppError('missing_image', 400, 'Missing image', detail),
  tooManyFiles: (fields: readonly string[] = ['image']) =>
    new AppError('too_many_files', 400, 'Too many files', fields.length === 1
      ? `Send exactly one file, in the field "${fields[0]}".`
      : `Send exactly one file in each of the fields ${fields.map((f) => `"${f}"`).join(' and ')}.`),
  malformedMultipart: (detail: string) =>
    new AppError('malformed_multipart', 400, 'Malformed multipart body', detail),
  invalidParameter: (field: string, expected: string) =>
    new AppError('invalid_parameter', 400, 'Invalid parameter', `Expected ${expected} for "${field}".`),
  /** The names of fields the client invented are not repeated back: only the known ones are listed. */
  unknownField: (known: readonly string[] = []) =>
    new AppError('invalid_parameter', 400, 'Invalid parameter',
      `The form has a field this operation does not take; ${known.length > 0 ? `known fields: ${known.join(', ')}` : 'send only the file "image"'}.`),
  notMultipart: () =>
    new AppError('not_multipart', 415, 'Not multipart/form-data',
      'Send the request as multipart/form-data with the photo in the field "image".'),
  payloadTooLarge: (limit: number) =>
    new AppError('payload_too_large', 413, 'Payload too large', `The upload exceeds the limit of ${sizeText(limit)}: send a smaller photo (a JPEG of 12 megapixels is usually 2–5 MiB).`),
  unsupportedMediaType: (detail = 'Accepted image formats are JPEG, PNG, WebP and AVIF: send the photo in one of them.') =>
    new AppError('unsupported_media_type', 415, 'Unsupported media type', detail),
  imageDecodeFailed: (detail = 'The image is truncated or corrupt and could not be decoded: send the whole file again, or another copy of the photo.') =>
    new AppError('image_decode_failed', 422, 'Image could not be decoded', detail),
  imageTooLarge: (pixels: number | undefined, limit: number) =>
    new AppError('image_too_large', 413, 'Image too large', pixels === undefined
      ? `The image declares more than ${limit} pixels (${megapixels(limit)}), the limit: send a smaller photo.`
      : `The image declares ${pixels} pixels; the limit is ${limit} (${megapixels(limit)}): send a smaller photo.`),
  decodeTooCostly: (neededBytes: number, limitBytes: number) =>
    new AppError('image_too_large', 413, 'Image too large',
      `Decoding this image would take about ${sizeText(neededBytes)} of memory; one request may use ${sizeText(limitBytes)}: `
      + 'send it as a baseline JPEG, or smaller.'),
  notFound: () => new AppError('not_found', 404, 'Not found', 'No such resource.'),
  templateNotFound: () =>
    new AppError('template_not_found', 404, 'Template not found', 'No template has this id; GET /v1/templates lists them.'),
  noFaceDetected: (detail = 'No face was found in the photo: send one where a face is seen from the front, well lit and not tiny.') =>
    new AppError('no_face_detected', 422, 'No face detected', detail),
  facePoseUnsupported: (maxYawDegrees: number) =>
    new AppError('face_pose_unsupported', 422, 'Face pose unsupported',
      `A face is turned too far to the side for a face swap (more than about ${maxYawDegrees}° of yaw); send a photo facing the camera more.`),
  faceTooSmall: (minPixels: number, where = 'the uploaded photo') =>
    new AppError('face_too_small', 422, 'Face too small',
      `The face is narrower than ${minPixels} pixels in ${where}; send a closer or larger photo.`),
  methodNotAllowed: (allowed: readonly string[]) =>
    new AppError('method_not_allowed', 405, 'Method not allowed', `Allowed: ${allowed.join(', ')}.`,
      { Allow: allowed.join(', ') }),
  requestTimeout: (detail = 'The request body was not received in time.') =>
    new AppError('request_timeout', 408, 'Request timeout', detail),
  badRequest: (detail = 'The request could not be understood.') => new AppError('bad_request', 400, 'Bad request', detail),
  expectationFailed: () =>
    new AppError('expectation_failed', 417, 'Expectation failed', 'The only supported expectation is "Expect: 100-continue".'),
  headersTooLarge: () =>
    new AppError('headers_too_large', 431, 'Request header fields too large', 'The request headers exceed the server\'s limit.'),
  overloaded: (retryAfterSeconds: number) =>
    new AppError('overloaded', 503, 'Service overloaded', 'Too many requests are being processed; retry shortly.',
      { 'Retry-After': String(retryAfterSeconds) }),
  timeout: () =>
    new AppError('timeout', 503, 'Processing timed out', 'The request could not be processed within its deadline.',
      { 'Retry-After': '1' }),
  notReady: () =>
    new AppError('not_ready', 503, 'Service not ready', 'The service is starting or shutting down.', { 'Retry-After': '1' }),
  internal: () => new AppError('internal_error', 500, 'Internal error', 'Something went wrong on our side.'),
  missingCredentials: () =>
    new AppError('missing_credentials', 401, 'Missing credentials',
      'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>", or an app token as "Authorization: Bearer <jwt>".',
      { 'WWW-Authenticate': 'Bearer realm="mayfly"' }),
  invalidCredentials: (detail = 'The API key or token is not valid.') =>
    new AppError('invalid_credentials', 401, 'Invalid credentials', detail,
      { 'WWW-Authenticate': 'Bearer realm="mayfly", error="invalid_token"' }),
  forbidden: (scope: string) =>
    new AppError('forbidden', 403, 'Forbidden', `These credentials are not allowed to use "${scope}".`),
  rateLimited: (retryAfterSeconds: number, headers: Readonly<Record<string, string>>) =>
    new AppError('rate_limited', 429, 'Too many requests', `Slow down: retry after ${retryAfterSeconds} s.`,
      { ...headers, 'Retry-After': String(retryAfterSeconds) }),
  tooManyUploads: (limit: number) =>
    new AppError('too_many_uploads', 429, 'Too many uploads at once',
      `This client address already has ${limit} upload(s) in progress; send the next one when one has finished.`,
      { 'Retry-After': '1' }),
  quotaExceeded: (retryAfterSeconds: number, headers: Readonly<Record<string, string>>) =>
    new AppError('quota_exceeded', 429, 'Daily quota exceeded', `The daily quota is used up: it renews in ${retryAfterSeconds} s.`,
      { ...headers, 'Retry-After': String(retryAfterSeconds) }),
  shuttingDown: () =>
    new AppError('shutting_down', 503, 'Shutting down', 'This instance is shutting down; retry on another.',
      { 'Retry-After': '1' }),
} as const;

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
