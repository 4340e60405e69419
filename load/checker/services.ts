// The checker's own throwaway backends: a Redis, a RabbitMQ node (with its own epmd), each on free
// ports of 127.0.0.1 and in a temporary directory, so faults never touch the machine's shared
// services on 6379/5672; and the store: a database of its own on this machine's PostgreSQL
// (dropped afterwards), or the in-process-wire MongoDB stand-in.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePorts, ManagedProcess, portOpen, sleep, waitUntil } from './proc';

const run = promisify(execFile);

/** Debian puts the real scripts here; /usr/sbin's wrappers would `su rabbitmq` when root. */
const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const rabbitTool = (name: string): string =>
  existsSync(path.join(RABBIT_BIN, name)) ? path.join(RABBIT_BIN, name) : name;

export class RedisService {
  private proc: ManagedProcess | null = null;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const proc = new ManagedProcess('redis', 'redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--daemonize',
      'no',
    ]);
    this.proc = proc;
    await waitUntil(
      'redis',
      () => portOpen(this.port),
      10_000,
      () => proc.output(),
    );
  }

  /** The fault: SIGKILL (everything in it is gone, as it keeps nothing on disk). */
  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  async stop(): Promise<void> {
    await this.proc?.stop(5000);
  }
}

export class RabbitService {
  private server: ManagedProcess | null = null;
  private epmd: ManagedProcess | null = null;
  readonly nodeName = `parley-checker-${randomBytes(4).toString('hex')}@localhost`;

  constructor(
    private readonly ports: { amqp: number; dist: number; epmd: number },
    private readonly dir: string,
  ) {}

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.ports.amqp}`;
  }

  /** Every variable the broker and rabbitmqctl read: nothing from /etc/rabbitmq, a private epmd. */
  private env(): NodeJS.ProcessEnv {
    const d = this.dir;
    return {
      PATH: process.env.PATH,
      HOME: d, // the Erlang cookie lives here, shared by the server and rabbitmqctl
      ERL_EPMD_PORT: String(this.ports.epmd),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.ports.amqp),
      RABBITMQ_DIST_PORT: String(this.ports.dist),
      RABBITMQ_MNESIA_BASE: path.join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(d, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(d, 'enabled_plugins'),
      RABBITMQ_CONF_ENV_FILE: path.join(d, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: path.join(d, 'rabbitmq.conf'),
      RABBITMQ_PID_FILE: path.join(d, 'rabbit.pid'),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    };
  }

  async start(): Promise<void> {
    const d = this.dir;
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'enabled_plugins'), '[].\n');
    writeFileSync(path.join(d, 'rabbitmq-env.conf'), '');
    writeFileSync(
      path.join(d, 'rabbitmq.conf'),
      `listeners.tcp.default = 127.0.0.1:${this.ports.amqp}\n`,
    );
    if (!this.epmd?.running) {
      // Our own epmd in the foreground: ours to stop, and the shared one is never involved.
      this.epmd = new ManagedProcess('epmd', 'epmd', [
        '-port',
        String(this.ports.epmd),
        '-address',
        '127.0.0.1',
      ]);
      await waitUntil(
        'epmd',
        () => portOpen(this.ports.epmd),
        10_000,
        () => this.epmd?.output() ?? '',
      );
    }
    const server = new ManagedProcess('rabbitmq', rabbitTool('rabbitmq-server'), [], {
      env: this.env(),
      cwd: d,
    });
    this.server = server;
    await waitUntil(
      'rabbitmq',
      async () => {
        if (!server.running) throw new Error(`rabbitmq-server exited:\n${server.output()}`);
        return portOpen(this.ports.amqp);
      },
      60_000,
      () => server.output(),
    );
  }

  /** `rabbitmqctl -n <node> stop`; SIGKILL when it does not go within 20 s. */
  async stopBroker(): Promise<void> {
    const server = this.server;
    if (!server?.running) return;
    try {
      await run(rabbitTool('rabbitmqctl'), ['-n', this.nodeName, 'stop'], {
        env: this.env(),
        timeout: 20_000,
      });
    } catch {
      // fall through to the kill below
    }
    const exited = await Promise.race([
      server.exited.then(() => true),
      sleep(20_000).then(() => false),
    ]);
    if (!exited) await server.kill();
  }

  /** The fault: a full broker restart on the same data directory (durable queues survive). */
  async restart(): Promise<void> {
    await this.stopBroker();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.stopBroker();
    await this.epmd?.stop(3000);
  }
}

/** CongoDB (MongoDB wire protocol in JS, the stand-in the tests use) in a child process. */
export class CongoService {
  private proc: ManagedProcess | null = null;
  private port = 0;

  async start(): Promise<void> {
    let resolvePort: (port: number) => void = () => undefined;
    const announced = new Promise<number>((resolve) => (resolvePort = resolve));
    const entry = path.join(__dirname, 'congo-server.js');
    const proc = new ManagedProcess('congo', process.execPath, [entry], {
      onLine: (line) => {
        const m = /^CONGO_PORT (\d+)$/.exec(line.trim());
        if (m) resolvePort(Number(m[1]));
      },
    });
    this.proc = proc;
    this.port = await Promise.race([
      announced,
      proc.exited.then((code) => {
        throw new Error(`CongoDB exited ${code}:\n${proc.output()}`);
      }),
      sleep(30_000).then(() => {
        throw new Error(`CongoDB did not start within 30 s:\n${proc.output()}`);
      }),
    ]);
  }

  /** A fresh database; the driver must poll (CongoDB cannot stream heartbeats). */
  url(): string {
    return `mongodb://127.0.0.1:${this.port}/parley_checker_${randomBytes(4).toString('hex')}?serverMonitoringMode=poll`;
  }

  async stop(): Promise<void> {
    await this.proc?.stop(5000);
  }
}

/** The machine's PostgreSQL, where the checker creates a database of its own. */
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of this run's own on the local PostgreSQL, created at start, dropped at stop. */
export class PostgresDatabase {
  readonly name = `parley_checker_${randomBytes(4).toString('hex')}`;

  url(): string {
    const url = new URL(LOCAL_POSTGRES);
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  async start(): Promise<void> {
    await this.admin(`CREATE DATABASE "${this.name}"`).catch((err: unknown) => {
      throw new Error(
        `PostgreSQL at ${new URL(LOCAL_POSTGRES).host} (user postgres): ${(err as Error).message} — start it, or pass --store congo or --store-url`,
      );
    });
  }

  /** Drops the database, closing any connection a killed node left. */
  async stop(): Promise<void> {
    await this.admin(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
  }

  private async admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: LOCAL_POSTGRES, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

/** The store the checker runs, when the caller gives none of their own. */
export type OwnStore = CongoService | PostgresDatabase;

/** Redis + RabbitMQ the checker owns, and the store: its own (PostgreSQL, CongoDB) or the caller's. */
export interface Backends {
  redis: RedisService;
  rabbit: RabbitService;
  ownStore: OwnStore | null;
  storeUrl: string;
  stop(): Promise<void>;
}

export async function startBackends(
  workDir: string,
  storeUrl: string | null,
  store: 'postgres' | 'congo',
): Promise<Backends> {
  const [redisPort, amqp, dist, epmd] = await freePorts(4);
  const redis = new RedisService(redisPort!, path.join(workDir, 'redis'));
  const rabbit = new RabbitService(
    { amqp: amqp!, dist: dist!, epmd: epmd! },
    path.join(workDir, 'rabbitmq'),
  );
  const ownStore: OwnStore | null =
    storeUrl !== null ? null : store === 'congo' ? new CongoService() : new PostgresDatabase();
  const stop = async (): Promise<void> => {
    await Promise.allSettled([redis.stop(), rabbit.stop(), ownStore?.stop()]);
  };
  try {
    await Promise.all([redis.start(), rabbit.start(), ownStore?.start()]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { redis, rabbit, ownStore, storeUrl: storeUrl ?? ownStore!.url(), stop };
}
