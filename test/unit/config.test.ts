// Configuration: defaults, coercion, and start-up errors that name the variable.
import { ConfigError, loadConfig } from '../../src/config';

describe('config', () => {
  it('defaults to embedded mode on port 8000 with a generated secret', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8000);
    expect(config.mongodbUrl).toBeUndefined();
    expect(config.jwt.generated).toBe(true);
    expect(config.jwt.secret).toHaveLength(64);
    expect(config.limits).toMatchObject({
      maxMessageLength: 4000,
      maxMediaItems: 10,
      maxFrameBytes: 65536,
      maxBodyBytes: 1048576,
      messagesPerSecond: 20,
      messagesBurst: 100,
      ipRequestsPerSecond: 500,
    });
  });

  it('names every bad variable', () => {
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x', MAX_MESSAGE_LENGTH: '-1' });
      throw new Error('should have failed');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/REDIS_URL/);
      expect(problems).toMatch(/MAX_MESSAGE_LENGTH/);
    }
  });

  it('requires a JWT secret when MongoDB is configured', () => {
    expect(() => loadConfig({ MONGODB_URL: 'mongodb://localhost/parley' })).toThrow(/JWT_SECRET/);
    expect(
      loadConfig({ MONGODB_URL: 'mongodb://localhost/parley', JWT_SECRET: 'x'.repeat(32) }).jwt
        .generated,
    ).toBe(false);
  });

  it('takes PostgreSQL from DATABASE_URL, never together with MONGODB_URL', () => {
    const secret = { JWT_SECRET: 'x'.repeat(32) };
    const pg = loadConfig({ DATABASE_URL: 'postgres://db.internal/parley', ...secret });
    expect(pg).toMatchObject({
      databaseUrl: 'postgres://db.internal/parley',
      databasePoolSize: 10,
      databaseStatementTimeoutMs: 5000,
      mongodbUrl: undefined,
      webClient: false,
    });
    expect(
      loadConfig({ DATABASE_URL: 'postgresql://h/p', DATABASE_POOL_SIZE: '25', ...secret })
        .databasePoolSize,
    ).toBe(25);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://h/p' })).toThrow(
      /JWT_SECRET: required when DATABASE_URL is set/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://h/p', ...secret })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://h/p', MONGODB_URL: 'mongodb://h/p', ...secret }),
    ).toThrow(/MONGODB_URL, DATABASE_URL: set one of them/);
  });

  it('takes the fast password KDF for benchmarks, never in production', () => {
    expect(loadConfig({}).passwordKdf).toBe('standard');
    expect(loadConfig({ PASSWORD_KDF: 'fast' }).passwordKdf).toBe('fast');
    expect(() => loadConfig({ PASSWORD_KDF: 'fast', NODE_ENV: 'production' })).toThrow(
      /PASSWORD_KDF: fast hashes are for benchmarks only/,
    );
    expect(() => loadConfig({ PASSWORD_KDF: 'cheap' })).toThrow(/PASSWORD_KDF/);
  });

  it('is lenient where a harness might differ: level casing, short secrets', () => {
    expect(loadConfig({ LOG_LEVEL: 'INFO' }).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'warning' }).logLevel).toBe('warn');
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(loadConfig({ JWT_SECRET: 'testsecret' }).jwt.secret).toBe('testsecret');
    expect(() => loadConfig({ JWT_SECRET: '' })).toThrow(/JWT_SECRET/);
  });

  it('splits CORS origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.test, https://b.test' }).corsOrigins).toEqual([
      'https://a.test',
      'https://b.test',
    ]);
  });

  it('turns webhooks on with WEBHOOK_URL, which needs WEBHOOK_SECRET', () => {
    expect(loadConfig({}).webhook).toBeUndefined();
    expect(loadConfig({ WEBHOOK_URL: '', WEBHOOK_SECRET: 's' }).webhook).toBeUndefined();
    expect(
      loadConfig({ WEBHOOK_URL: 'https://push.example/parley', WEBHOOK_SECRET: 's3cret' }).webhook,
    ).toEqual({
      url: 'https://push.example/parley',
      secret: 's3cret',
      timeoutMs: 5000,
      maxAttempts: 8,
      retryBaseMs: 1000,
      retryMaxMs: 300000,
    });
    expect(
      loadConfig({
        WEBHOOK_URL: 'http://127.0.0.1:9000/hook',
        WEBHOOK_SECRET: 's',
        WEBHOOK_TIMEOUT_MS: '250',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_RETRY_BASE_MS: '10',
        WEBHOOK_RETRY_MAX_MS: '40',
      }).webhook,
    ).toMatchObject({ timeoutMs: 250, maxAttempts: 3, retryBaseMs: 10, retryMaxMs: 40 });
    expect(() => loadConfig({ WEBHOOK_URL: 'https://push.example/parley' })).toThrow(
      /WEBHOOK_SECRET: required when WEBHOOK_URL is set/,
    );
    expect(() => loadConfig({ WEBHOOK_URL: 'ftp://x', WEBHOOK_SECRET: 's' })).toThrow(
      /WEBHOOK_URL/,
    );
    expect(() =>
      loadConfig({ WEBHOOK_URL: 'http://x', WEBHOOK_SECRET: 's', WEBHOOK_MAX_ATTEMPTS: '0' }),
    ).toThrow(/WEBHOOK_MAX_ATTEMPTS/);
  });
});
