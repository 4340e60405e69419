// The OpenAPI document against the app: every route of the Express router is documented, and the
// real answers of every route match the response schemas the document is generated from.
import type { Express } from 'express';
import { createHttpApp, type HttpAppDeps } from '../../src/http/app';
import { openApiDocument, openApiPath } from '../../src/http/openapi/document';
import { createLogger } from '../../src/observability/logger';
import { DocumentedResponses } from '../support/documented-responses';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { ensureWebClientBuilt } from '../support/web-build';
import type { RunningNode } from '../../src/node';

interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

/** `METHOD /path` of every route the router holds, mounted routers included. */
function routesOf(stack: LayerLike[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = `${prefix}${String(layer.route.path)}`;
      return Object.keys(layer.route.methods)
        .filter((m) => m !== '_all')
        .map((m) => `${m.toUpperCase()} ${path}`);
    }
    const inner = layer.handle?.stack;
    if (!Array.isArray(inner)) return [];
    if (typeof layer.rawPath !== 'string') throw new Error('a mounted router has no string path');
    const mount = layer.rawPath === '/' ? '' : layer.rawPath;
    return routesOf(inner, `${prefix}${mount}`);
  });
}

/** The app with every optional route on; services are never called by the walk. */
function fullApp(): Express {
  const unused = {} as never;
  const deps: HttpAppDeps = {
    config: {
      limits: { maxBodyBytes: 1024 } as HttpAppDeps['config']['limits'],
      corsOrigins: '*',
      trustProxy: 'loopback',
      webClient: true,
    },
    logger: createLogger('silent', 'openapi-test'),
    auth: unused,
    users: unused,
    conversations: unused,
    mutes: unused,
    pins: unused,
    blocks: unused,
    reactions: unused,
    messages: unused,
    receipts: unused,
    sync: unused,
    messageSearch: unused,
    health: unused,
    metrics: { contentType: 'text/plain', render: () => Promise.resolve('') },
    rateLimits: { ipRequests: unused, restWrites: unused },
  };
  return createHttpApp(deps);
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every route of the Express router', () => {
    const doc = openApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    const app = fullApp() as Express & { router?: { stack: LayerLike[] } };
    if (!app.router) throw new Error('Express 5 app.router is missing');
    const routes = routesOf(app.router.stack);
    expect(routes.length).toBeGreaterThan(15);
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const missing = routes
      .map((r) => {
        const [method = '', path = ''] = r.split(' ');
        return `${method} ${openApiPath(path)}`;
      })
      .filter((r) => !documented.includes(r));
    expect(missing).toEqual([]);
  });

  it('gives every operation request schemas for its path parameters and JSON responses', () => {
    const doc = openApiDocument();
    const op = (
      doc.paths?.['/api/v1/messages/conversations/{id}/messages'] as Record<
        string,
        { parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: object }
      >
    )['post'];
    expect(op?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]),
    );
    expect(op?.requestBody).toBeDefined();
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '403']));
  });
});

describe('HTTP answers match the documented response schemas', () => {
  let node: RunningNode;
  let api: Api;
  const seen = new DocumentedResponses();

  beforeAll(async () => {
    ensureWebClientBuilt();
    node = await startTestNode({ WEB_CLIENT: 'on' });
    api = new Api(node.url);
  });
  afterAll(async () => {
    await node.close();
  });

  /** Calls a route and checks the answer against the table; returns the parsed body. */
  async function call(
    as: Api | TestUser,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, any> }> {
    const client = as instanceof Api ? as : as.api;
    const res = await fetch(client.baseUrl + path, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(client.token && { authorization: `Bearer ${client.token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    const parsed: unknown = type.includes('json') ? JSON.parse(text) : text;
    seen.check(method, path, res.status, parsed, type);
    return { status: res.status, body: parsed as Record<string, any> };
  }

  it('every route, success and failure', async () => {
    const password = 'correct horse battery';
    const name = `oa${Date.now().toString(36)}`;
    const reg = await call(api, 'POST', '/api/v1/auth/register', { username: name, password });
    expect(reg.status).toBe(201);
    await call(api, 'POST', '/api/v1/auth/login', { username: name, password });
    expect(
      (await call(api, 'POST', '/api/v1/auth/login', { username: name, password: 'nope-nope' }))
        .status,
    ).toBe(401);
    const me = api.as(reg.body.data.access_token as string);
    const bob = await registerUser(api, 'oab');
    const carol = await registerUser(api, 'oac');

    await call(me, 'GET', `/api/v1/messages/search/users?q=${bob.username.slice(0, 5)}`);
    expect((await call(api, 'GET', '/api/v1/messages/conversations')).status).toBe(401);
    const dm = await call(me, 'POST', `/api/v1/messages/direct/${bob.id}`);
    const dmId = dm.body.data.id as string;
    const group = await call(me, 'POST', '/api/v1/messages/conversations', {
      type: 'GROUP',
      participant_ids: [bob.id],
      name: 'team',
    });
    const groupId = group.body.data.id as string;
    await call(me, 'GET', '/api/v1/messages/conversations?limit=1');
    await call(me, 'GET', `/api/v1/messages/conversations/${dmId}`);
    expect((await call(carol, 'GET', `/api/v1/messages/conversations/${dmId}`)).status).toBe(403);
    await call(me, 'POST', `/api/v1/messages/conversations/${groupId}/participants`, {
      user_ids: [carol.id],
    });
    await call(me, 'DELETE', `/api/v1/messages/conversations/${groupId}/participants/${carol.id}`);

    const sent = await call(me, 'POST', `/api/v1/messages/conversations/${dmId}/messages`, {
      content: 'hello',
      media: [{ url: 'https://example.com/a.png', type: 'image' }],
      temp_id: 't-1',
    });
    const messageId = sent.body.data.id as string;
    await call(me, 'POST', `/api/v1/messages/conversations/${dmId}/messages`, {
      content: 'a reply',
      reply_to_message_id: messageId,
    });
    expect(
      (await call(me, 'POST', `/api/v1/messages/conversations/${dmId}/messages`, { content: 5 }))
        .status,
    ).toBe(400);
    await call(me, 'GET', `/api/v1/messages/conversations/${dmId}/messages?limit=1`);
    await call(me, 'PATCH', `/api/v1/messages/conversations/${dmId}/messages/${messageId}`, {
      content: 'hello, edited',
    });
    await call(bob, 'PATCH', `/api/v1/messages/conversations/${dmId}/seen`, {});
    await call(bob, 'PATCH', `/api/v1/messages/conversations/${dmId}/mute`, { muted: true });
    expect(
      (
        await call(bob, 'PATCH', `/api/v1/messages/conversations/${dmId}/mute`, {
          muted: true,
          until: '2001-01-01T00:00:00Z',
        })
      ).status,
    ).toBe(400);
    const found = await call(me, 'GET', `/api/v1/messages/search/messages?q=edited&limit=1`);
    expect(found.body.data).toHaveLength(1);
    await call(me, 'GET', `/api/v1/messages/search/messages?q=reply&conversation_id=${dmId}`);
    expect((await call(me, 'GET', '/api/v1/messages/search/messages?q=%20')).status).toBe(400);
    expect(
      (await call(carol, 'GET', `/api/v1/messages/search/messages?q=a&conversation_id=${dmId}`))
        .status,
    ).toBe(403);
    const pinPath = `/api/v1/messages/conversations/${dmId}/pins/${messageId}`;
    expect((await call(bob, 'PUT', pinPath)).status).toBe(200);
    expect((await call(bob, 'GET', `/api/v1/messages/conversations/${dmId}/pins`)).status).toBe(
      200,
    );
    expect((await call(bob, 'DELETE', pinPath)).status).toBe(200);
    expect((await call(bob, 'PUT', `/api/v1/messages/conversations/${dmId}/pins/x`)).status).toBe(
      400,
    );
    const reactions = `/api/v1/messages/conversations/${dmId}/messages/${messageId}/reactions`;
    await call(bob, 'PUT', `${reactions}/${encodeURIComponent('👍')}`);
    expect((await call(bob, 'PUT', `${reactions}/${encodeURIComponent('a b')}`)).status).toBe(400);
    await call(bob, 'DELETE', `${reactions}/${encodeURIComponent('👍')}`);
    await call(me, 'DELETE', `/api/v1/messages/conversations/${dmId}/messages/${messageId}`);
    expect((await call(bob, 'PUT', `${reactions}/${encodeURIComponent('👍')}`)).status).toBe(409);
    await call(carol, 'PUT', `/api/v1/messages/blocks/${reg.body.data.user.id as string}`);
    expect((await call(carol, 'PUT', `/api/v1/messages/blocks/${carol.id}`)).status).toBe(400);
    expect((await call(me, 'POST', `/api/v1/messages/direct/${carol.id}`)).status).toBe(403);
    await call(carol, 'GET', '/api/v1/messages/blocks?limit=1');
    await call(carol, 'DELETE', `/api/v1/messages/blocks/${reg.body.data.user.id as string}`);
    const synced = await call(bob, 'GET', '/api/v1/messages/sync');
    await call(bob, 'POST', '/api/v1/messages/sync', { positions: { [dmId]: 0 } });
    expect(synced.body.data.events.length).toBeGreaterThan(0);

    await call(api, 'GET', '/healthz');
    await call(api, 'GET', '/readyz');
    await call(api, 'GET', '/api/v1/ws/health');
    await call(api, 'GET', '/metrics');
    await call(api, 'GET', '/api/v1/openapi.json');
    await call(api, 'GET', '/api/v1/docs');
    await call(api, 'GET', '/');

    expect(seen.unexercised()).toEqual([]);
  });

  it('serves the reference offline: the swagger-ui assets come from this server', async () => {
    const page = await fetch(`${node.url}/api/v1/docs`).then((r) => r.text());
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset.startsWith('/')).toBe(true);
      const res = await fetch(node.url + asset);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });
});
