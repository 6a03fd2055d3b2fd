import { Router } from 'express';
import type { ServiceState } from '../../request/service-state.js';
import { methodNotAllowed } from '../method-not-allowed.js';

/** Liveness and readiness. Liveness never waits behind image work: it touches only the event loop. */
export function healthRoutes(state: ServiceState, version: string): Router {
  const router = Router();
  router.route('/healthz')
    .get((_req, res) => { res.json({ status: 'ok' }); })
    .all(methodNotAllowed(['GET', 'HEAD']));

  router.route('/readyz')
    .get((_req, res) => {
      const ready = state.phase === 'ready';
      res.status(ready ? 200 : 503).json({
        status: state.phase,
        backend: state.backend?.backend ?? null,
        simd: state.backend?.simd ?? null,
        // Only the wasm backend zeroes tensor memory (faces/wasm-heap-wipe.ts); null until loaded.
        tensorWipe: state.backend ? state.backend.backend === 'wasm' : null,
        versions: {
          mayfly: version,
          tfjs: state.backend?.tfjs ?? null,
          faceApi: state.backend?.faceApi ?? null,
          node: process.versions.node,
        },
      });
    })
    .all(methodNotAllowed(['GET', 'HEAD']));
  return router;
}
