import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/**
 * GET / — a small self-contained page to try the effects (no CDN). Its files live in
 * src/http/page/ and are served as they are; this module runs from <root>/src/http/routes/
 * (tests) or <root>/dist/http/routes/ (production), so the same relative path finds them.
 */
const PAGE_DIR = fileURLToPath(new URL('../../../src/http/page/', import.meta.url));

export function pageRoutes(): Router {
  const router = Router();
  router.get('/', (_req, res) => { res.sendFile('index.html', { root: PAGE_DIR }); });
  router.use('/page', express.static(PAGE_DIR, { index: false, fallthrough: true }));
  return router;
}
