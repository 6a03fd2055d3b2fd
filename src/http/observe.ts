import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import { maskAddress } from './client-address.js';
import { operations } from './openapi/operations.js';
import { openContext, responseEnded } from '../request/context.js';

/**
 * Request id, one structured log line per request, and the request metrics. The log line holds
 * the request id, the caller's key id, the route template, status, error code, duration and the
 * pipeline's stage timings, and a masked client address. Never a filename, image byte, landmark,
 * query string, header value or full address.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** Documented path templates (plus the undocumented pages), for requests refused before routing. */
const TEMPLATES = [...new Set([...operations.map((op) => op.path), '/openapi.json', '/docs', '/metrics'])]
  .map((path) => ({ path, pattern: new RegExp(`^${path.replace(/\./g, '\\.').replace(/\{\w+\}/g, '[^/]+')}/?$`) }));

/** The route template of a request (a bounded set of values: safe as a metrics label). */
export function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`.replace(/:(\w+)/g, '{$1}');
  const path = req.originalUrl.split('?')[0] ?? '';
  const template = TEMPLATES.find((t) => t.pattern.test(path));
  if (template) return template.path;
  if (path.startsWith('/docs/assets/')) return '/docs/assets/{name}';
  return 'unmatched';
}

export function observeRequests(logger: Logger, metrics: Metrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const offered = req.get('x-request-id');
    const requestId = offered !== undefined && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    const ctx = openContext(res, requestId);
    res.set('X-Request-Id', requestId);
    const started = performance.now();
    void responseEnded(res).then(() => {
      const ms = performance.now() - started;
      const route = routeLabel(req);
      // A response that never finished (client gone, connection cut) counts as 499, as nginx does.
      const status = res.writableFinished ? res.statusCode : 499;
      const code = ctx.errorCode;
      metrics.observeRequest(route, req.method, status, ms / 1000);
      if (code !== undefined) metrics.observeRejection(code);
      const timings = ctx.scope?.timings;
      const line = {
        reqId: requestId,
        keyId: ctx.principal?.id,
        method: req.method,
        route,
        status,
        code,
        ms: Math.round(ms * 10) / 10,
        stages: timings && Object.keys(timings).length > 0
          ? Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10]))
          : undefined,
        client: maskAddress(req.ip),
      };
      if (QUIET_ROUTES.has(route)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
