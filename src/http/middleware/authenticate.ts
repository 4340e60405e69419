// Bearer-token authentication for REST; the authenticated user lands in res.locals.user.
import type { RequestHandler, Response } from 'express';
import type { AuthService } from '../../app/auth-service';
import { AppError } from '../../domain/errors';
import type { User } from '../../domain/types';

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export function authenticate(auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    res.locals.user = await auth.authenticate(bearerToken(req.headers.authorization));
    next();
  };
}

/** The caller of an authenticated route. */
export function callerOf(res: Response): User {
  const user = res.locals.user as User | undefined;
  if (!user) throw new AppError('UNAUTHORIZED', 'not authenticated');
  return user;
}
