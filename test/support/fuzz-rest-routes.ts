// Every route under /api/v1 (src/http/routes/*.ts) as the fuzz suite sees it: its path params
// with values that would work for alice, its query keys, its body spec and a body that would
// work. A fuzz case starts from one of these and breaks exactly one thing.
import { BODIES, type BodySpec } from './fuzz-specs';
import type { FuzzValue } from './fuzz-values';
import type { World } from './fuzz-world';

export type QueryKind =
  | 'limit'
  | 'cursor'
  | 'convCursor'
  | 'since'
  | 'q'
  | 'messageId'
  | 'userIds'
  /** A message search's `q`: 1-200 characters after trimming, holding a word. */
  | 'searchQ';

export interface Route {
  /** `METHOD /path/:param` as in the route files, for counts and reports. */
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** With `:param` placeholders filled from `params`. */
  path: string;
  /** Values as they go in the path (URL-encoded); `:emoji` is an emoji, every other an id. */
  params: Record<string, string>;
  /** Query keys the route takes, each with its kind and limit range. */
  query: Record<string, { kind: QueryKind; min?: number; max?: number }>;
  body?: { spec: BodySpec; valid: Record<string, FuzzValue> };
  authed: boolean;
}

const v1 = '/api/v1';
const m = `${v1}/messages`;

export function fillPath(route: Route, params: Record<string, string> = route.params): string {
  return route.path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? `:${name}`);
}

export function routesOf(w: World): Route[] {
  const { alice, bob, dave } = w.users;
  const dmMessage = w.messages.dm.alice[0]!;
  const convParams = { id: w.dm };
  // alice reacted 👍 to bob's message in the DM, not 🎉 (fuzz-world.ts).
  const reactions = `${m}/conversations/:id/messages/:messageId/reactions/:emoji`;
  const reacted = { id: w.dm, messageId: w.messages.dm.bob[0]! };
  return [
    {
      name: 'POST /auth/register',
      method: 'POST',
      path: `${v1}/auth/register`,
      params: {},
      query: {},
      body: {
        spec: BODIES.register,
        valid: { username: 'fzneverregistered', password: 'correct horse battery' },
      },
      authed: false,
    },
    {
      name: 'POST /auth/login',
      method: 'POST',
      path: `${v1}/auth/login`,
      params: {},
      query: {},
      body: {
        spec: BODIES.login,
        valid: { username: alice.username, password: 'not her password' },
      },
      authed: false,
    },
    {
      name: 'GET /messages/search/users',
      method: 'GET',
      path: `${m}/search/users`,
      params: {},
      query: { q: { kind: 'q' }, limit: { kind: 'limit', min: 1, max: 20 } },
      authed: true,
    },
    {
      name: 'GET /messages/search/messages',
      method: 'GET',
      path: `${m}/search/messages`,
      params: {},
      query: {
        q: { kind: 'searchQ' },
        conversation_id: { kind: 'messageId' },
        cursor: { kind: 'convCursor' },
        limit: { kind: 'limit', min: 1, max: 50 },
      },
      authed: true,
    },
    {
      name: 'POST /messages/conversations',
      method: 'POST',
      path: `${m}/conversations`,
      params: {},
      query: {},
      body: {
        spec: BODIES.createConversation,
        valid: { type: 'GROUP', name: 'fuzzed', participant_ids: [bob.id] },
      },
      authed: true,
    },
    {
      name: 'GET /messages/conversations',
      method: 'GET',
      path: `${m}/conversations`,
      params: {},
      query: { cursor: { kind: 'convCursor' }, limit: { kind: 'limit', min: 1, max: 50 } },
      authed: true,
    },
    {
      name: 'GET /messages/conversations/:id',
      method: 'GET',
      path: `${m}/conversations/:id`,
      params: convParams,
      query: {},
      authed: true,
    },
    {
      name: 'POST /messages/conversations/:id/participants',
      method: 'POST',
      path: `${m}/conversations/:id/participants`,
      params: { id: w.group },
      query: { user_ids: { kind: 'userIds' } },
      body: { spec: BODIES.addParticipants, valid: { user_ids: [dave.id] } },
      authed: true,
    },
    {
      name: 'DELETE /messages/conversations/:id/participants/:userId',
      method: 'DELETE',
      path: `${m}/conversations/:id/participants/:userId`,
      params: { id: w.group, userId: bob.id },
      query: {},
      authed: true,
    },
    {
      name: 'POST /messages/direct/:userId',
      method: 'POST',
      path: `${m}/direct/:userId`,
      params: { userId: dave.id },
      query: {},
      authed: true,
    },
    {
      name: 'GET /messages/sync',
      method: 'GET',
      path: `${m}/sync`,
      params: {},
      query: { since: { kind: 'since' }, limit: { kind: 'limit', min: 1, max: 500 } },
      authed: true,
    },
    {
      name: 'POST /messages/sync',
      method: 'POST',
      path: `${m}/sync`,
      params: {},
      query: {},
      body: { spec: BODIES.sync, valid: { limit: 10 } },
      authed: true,
    },
    {
      name: 'GET /messages/conversations/:id/messages',
      method: 'GET',
      path: `${m}/conversations/:id/messages`,
      params: convParams,
      query: { cursor: { kind: 'cursor' }, limit: { kind: 'limit', min: 1, max: 100 } },
      authed: true,
    },
    {
      name: 'POST /messages/conversations/:id/messages',
      method: 'POST',
      path: `${m}/conversations/:id/messages`,
      params: convParams,
      query: {},
      body: { spec: BODIES.sendMessage, valid: { content: 'fuzz' } },
      authed: true,
    },
    {
      name: 'PATCH /messages/conversations/:id/messages/:messageId',
      method: 'PATCH',
      path: `${m}/conversations/:id/messages/:messageId`,
      params: { id: w.dm, messageId: dmMessage },
      query: {},
      body: { spec: BODIES.editMessage, valid: { content: 'edited by fuzz' } },
      authed: true,
    },
    {
      name: 'DELETE /messages/conversations/:id/messages/:messageId',
      method: 'DELETE',
      path: `${m}/conversations/:id/messages/:messageId`,
      params: { id: w.dm, messageId: dmMessage },
      query: {},
      authed: true,
    },
    {
      name: 'PATCH /messages/conversations/:id/mute',
      method: 'PATCH',
      path: `${m}/conversations/:id/mute`,
      params: { id: w.group },
      query: {},
      body: { spec: BODIES.mute, valid: { muted: true } },
      authed: true,
    },
    {
      name: 'PATCH /messages/conversations/:id/seen',
      method: 'PATCH',
      path: `${m}/conversations/:id/seen`,
      params: { id: w.group },
      query: { message_id: { kind: 'messageId' } },
      body: { spec: BODIES.seen, valid: {} },
      authed: true,
    },
    // Pins (§5.13): no body, no query.
    {
      name: 'GET /messages/conversations/:id/pins',
      method: 'GET',
      path: `${m}/conversations/:id/pins`,
      params: convParams,
      query: {},
      authed: true,
    },
    {
      name: 'PUT /messages/conversations/:id/pins/:messageId',
      method: 'PUT',
      path: `${m}/conversations/:id/pins/:messageId`,
      params: { id: w.dm, messageId: dmMessage },
      query: {},
      authed: true,
    },
    {
      name: 'DELETE /messages/conversations/:id/pins/:messageId',
      method: 'DELETE',
      path: `${m}/conversations/:id/pins/:messageId`,
      params: { id: w.dm, messageId: dmMessage },
      query: {},
      authed: true,
    },
    // Reactions (§5.12): no body, no query. Either one run would change something.
    {
      name: 'PUT /messages/conversations/:id/messages/:messageId/reactions/:emoji',
      method: 'PUT',
      path: reactions,
      params: { ...reacted, emoji: encodeURIComponent('🎉') },
      query: {},
      authed: true,
    },
    {
      name: 'DELETE /messages/conversations/:id/messages/:messageId/reactions/:emoji',
      method: 'DELETE',
      path: reactions,
      params: { ...reacted, emoji: encodeURIComponent('👍') },
      query: {},
      authed: true,
    },
    // Blocking (§5.15): alice blocks dave, not bob (fuzz-world.ts); either one run would change
    // something.
    {
      name: 'GET /messages/blocks',
      method: 'GET',
      path: `${m}/blocks`,
      params: {},
      query: { cursor: { kind: 'convCursor' }, limit: { kind: 'limit', min: 1, max: 50 } },
      authed: true,
    },
    {
      name: 'PUT /messages/blocks/:userId',
      method: 'PUT',
      path: `${m}/blocks/:userId`,
      params: { userId: bob.id },
      query: {},
      authed: true,
    },
    {
      name: 'DELETE /messages/blocks/:userId',
      method: 'DELETE',
      path: `${m}/blocks/:userId`,
      params: { userId: dave.id },
      query: {},
      authed: true,
    },
  ];
}

/** Methods each path answers, so a "wrong method" case never hits a real route. */
export function methodsByPath(routes: Route[]): Map<string, Set<string>> {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) {
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method);
    byPath.set(r.path, methods);
  }
  return byPath;
}
