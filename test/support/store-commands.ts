// A node's store commands so far (parley_store_commands_total), read from its /metrics. Scraping
// itself reads once (the outbox gauge counts pending rows).
export async function storeCommands(nodeUrl: string): Promise<{ read: number; write: number }> {
  const text = await (await fetch(`${nodeUrl}/metrics`)).text();
  const value = (kind: string): number =>
    Number(
      new RegExp(`^parley_store_commands_total\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)$`, 'm').exec(
        text,
      )?.[1],
    );
  return { read: value('read'), write: value('write') };
}
