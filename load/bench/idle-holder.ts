// A child process of the bench that holds idle connections (raw WS or Socket.IO) and nothing else,
// so that tens of thousands of sockets neither share the bench's file-descriptor limit nor its
// event loop. Driven over IPC by idle-connections.ts; exits when told to or when the bench goes.
import { forEachLimited } from './concurrency';
import type { HolderCommand, HolderReport } from './idle-connections';
import { connectChatClient, type ChatClient, type ClientEvents } from './wire-client';

const clients: ChatClient[] = [];
let lost = 0;
const errors: string[] = [];

const report = (message: HolderReport): void => {
  process.send?.(message);
};

const events: ClientEvents = {
  acked: () => undefined,
  failed: () => undefined,
  delivered: () => undefined,
  lost: () => {
    lost++;
  },
};

async function open(command: Extract<HolderCommand, { type: 'open' }>): Promise<void> {
  let failed = 0;
  const ticker = setInterval(() => {
    report({ type: 'progress', open: clients.length, failed, lost });
  }, 1000);
  await forEachLimited(command.targets, command.concurrency, async (target) => {
    try {
      clients.push(
        await connectChatClient(target.endpoint, command.transport, events, {
          ...(target.localAddress !== undefined && { localAddress: target.localAddress }),
          timeoutMs: 30_000,
        }),
      );
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
    }
  });
  clearInterval(ticker);
  report({ type: 'opened', open: clients.length, failed, lost, errors });
}

function closeAll(): void {
  for (const client of clients) client.close();
  clients.length = 0;
}

process.on('message', (command: HolderCommand) => {
  if (command.type === 'open') void open(command);
  else if (command.type === 'status') report({ type: 'status', open: clients.length, lost });
  else {
    closeAll();
    process.exit(0);
  }
});
// The bench ended (or crashed): never outlive it.
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});
