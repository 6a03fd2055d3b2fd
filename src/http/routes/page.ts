import { join } from 'node:path';
import express, { Router } from 'express';
import { PACKAGE_ROOT } from '../../package-root.js';

/**
 * GET / — a small self-contained page to try the effects (no CDN). Its files live in
 * src/http/page/ and are served as they are, from the source tree, also by the build.
 */
const PAGE_DIR = join(PACKAGE_ROOT, 'src/http/page');

export function pageRoutes(): Router {
  const router = Router();
  router.get('/', (_req, res) => { res.sendFile('index.html', { root: PAGE_DIR }); });
  router.use('/page', express.static(PAGE_DIR, { index: false, fallthrough: true }));
  return router;
}
