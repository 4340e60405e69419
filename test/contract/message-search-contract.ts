// The message-search part of the store contract (docs/PROTOCOL.md §5.14): every store must find
// the same messages for the same terms, in the same order. A backend without text search (the
// CongoDB stand-in has no `$text`) is found out by a probe, and its cases are skipped with the
// reason printed; against a real database they run unchanged.
import { newObjectId } from '../../src/domain/ids';
import { searchTermsOf } from '../../src/domain/message-search';
import type { Message } from '../../src/domain/types';
import type { Store } from '../../src/ports';
import { aMessage } from '../support/factories';

export interface MessageSearchContractOptions {
  /**
   * Tells a backend that has no text search apart from a failure: the reason to skip, or null
   * (the error is then a real failure). Absent: the store must search.
   */
  lacksTextSearch?: (err: unknown) => string | null;
}

const ids = (messages: readonly Message[]): string[] => messages.map((m) => m.id);

export function describeMessageSearchContract(
  name: string,
  openStore: () => Promise<Store>,
  options: MessageSearchContractOptions = {},
): void {
  describe(`Store contract: ${name} message search`, () => {
    let store: Store;
    let skipReason: string | null = null;

    beforeAll(async () => {
      store = await openStore();
      try {
        await store.searchMessages([newObjectId()], ['probe'], null, 1);
      } catch (err) {
        skipReason = options.lacksTextSearch?.(err) ?? null;
        if (skipReason === null) throw err;
        console.warn(`${name} message search cases skipped: ${skipReason}`);
      }
    });
    afterAll(async () => {
      await store.close();
    });

    /** A case that runs unless the backend lacks text search (then it says so and passes). */
    const searchCase = (title: string, body: () => Promise<void>): void => {
      it(title, async () => {
        if (skipReason !== null) {
          console.warn(`skipped "${title}" on ${name}: ${skipReason}`);
          return;
        }
        await body();
      });
    };

    /** Messages of one conversation one millisecond apart, oldest first. */
    async function insertTexts(
      conversationId: string,
      texts: readonly string[],
      start = new Date('2031-01-01T00:00:00Z'),
    ): Promise<Message[]> {
      const sender = newObjectId();
      const messages = texts.map((content, i) =>
        aMessage(conversationId, sender, {
          content,
          createdAt: new Date(start.getTime() + i),
        }),
      );
      for (const m of messages) expect(await store.insertMessage(m)).toBe(true);
      return messages;
    }

    searchCase('matches whole words, case-insensitively, every term required', async () => {
      const c = newObjectId();
      const [greeting, shouted, partial, other, punctuated] = await insertTexts(c, [
        'Hello brave new world',
        'HELLO WORLD',
        'hello there',
        'a category of cats',
        'well, hello: world!',
      ]);
      const search = (q: string) => store.searchMessages([c], searchTermsOf(q), null, 10);

      expect(ids(await search('hello world'))).toEqual(ids([punctuated!, shouted!, greeting!]));
      expect(ids(await search('World'))).toEqual(ids([punctuated!, shouted!, greeting!]));
      expect(ids(await search('hello'))).toEqual(ids([punctuated!, partial!, shouted!, greeting!]));
      // A word, not a substring: "cat" is neither "category" nor "cats".
      expect(await search('cat')).toEqual([]);
      expect(ids(await search('CATEGORY'))).toEqual(ids([other!]));
      expect(await search('hello planet')).toEqual([]);
      // What comes back is the stored message, whole.
      expect((await search('brave'))[0]).toEqual(greeting);
    });

    searchCase('searches only the given conversations and only live messages', async () => {
      const [mine, alsoMine, notMine] = [newObjectId(), newObjectId(), newObjectId()];
      const [first] = await insertTexts(mine, ['lunch at noon']);
      const [second] = await insertTexts(
        alsoMine,
        ['lunch tomorrow'],
        new Date('2031-01-02T00:00:00Z'),
      );
      await insertTexts(notMine, ['lunch elsewhere']);
      const [gone] = await insertTexts(mine, ['lunch deleted'], new Date('2031-01-03T00:00:00Z'));
      const at = new Date('2031-01-04T00:00:00Z');
      await store.updateMessage(gone!.id, {
        content: null,
        media: [],
        deletedAt: at,
        changedAt: at,
      });

      expect(ids(await store.searchMessages([mine, alsoMine], ['lunch'], null, 10))).toEqual(
        ids([second!, first!]),
      );
      expect(ids(await store.searchMessages([alsoMine], ['lunch'], null, 10))).toEqual(
        ids([second!]),
      );
      expect(await store.searchMessages([], ['lunch'], null, 10)).toEqual([]);
    });

    searchCase('finds an edited message by its new words, not its old ones', async () => {
      const c = newObjectId();
      const [m] = await insertTexts(c, ['see you at the station']);
      const at = new Date('2031-02-01T00:00:00Z');
      await store.updateMessage(m!.id, {
        content: 'see you at the airport',
        updatedAt: at,
        changedAt: at,
      });
      expect(await store.searchMessages([c], ['station'], null, 10)).toEqual([]);
      expect(ids(await store.searchMessages([c], ['airport'], null, 10))).toEqual([m!.id]);
    });

    searchCase(
      'pages newest first by (createdAt, id) without skipping or repeating ties',
      async () => {
        const [a, b] = [newObjectId(), newObjectId()];
        const sameMs = new Date('2031-03-01T00:00:00Z');
        const sender = newObjectId();
        // Twelve hits in one millisecond across two conversations, and two older ones.
        const tied = Array.from({ length: 12 }, (_, i) =>
          aMessage(i % 2 ? a : b, sender, { content: `report ${i}`, createdAt: sameMs }),
        );
        const older = [
          aMessage(a, sender, { content: 'old report', createdAt: new Date(sameMs.getTime() - 5) }),
          aMessage(b, sender, {
            content: 'older report',
            createdAt: new Date(sameMs.getTime() - 9),
          }),
        ];
        for (const m of [...older, ...tied]) await store.insertMessage(m);
        await insertTexts(a, ['no match here'], sameMs);

        const expected = [
          ...[...tied].sort((x, y) => (x.id < y.id ? 1 : -1)),
          older[0]!,
          older[1]!,
        ].map((m) => m.id);
        const seen: string[] = [];
        let before: { createdAt: Date; id: string } | null = null;
        for (let pages = 0; pages < 10; pages++) {
          const page: Message[] = await store.searchMessages([a, b], ['report'], before, 5);
          seen.push(...ids(page));
          const last = page[page.length - 1];
          if (page.length < 5 || !last) break;
          before = { createdAt: last.createdAt, id: last.id };
        }
        expect(seen).toEqual(expected);
      },
    );
  });
}
