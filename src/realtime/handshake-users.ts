// Connections whose user the raw bridge has already authenticated: the Socket.IO handshake that
// follows takes the user from here instead of checking the token a second time. Keyed by the
// engine connection object, which only server code creates, so no client can put an entry here
// (unlike anything a handshake carries).
import type { User } from '../domain/types';

export interface HandshakeUser {
  user: User;
  /** The token's expiry (null: none). */
  expiresAt: Date | null;
}

const byConnection = new WeakMap<object, HandshakeUser>();

export function handOver(connection: object, authenticated: HandshakeUser): void {
  byConnection.set(connection, authenticated);
}

/** The user handed over for this connection, once (null: none; check the token). */
export function takeHandedOver(connection: object): HandshakeUser | null {
  const handed = byConnection.get(connection) ?? null;
  byConnection.delete(connection);
  return handed;
}
