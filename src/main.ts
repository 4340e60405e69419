// Entry point: read the config, start a node, stop it cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig, type Config } from './config';
import { startNode } from './node';
import { createLogger } from './observability/logger';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, config.nodeId);
  if (config.jwt.generated) {
    logger.warn(
      'JWT_SECRET is not set: generated a throwaway secret for this run (tokens die with the process). Set JWT_SECRET in production.',
    );
  }
  if (config.jwt.secret && !config.jwt.generated && config.jwt.secret.length < 32) {
    logger.warn('JWT_SECRET is shorter than 32 characters: tokens are easier to forge');
  }
  if (!config.mongodbUrl && !config.databaseUrl) {
    logger.warn(
      'neither MONGODB_URL nor DATABASE_URL is set: data lives in memory and is lost when the process stops',
    );
  }
  if (config.passwordKdf === 'fast') {
    logger.warn(
      'PASSWORD_KDF=fast: new password hashes use the minimum Argon2 cost (for benchmarks only; never in production)',
    );
  }
  const node = await startNode(config, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // The drain bounds itself by DRAIN_TIMEOUT_MS; this is the backstop if something hangs.
    const timer = setTimeout(() => process.exit(1), config.drainTimeoutMs + 5_000);
    timer.unref();
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `parley: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
