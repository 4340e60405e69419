// GET /metrics: this node's Prometheus metrics, behind a bearer token when METRICS_TOKEN is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { AppError } from '../../domain/errors';

/** What the route needs from observability/metrics.ts. */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function metricsRoutes(metrics: MetricsSource, token: string | undefined): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (token !== undefined) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (given === undefined || !sameToken(given, token)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new AppError('UNAUTHORIZED', 'metrics need the METRICS_TOKEN bearer token');
      }
    }
    const text = await metrics.render();
    res.setHeader('Content-Type', metrics.contentType);
    res.send(text);
  });
  return router;
}
