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

/** The catalogue of errors; the README's error table lists the same codes. */
export const errors = {
  missingImage: (detail = 'Send the photo as a multipart/form-data file in the field "image".') =>
    new AppError('missing_image', 400, 'Missing image', detail),
  tooManyFiles: () =>
    new AppError('too_many_files', 400, 'Too many files', 'Send exactly one file, in the field "image".'),
  malformedMultipart: (detail: string) =>
    new AppError('malformed_multipart', 400, 'Malformed multipart body', detail),
  invalidParameter: (field: string, expected: string) =>
    new AppError('invalid_parameter', 400, 'Invalid parameter', `Expected ${expected} for "${field}".`),
  notMultipart: () =>
    new AppError('not_multipart', 415, 'Not multipart/form-data',
      'Send the request as multipart/form-data with the photo in the field "image".'),
  payloadTooLarge: (limit: number) =>
    new AppError('payload_too_large', 413, 'Payload too large', `The upload exceeds the limit of ${limit} bytes.`),
  unsupportedMediaType: (detail = 'Accepted image formats are JPEG, PNG, WebP and AVIF.') =>
    new AppError('unsupported_media_type', 415, 'Unsupported media type', detail),
  imageDecodeFailed: (detail = 'The image is truncated or corrupt and could not be decoded.') =>
    new AppError('image_decode_failed', 422, 'Image could not be decoded', detail),
  imageTooLarge: (pixels: number | undefined, limit: number) =>
    new AppError('image_too_large', 413, 'Image too large', pixels === undefined
      ? `The image declares more than ${limit} pixels, the limit.`
      : `The image declares ${pixels} pixels; the limit is ${limit}.`),
  notFound: () => new AppError('not_found', 404, 'Not found', 'No such resource.'),
  templateNotFound: () =>
    new AppError('template_not_found', 404, 'Template not found', 'No template has this id; GET /v1/templates lists them.'),
  noFaceDetected: (detail = 'No face was found in the photo.') =>
    new AppError('no_face_detected', 422, 'No face detected', detail),
  facePoseUnsupported: (maxYawDegrees: number) =>
    new AppError('face_pose_unsupported', 422, 'Face pose unsupported',
      `A face is turned too far to the side for a face swap (more than about ${maxYawDegrees}° of yaw); send a photo facing the camera more.`),
  faceTooSmall: (minPixels: number) =>
    new AppError('face_too_small', 422, 'Face too small',
      `The face is narrower than ${minPixels} pixels in the uploaded photo; send a closer or larger photo.`),
  methodNotAllowed: (allowed: readonly string[]) =>
    new AppError('method_not_allowed', 405, 'Method not allowed', `Allowed: ${allowed.join(', ')}.`,
      { Allow: allowed.join(', ') }),
  requestTimeout: (detail = 'The request body was not received in time.') =>
    new AppError('request_timeout', 408, 'Request timeout', detail),
  badRequest: () => new AppError('bad_request', 400, 'Bad request', 'The request could not be understood.'),
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
