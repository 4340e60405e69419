// Batcher (group commit): what arrives in one tick goes out in one flush, what arrives during a
// flush goes out in the next, each item gets its own answer, a failed flush fails only its own
// items, and the owner hears when nothing is left (so idle batchers can be dropped).
import { Batcher } from '../../src/app/batcher';

it('groups items by flush and answers each one', async () => {
  const flushes: number[][] = [];
  let release: () => void = () => undefined;
  let idle = 0;
  const batcher = new Batcher<number, string>(
    async (items) => {
      flushes.push(items);
      if (flushes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => `#${n}`);
    },
    { onIdle: () => idle++ },
  );
  const first = [batcher.add(1), batcher.add(2)];
  // Wait until the first flush has started, then add while it runs.
  await new Promise((resolve) => setImmediate(resolve));
  const later = [batcher.add(3), batcher.add(4), batcher.add(5)];
  release();
  expect(await Promise.all([...first, ...later])).toEqual(['#1', '#2', '#3', '#4', '#5']);
  expect(flushes).toEqual([
    [1, 2],
    [3, 4, 5],
  ]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(idle).toBe(1);
  expect(batcher.idle).toBe(true);
});

it('fails only the items of a flush that failed', async () => {
  let calls = 0;
  const batcher = new Batcher<number>(() => {
    calls++;
    return calls === 1 ? Promise.reject(new Error('store down')) : Promise.resolve(undefined);
  });
  const failed = batcher.add(1);
  await expect(failed).rejects.toThrow('store down');
  await expect(batcher.add(2)).resolves.toBeUndefined();
});
