// Runs a Parley node as its own OS process (the built server), for multi-node and crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_JWT_SECRET } from './test-secret';

const ENTRY = path.resolve(__dirname, '../../dist/src/main.js');

export interface NodeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Log lines the process printed (JSON), for diagnosing a failure. */
  logs: string[];
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export function spawnNode(env: Record<string, string>, nodeId: string): Promise<NodeProcess> {
  return spawnBuiltNode(ENTRY, env, nodeId);
}

/**
 * `spawnNode` with the built server named: for callers compiled outside the source tree (the
 * bench runs from dist/, where the path relative to this file does not lead to dist/src/main.js),
 * and node's own flags before it (`--cpu-prof`, which NODE_OPTIONS refuses). @default no flags
 */
export async function spawnBuiltNode(
  entry: string,
  env: Record<string, string>,
  nodeId: string,
  nodeArgs: string[] = [],
): Promise<NodeProcess> {
  if (!existsSync(entry))
    throw new Error(`${entry} is missing: run \`npm run build\` (npm test does it)`);
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      NODE_ID: nodeId,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node ${nodeId} did not start:\n${logs.join('\n')}`)),
      30_000,
    );
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'parley node listening' && entry.port) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node ${nodeId} exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    logs,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
