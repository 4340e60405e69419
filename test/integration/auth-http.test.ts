// REST auth through the real node, on every store: register, login, bearer tokens, platform-minted
// tokens.
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, TEST_JWT_SECRET } from '../support/test-node';

describe.each(storeModes)('auth over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    setup = await mode.setup();
    node = await startTestNode({
      JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ...setup.env,
    });
    api = new Api(node.url);
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  it('registers, then logs in with any letter case of the username', async () => {
    const username = `Reg${Date.now().toString(36)}`;
    const reg = await api.post('/api/v1/auth/register', {
      username,
      password: 'password123',
      avatar_url: 'https://cdn.test/a.png',
    });
    expect(reg.status).toBe(201);
    expect(reg.body).toEqual({
      success: true,
      data: {
        user: {
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          username,
          avatar_url: 'https://cdn.test/a.png',
        },
        access_token: expect.any(String),
        token_type: 'bearer',
      },
    });
    const login = await api.post('/api/v1/auth/login', {
      username: username.toLowerCase(),
      password: 'password123',
    });
    expect(login.status).toBe(200);
    expect(login.body.data.user.id).toBe(reg.body.data.user.id);
    const me = await api.as(login.body.data.access_token).get('/api/v1/messages/conversations');
    expect(me.status).toBe(200);
  });

  it('refuses a taken username (409), even under concurrent registrations', async () => {
    const username = `dup${Date.now().toString(36)}`;
    const results = await Promise.all(
      [0, 1, 2, 3].map(() =>
        api.post('/api/v1/auth/register', { username, password: 'password123' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const again = await api.post('/api/v1/auth/register', {
      username: username.toUpperCase(),
      password: 'password123',
    });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ success: false, detail: expect.any(String), code: 'CONFLICT' });
  });

  it.each([
    ['a short username', { username: 'ab', password: 'password123' }],
    ['a short password', { username: 'okname', password: 'short' }],
    ['an object username', { username: { $gt: '' }, password: 'password123' }],
    ['a bad avatar URL', { username: 'okname2', password: 'password123', avatar_url: 'ftp://x' }],
    ['no body', undefined],
  ])('rejects registration with %s (400)', async (_what, body) => {
    const res = await api.post('/api/v1/auth/register', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
  });

  it('answers 401 for a wrong password or an unknown user, whatever the policy', async () => {
    const user = await registerUser(api);
    for (const body of [
      { username: user.username, password: 'wrong password' },
      { username: user.username, password: 'x' },
      { username: 'nobody-like-this', password: 'password123' },
      { username: 'bad name with spaces', password: 'password123' },
    ]) {
      const res = await api.post('/api/v1/auth/login', body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        success: false,
        detail: expect.any(String),
        code: 'UNAUTHORIZED',
      });
    }
  });

  it('answers 401 without a token, with a bad one, an expired one, or one naming nobody', async () => {
    const user = await registerUser(api);
    const expired = jwt.sign(
      { sub: user.id, exp: Math.floor(Date.now() / 1000) - 10 },
      TEST_JWT_SECRET,
    );
    const ghost = jwt.sign({ sub: newObjectId() }, TEST_JWT_SECRET);
    const forged = jwt.sign({ sub: user.id }, 'another-secret-0123456789');
    for (const client of [api, api.as('garbage'), api.as(expired), api.as(ghost), api.as(forged)]) {
      const res = await client.get('/api/v1/messages/conversations');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    }
  });

  it('accepts RS256 tokens minted by an existing platform for a Parley user', async () => {
    const user = await registerUser(api);
    const platformToken = jwt.sign(
      { sub: user.id },
      privateKey.export({ type: 'pkcs8', format: 'pem' }),
      {
        algorithm: 'RS256',
      },
    );
    const res = await api.as(platformToken).get('/api/v1/messages/conversations');
    expect(res.status).toBe(200);
    const noneAlg = jwt.sign({ sub: user.id }, '', { algorithm: 'none' });
    expect((await api.as(noneAlg).get('/api/v1/messages/conversations')).status).toBe(401);
  });

  it('serves health without a token', async () => {
    expect((await api.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await api.get('/readyz')).status).toBe(200);
    expect((await api.get('/api/v1/ws/health')).body).toEqual({
      status: 'ok',
      redis_connected: false,
      active_connections: expect.any(Number),
    });
  });
});
