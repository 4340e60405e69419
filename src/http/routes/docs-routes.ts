// GET /api/v1/openapi.json (generated from the zod schemas) and /api/v1/docs, a browsable
// reference served from swagger-ui-dist's own files: nothing is fetched from a CDN.
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from '../openapi/document';

const DOCS = '/api/v1/docs';

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Parley API reference</title>
    <link rel="stylesheet" href="${DOCS}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS}/swagger-ui-bundle.js"></script>
    <script>
      window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui' });
    </script>
  </body>
</html>
`;

export function docsRoutes(): Router {
  const router = Router();
  router.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get(DOCS, (_req, res) => {
    res.type('html').send(INDEX_HTML);
  });
  // The package's own index would load the petstore example; ours is above.
  router.use(
    DOCS,
    express.static(dirname(require.resolve('swagger-ui-dist/package.json')), {
      index: false,
      maxAge: '1h',
    }),
  );
  return router;
}
