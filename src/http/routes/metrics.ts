import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import { errors } from '../../errors.js';
import { methodNotAllowed } from '../method-not-allowed.js';

/**
 * GET /metrics on the main port, only when METRICS_TOKEN is set, and only with
 * `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). With METRICS_PORT the
 * same text is served on a separate port, reachable only inside the cluster (see deploy/k8s).
 */
const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export function metricsRoutes(registry: Registry, token: string): Router {
  const expected = digest(`Bearer ${token}`);
  const router = Router();
  router.route('/metrics')
    .get(async (req, res, next) => {
      const presented = req.get('authorization');
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        next(presented === undefined ? errors.missingCredentials() : errors.invalidCredentials());
        return;
      }
      res.type(registry.contentType).send(await registry.metrics());
    })
    .all(methodNotAllowed(['GET', 'HEAD']));
  return router;
}

/** The whole of the separate metrics listener: GET /metrics, everything else 404. */
export function metricsListener(registry: Registry) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text);
    }, () => {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics failed\n');
    });
  };
}
