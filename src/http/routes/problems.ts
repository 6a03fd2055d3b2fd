import { Router } from 'express';
import { errors } from '../../errors.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { PROBLEM_ADVICE, PROBLEM_SAMPLES, type ProblemCode } from '../problem-catalogue.js';
import { PROBLEM_CODES } from '../schemas/problem.js';

/**
 * GET /problems/<code>: the page a problem's `type` URI names, one short human page per code of
 * the catalogue (what it means, an example answer, what to do), and GET /problems listing them.
 * Generated from src/errors.ts through the problem catalogue; static text, no scripts.
 */
const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}'
  + 'code,pre{font:14px ui-monospace,monospace}pre{background:#f4f4f6;padding:.75rem;border-radius:.4rem;white-space:pre-wrap}'
  + 'a{color:#2b47b5}';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} — mayfly</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body>
${body}
<p><a href="/problems">All problem types</a> · <a href="/docs">API reference</a></p>
</body>
</html>
`;
}

function problemPage(code: ProblemCode): string {
  const sample = PROBLEM_SAMPLES[code];
  const example = JSON.stringify({ type: `/problems/${code}`, title: sample.title, status: sample.status, detail: sample.detail, code }, null, 2);
  return page(sample.title, `<h1>${escape(sample.title)}</h1>
<p>HTTP status <strong>${sample.status}</strong>, code <code>${code}</code>.</p>
<h2>What to do</h2>
<p>${escape(PROBLEM_ADVICE[code])}</p>
<h2>Example answer</h2>
<p>Sent as <code>application/problem+json</code> (RFC 9457); clients branch on <code>code</code>, people read <code>detail</code>.</p>
<pre>${escape(example)}</pre>`);
}

function indexPage(): string {
  const rows = [...PROBLEM_CODES].sort((a, b) => PROBLEM_SAMPLES[a].status - PROBLEM_SAMPLES[b].status || a.localeCompare(b))
    .map((code) => `<li><a href="/problems/${code}"><code>${code}</code></a> (${PROBLEM_SAMPLES[code].status}): ${escape(PROBLEM_SAMPLES[code].title)}</li>`);
  return page('Problem types', `<h1>Problem types</h1>
<p>Every error answer of the service is <code>application/problem+json</code> with a stable <code>code</code>; its <code>type</code> links here.</p>
<ul>
${rows.join('\n')}
</ul>`);
}

export function problemsRoutes(maxAgeSeconds = 3600): Router {
  const router = Router();
  const pages = new Map<string, string>(PROBLEM_CODES.map((code) => [code, problemPage(code)]));
  const index = indexPage();
  const cacheable = `public, max-age=${maxAgeSeconds}`;
  router.route('/problems')
    .get((_req, res) => { res.set('Cache-Control', cacheable).type('html').send(index); })
    .all(methodNotAllowed(['GET', 'HEAD']));
  router.route('/problems/:code')
    .get((req, res, next) => {
      const html = pages.get(req.params.code);
      if (!html) { next(errors.notFound()); return; }
      res.set('Cache-Control', cacheable).type('html').send(html);
    })
    .all(methodNotAllowed(['GET', 'HEAD']));
  return router;
}
