// POST /api/v1/auth/register and /login: standalone accounts.
import { Router } from 'express';
import type { AuthService } from '../../app/auth-service';
import { loginBodySchema, registerBodySchema } from '../../protocol/rest';
import { ok } from '../respond';
import { noQuery, parseInput, parseQuery } from '../validate';

export function authRoutes(auth: AuthService): Router {
  const router = Router();
  router.post('/register', async (req, res) => {
    parseQuery(noQuery, req.query);
    const body = parseInput(registerBodySchema, req.body, 'body');
    ok(res, await auth.register(body.username, body.password, body.avatar_url ?? null), 201);
  });
  router.post('/login', async (req, res) => {
    parseQuery(noQuery, req.query);
    const body = parseInput(loginBodySchema, req.body, 'body');
    ok(res, await auth.login(body.username, body.password));
  });
  return router;
}
