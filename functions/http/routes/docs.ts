import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { createOpenApiDocument } from '../../api/openapi.js';
import { errorBody } from '../errors.js';

/** Swagger UI's files (npm swagger-ui-dist), served by the app itself: the page needs no network. */
export const DOCS_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const;
type AssetName = keyof typeof DOCS_ASSETS;

/**
 * Where the asset files are: DOCS_ASSETS_DIR if set; `docs-assets/` beside the bundle on Lambda
 * (the CDK bundling copies them there, lib/stacks/api-stack.ts); else the installed package
 * (tests, tsx, the local runtime's bundle inside the project).
 */
export function docsAssetsDirectory(): string {
  if (process.env.DOCS_ASSETS_DIR) return process.env.DOCS_ASSETS_DIR;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'docs-assets')];
  for (const base of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      candidates.push(dirname(createRequire(base).resolve('swagger-ui-dist/package.json')));
    } catch {
      // not installed relative to this base
    }
  }
  const found = candidates.find((candidate) => existsSync(join(candidate, 'swagger-ui-bundle.js')));
  if (!found) throw new Error(`no Swagger UI assets (looked in ${candidates.join(', ')})`);
  return found;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>live-sale API reference</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: 'openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });
</script>
</body>
</html>
`;

/** GET /openapi.json, GET /docs and the page's assets; everything is built or read once, on first use. */
export function docsRoutes() {
  let document: string | undefined;
  const assets = new Map<AssetName, string>();
  return new Hono()
    .get('/openapi.json', (c) => {
      document ??= JSON.stringify(createOpenApiDocument());
      c.header('Cache-Control', 'public, max-age=300');
      return c.body(document, 200, { 'Content-Type': 'application/json' });
    })
    .get('/docs', (c) => c.html(PAGE))
    .get('/docs/assets/:name', (c) => {
      const name = c.req.param('name');
      if (!Object.hasOwn(DOCS_ASSETS, name)) {
        return c.json(errorBody('route_not_found', `no route for GET ${c.req.path}`), 404);
      }
      const asset = name as AssetName;
      let body = assets.get(asset);
      if (body === undefined) {
        body = readFileSync(join(docsAssetsDirectory(), asset), 'utf8');
        assets.set(asset, body);
      }
      c.header('Cache-Control', 'public, max-age=86400');
      return c.body(body, 200, { 'Content-Type': DOCS_ASSETS[asset] });
    });
}
