// A node's store commands so far (parley_store_commands_total), read from its /metrics: those
// that requests cost, and those of the node's own background passes (the outbox relay's sweep,
// and each scrape's own count of the pending outbox).
export interface StoreCommandCounts {
  read: number;
  write: number;
  background: { read: number; write: number };
}

export async function storeCommands(nodeUrl: string): Promise<StoreCommandCounts> {
  const text = await (await fetch(`${nodeUrl}/metrics`)).text();
  const value = (kind: string, origin: string): number => {
    const line = new RegExp(
      `^parley_store_commands_total\\{(?=[^}]*kind="${kind}")(?=[^}]*origin="${origin}")[^}]*\\} (\\d+)$`,
      'm',
    ).exec(text);
    if (!line) throw new Error(`no parley_store_commands_total{kind="${kind}",origin="${origin}"}`);
    return Number(line[1]);
  };
  return {
    read: value('read', 'request'),
    write: value('write', 'request'),
    background: { read: value('read', 'background'), write: value('write', 'background') },
  };
}
