// Types of scripts/cluster.js (`npm run cluster`), for the tests that start a cluster through it.
import type { ChildProcess } from 'node:child_process';

export const DEFAULT_NODES: number;
export const DEFAULT_PORT: number;

export interface ClusterOptions {
  /** @default 3 */
  nodes?: number;
  /** nginx's port on 127.0.0.1; 0 picks a free one. @default 8080 */
  port?: number;
  /** Every node's environment: backends, JWT_SECRET, limits (PORT, HOST, NODE_ID are set per node). */
  env: Record<string, string | undefined>;
  /** Each line a node (id `parley-<n>`) or nginx (id `nginx`) prints. */
  onLog?: (id: string, line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ClusterNode {
  id: string;
  port: number;
  /** The node itself, bypassing nginx. */
  url: string;
  child: ChildProcess;
  exited: Promise<number | string | null>;
}

export interface Cluster {
  /** nginx: http://127.0.0.1:<port>. */
  url: string;
  port: number;
  /** Where the generated nginx configuration lives while the cluster runs. */
  dir: string;
  nodes: ClusterNode[];
  nginx: { child: ChildProcess; exited: Promise<number | string | null> };
  /** Stops nginx, then every node (SIGTERM, SIGKILL after 15 s), and removes `dir`. */
  stop(): Promise<void>;
}

export function startCluster(options: ClusterOptions): Promise<Cluster>;

/** `nginx -t` on the cluster configuration and on the compose one; throws nginx's words. */
export function checkNginxConfigs(nodes?: number): void;

/** Installs Debian's nginx with apt-get when /usr/sbin/nginx is missing. */
export function ensureNginx(say: (line: string) => void): void;

/** The backend variables a cluster needs and `env` lacks. */
export function missingBackends(env: Record<string, string | undefined>): string[];

export function writeNginxConfig(options: {
  dir: string;
  port: number;
  nodePorts: number[];
}): string;

export function parseArgs(argv: string[]): {
  nodes: number;
  port: number;
  check: boolean;
  verbose: boolean;
  help?: boolean;
};
