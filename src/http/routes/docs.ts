import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import helmet from 'helmet';
import { methodNotAllowed } from '../method-not-allowed.js';

/**
 * GET /openapi.json (the generated document) and GET /docs, a Swagger UI reference served from
 * the swagger-ui-dist package's own files: no CDN, works offline. The page has no inline script
 * (its start-up code is /docs/assets/init.js), so its CSP allows scripts from 'self' only; Swagger
 * UI sets inline styles, hence style-src 'unsafe-inline'. The spec validator badge (which would
 * call validator.swagger.io) is off. Paths are absolute so that /docs/ (trailing slash, which
 * express routes here too) finds its assets and the document as /docs does.
 */
const require = createRequire(import.meta.url);
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, { file: string; type: string }> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'text/javascript' },
  'favicon-32x32.png': { file: 'favicon-32x32.png', type: 'image/png' },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mayfly API reference</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  validatorUrl: null,
  defaultModelsExpandDepth: 1,
});
`;

export const DOCS_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

export function docsRoutes(openapi: Record<string, unknown>): Router {
  const router = Router();
  const document = JSON.stringify(openapi);
  const assets = new Map(Object.entries(ASSETS).map(([name, { file, type }]) => [name, { body: readFileSync(join(SWAGGER_DIR, file)), type }]));
  assets.set('init.js', { body: Buffer.from(INIT), type: 'text/javascript' });

  router.route('/openapi.json')
    .get((_req, res) => { res.type('application/json').send(document); })
    .all(methodNotAllowed(['GET', 'HEAD']));

  const csp = helmet.contentSecurityPolicy(DOCS_CSP);
  router.route('/docs')
    .get(csp, (_req, res) => { res.set('Cache-Control', 'public, max-age=300').type('html').send(PAGE); })
    .all(methodNotAllowed(['GET', 'HEAD']));
  router.get('/docs/assets/:name', csp, (req, res, next) => {
    const asset = assets.get(req.params.name);
    if (!asset) {
      next();
      return;
    }
    res.set('Cache-Control', 'public, max-age=86400').type(asset.type).send(asset.body);
  });
  return router;
}
