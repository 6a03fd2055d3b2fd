import { Router, type NextFunction, type Request, type Response } from 'express';
import { errors } from '../../errors.js';
import type { Template } from '../../pipeline/templates/registry.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import type { ServiceState } from '../../request/service-state.js';

const round = (v: number): number => Math.round(v * 10) / 10;

function describe(t: Template) {
  return {
    id: t.id,
    name: t.name,
    kind: t.kind,
    description: t.description,
    license: t.license,
    width: t.width,
    height: t.height,
    slots: t.slots.map((s) => ({
      anchors: Object.fromEntries(Object.entries(s.anchors).map(([k, [x, y]]) => [k, [round(x), round(y)]])),
    })),
    previewUrl: `/v1/templates/${t.id}/preview`,
  };
}

/** GET /v1/templates and GET /v1/templates/{id}/preview (template art is not user data: cacheable). */
export function templatesRoutes(state: ServiceState, previewMaxAgeSeconds = 3600): Router {
  const router = Router();
  const loaded = (_req: Request, _res: Response, next: NextFunction): void => {
    next(state.templates ? undefined : errors.notReady());
  };
  router.route('/v1/templates')
    .get(loaded, (_req, res) => { res.json({ templates: state.templates!.list().map(describe) }); })
    .all(methodNotAllowed(['GET', 'HEAD']));
  router.route('/v1/templates/:id/preview')
    .get(loaded, (req, res, next) => {
      const template = state.templates!.get(String(req.params.id));
      if (!template) { next(errors.templateNotFound()); return; }
      // The one route allowed to replace the service-wide Cache-Control: no-store.
      res.set('Cache-Control', `public, max-age=${previewMaxAgeSeconds}`).type('image/png').send(template.preview);
    })
    .all(methodNotAllowed(['GET', 'HEAD']));
  return router;
}
