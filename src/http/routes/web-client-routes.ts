// The demo web client at `/`: the bundle `npm run build` writes to dist/web (WEB_CLIENT).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { Router } from 'express';

/** The package root (the nearest folder with a package.json), from src/ or from dist/src/. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

export const WEB_CLIENT_DIR = join(packageRoot(__dirname), 'dist', 'web');

export function webClientRoutes(dir: string = WEB_CLIENT_DIR): Router {
  const router = Router();
  router.get('/', (_req, res, next) => {
    const index = join(dir, 'index.html');
    // A checkout that was never built says so instead of a bare 404.
    if (!existsSync(index)) {
      res.status(503).type('text').send('the web client is not built: run `npm run build`\n');
      return;
    }
    res.sendFile(index, (err) => {
      if (err) next(err);
    });
  });
  router.use(express.static(dir, { index: false, maxAge: '5m' }));
  return router;
}
