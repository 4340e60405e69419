// Child-process entry: runs CongoDB (the MongoDB-wire stand-in from @push.rocks/smartmongo) on a
// free port of 127.0.0.1 and prints `CONGO_PORT <n>`; stops on SIGTERM or when its parent goes.

interface CongoServerLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  server: { address(): { port: number } | string | null };
}
type CongoServerClass = new (options: { host: string; port: number }) => CongoServerLike;

// The package is ESM-only; a literal import() would be compiled to require(), which cannot load it.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed string, no caller input
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ CongoServer?: CongoServerClass }>;

async function main(): Promise<void> {
  const { CongoServer } = await importEsm('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  if (typeof CongoServer !== 'function') throw new Error('CongoServer export not found');
  const server = new CongoServer({ host: '127.0.0.1', port: 0 });
  await server.start();
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  process.stdout.write(`CONGO_PORT ${address.port}\n`);
  const stop = (): void => {
    void server.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The checker died without stopping us: do not linger.
  process.on('disconnect', stop);
  setInterval(() => {
    if (process.ppid === 1) stop();
  }, 2000).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
