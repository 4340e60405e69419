// Boots a real Parley node in-process on an ephemeral port, and a tiny JSON client for it.
import { loadConfig } from '../../src/config';
import { startNode, type RunningNode } from '../../src/node';
import { createLogger } from '../../src/observability/logger';
import { TEST_JWT_SECRET } from './test-secret';

export { TEST_JWT_SECRET };
export { Api, registerUser, type ApiResponse, type TestUser } from './api-client';

export async function startTestNode(env: Record<string, string> = {}): Promise<RunningNode> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  });
  return startNode(config, createLogger(config.logLevel, config.nodeId));
}
