// A throwaway RabbitMQ vhost per test suite, so tests keep the product's exact exchange and queue names.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The local broker every test uses (guest/guest); `rabbitmqctl` must be able to manage it. */
const BROKER = '127.0.0.1:5672';

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

export interface QueueCounts {
  /** Messages waiting for a consumer. */
  ready: number;
  /** Messages delivered to a consumer and not yet acked or rejected. */
  unacked: number;
}

export interface TestVhost {
  /** The vhost's name, `parley_test_<random>`. */
  name: string;
  /** `amqp://guest:guest@127.0.0.1:5672/<vhost>`: hand it to every bus that must share queues. */
  url: string;
  /** Drops the vhost and everything in it (closing its connections). Call it in `afterAll`. */
  drop(): Promise<void>;
  /**
   * The broker's own view of each queue (by name), unacked deliveries included — a client's
   * `checkQueue` only sees ready messages. Each call spawns rabbitmqctl (≈0.5 s).
   */
  queueCounts(): Promise<Map<string, QueueCounts>>;
  /** Closes every client connection to this vhost (and only this one), as a broker restart would. */
  closeConnections(): Promise<void>;
  /** Revokes guest's permissions here: new connections are refused, an outage for this vhost. */
  denyAccess(): Promise<void>;
  /** Grants guest full permissions here again (done at creation). */
  allowAccess(): Promise<void>;
}

/**
 * Creates an isolated vhost with full permissions for guest. Every suite that talks to RabbitMQ
 * calls this once (`beforeAll`) and `drop()`s it (`afterAll`), so parallel jest workers and
 * concurrent runs never see each other's queues.
 */
export async function createTestVhost(): Promise<TestVhost> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const allowAccess = async (): Promise<void> => {
    await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  };
  await rabbitmqctl('add_vhost', name);
  await allowAccess();
  return {
    name,
    url: `amqp://guest:guest@${BROKER}/${encodeURIComponent(name)}`,
    drop: async () => {
      await rabbitmqctl('delete_vhost', name);
    },
    queueCounts: async () => {
      const out = await rabbitmqctl(
        'list_queues',
        '-p',
        name,
        'name',
        'messages_ready',
        'messages_unacknowledged',
        '--formatter',
        'json',
      );
      const rows = JSON.parse(out) as {
        name: string;
        messages_ready: number;
        messages_unacknowledged: number;
      }[];
      return new Map(
        rows.map((row) => [
          row.name,
          { ready: row.messages_ready, unacked: row.messages_unacknowledged },
        ]),
      );
    },
    closeConnections: async () => {
      await rabbitmqctl('close_all_connections', '-p', name, 'closed by a test');
    },
    denyAccess: async () => {
      await rabbitmqctl('clear_permissions', '-p', name, 'guest');
    },
    allowAccess,
  };
}
