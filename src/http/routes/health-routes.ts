// Health: /healthz (process up), /readyz (dependencies reachable), /api/v1/ws/health (docs/PROTOCOL.md §5.8).
import { Router } from 'express';

export interface HealthProbe {
  /** Resolves with each dependency's state; `ready` is false when any is unreachable. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  redisConnected(): boolean;
  /** This node's open sockets, Socket.IO and raw WebSocket. */
  activeConnections(): number;
}

export function healthRoutes(probe: HealthProbe): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, checks } = await probe.readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
  });
  router.get('/api/v1/ws/health', (_req, res) => {
    res.json({
      status: 'ok',
      redis_connected: probe.redisConnected(),
      active_connections: probe.activeConnections(),
    });
  });
  return router;
}
