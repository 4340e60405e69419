// REST messages, edits, deletes and seen receipts through the real node, on every store.
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

describe.each(storeModes)('messages over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dm: string;
  const base = '/api/v1/messages';
  const msgs = (c: string) => `${base}/conversations/${c}/messages`;

  beforeAll(async () => {
    setup = await mode.setup();
    node = await startTestNode({ MAX_MESSAGE_LENGTH: '50', MAX_MEDIA_ITEMS: '2', ...setup.env });
    api = new Api(node.url);
    [alice, bob, carol] = await Promise.all([
      registerUser(api, 'alice'),
      registerUser(api, 'bob'),
      registerUser(api, 'carol'),
    ]);
    dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  it('sends a text message (201) with the full message shape', async () => {
    const res = await alice.api.post(msgs(dm), { content: 'Hello Bob' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      success: true,
      data: {
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        conversation_id: dm,
        sender_id: alice.id,
        sender_username: alice.username,
        sender_avatar: null,
        content: 'Hello Bob',
        type: 'TEXT',
        media: [],
        status: 'SENT',
        seq: 1,
        reply_to_message_id: null,
        temp_id: null,
        created_at: expect.any(String),
        updated_at: null,
        deleted_at: null,
        mentions: [],
        reactions: [],
      },
    });
  });

  it.each([
    [[{ url: 'https://cdn.test/a.png', type: 'image' }], null, 'IMAGE'],
    [
      [
        {
          url: 'https://cdn.test/a.mp4',
          type: 'video',
          duration: 3.5,
          thumbnail_url: 'https://cdn.test/t.png',
        },
      ],
      null,
      'VIDEO',
    ],
    [[{ url: 'https://cdn.test/a.png', type: 'image' }], 'look', 'MIXED'],
    [
      [
        { url: 'https://cdn.test/a.png', type: 'image' },
        { url: 'http://cdn.test/b.mp4', type: 'video' },
      ],
      null,
      'MIXED',
    ],
  ])('derives the type from media %j and content %j → %s', async (media, content, type) => {
    const res = await alice.api.post(msgs(dm), { media, content });
    expect(res.status).toBe(201);
    expect(res.body.data.type).toBe(type);
    expect(res.body.data.media).toEqual(media);
  });

  it.each([
    ['no content and no media', {}],
    ['blank content', { content: '   ' }],
    ['content over the limit', { content: 'x'.repeat(51) }],
    [
      'too many media',
      { media: [1, 2, 3].map((i) => ({ url: `https://cdn.test/${i}.png`, type: 'image' })) },
    ],
    ['a non-http media URL', { media: [{ url: 'javascript:alert(1)', type: 'image' }] }],
    ['an unknown media type', { media: [{ url: 'https://cdn.test/a.gif', type: 'gif' }] }],
    ['a non-string content', { content: { $gt: '' } }],
    ['a malformed reply id', { content: 'x', reply_to_message_id: 'abc' }],
  ])('rejects %s with 400 and stores nothing', async (_what, body) => {
    const before = (await alice.api.get(`${msgs(dm)}?limit=100`)).body.data.length;
    const res = await alice.api.post(msgs(dm), body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, detail: expect.any(String), code: 'VALIDATION' });
    expect((await alice.api.get(`${msgs(dm)}?limit=100`)).body.data.length).toBe(before);
  });

  it('replies within a conversation; a reply into another conversation is 400, an unknown one 404', async () => {
    const original = (await bob.api.post(msgs(dm), { content: 'question?' })).body.data;
    const reply = await alice.api.post(msgs(dm), {
      content: 'answer',
      reply_to_message_id: original.id,
    });
    expect(reply.status).toBe(201);
    expect(reply.body.data.reply_to_message_id).toBe(original.id);
    const other = (await alice.api.post(`${base}/direct/${carol.id}`)).body.data.id;
    expect(
      (await alice.api.post(msgs(other), { content: 'x', reply_to_message_id: original.id }))
        .status,
    ).toBe(400);
    expect(
      (await alice.api.post(msgs(dm), { content: 'x', reply_to_message_id: newObjectId() })).status,
    ).toBe(404);
  });

  it('is idempotent per sender and temp_id', async () => {
    const first = await alice.api.post(msgs(dm), { content: 'once', temp_id: 'tmp-1' });
    const retries = await Promise.all(
      [0, 1, 2].map(() => alice.api.post(msgs(dm), { content: 'once', temp_id: 'tmp-1' })),
    );
    expect(new Set(retries.map((r) => r.body.data.id))).toEqual(new Set([first.body.data.id]));
    const page = (await alice.api.get(`${msgs(dm)}?limit=100`)).body.data;
    expect(page.filter((m: { content: string }) => m.content === 'once')).toHaveLength(1);
    const bobs = await bob.api.post(msgs(dm), { content: 'mine', temp_id: 'tmp-1' });
    expect(bobs.body.data.id).not.toBe(first.body.data.id);
    expect(new Set(retries.map((r) => r.body.data.seq))).toEqual(new Set([first.body.data.seq]));
  });

  it('answers a reused temp_id with a different body 409 IDEMPOTENCY_CONFLICT, changing nothing', async () => {
    const first = await alice.api.post(msgs(dm), { content: 'original', temp_id: 'tmp-conflict' });
    expect(first.status).toBe(201);
    for (const body of [
      { content: 'different', temp_id: 'tmp-conflict' },
      { content: 'original', temp_id: 'tmp-conflict', reply_to_message_id: first.body.data.id },
      {
        content: 'original',
        media: [{ url: 'https://cdn.test/x.png', type: 'image' }],
        temp_id: 'tmp-conflict',
      },
    ]) {
      const res = await alice.api.post(msgs(dm), body);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ success: false, code: 'IDEMPOTENCY_CONFLICT' });
    }
    // The same key in another conversation is a different message too.
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'idem',
        participant_ids: [bob.id],
      })
    ).body.data.id;
    expect(
      (await alice.api.post(msgs(group), { content: 'original', temp_id: 'tmp-conflict' })).status,
    ).toBe(409);
    const page = (await alice.api.get(`${msgs(dm)}?limit=100`)).body.data;
    const stored = page.filter((m: { id: string }) => m.id === first.body.data.id);
    expect(stored).toEqual([
      expect.objectContaining({ content: 'original', seq: first.body.data.seq }),
    ]);
    expect((await alice.api.get(msgs(group))).body.data).toEqual([]);
  });

  it('keeps sequential sends in send order even when tempIds make their ids unordered', async () => {
    const conv = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'order',
        participant_ids: [bob.id],
      })
    ).body.data.id;
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      sent.push(
        (await alice.api.post(msgs(conv), { content: `o${i}`, temp_id: `order-${conv}-${i}` })).body
          .data.id,
      );
    }
    const rows = (await bob.api.get(`${msgs(conv)}?limit=100`)).body.data;
    expect(rows.map((m: { id: string }) => m.id)).toEqual(sent);
    expect(rows.map((m: { seq: number }) => m.seq)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it('refuses outsiders (403) and unknown conversations (404)', async () => {
    const outsider = await carol.api.post(msgs(dm), { content: 'hi' });
    expect(outsider.status).toBe(403);
    expect(outsider.body.code).toBe('NOT_PARTICIPANT');
    expect((await carol.api.get(msgs(dm))).status).toBe(403);
    expect((await alice.api.post(msgs(newObjectId()), { content: 'hi' })).status).toBe(404);
    expect((await alice.api.get(msgs(newObjectId()))).status).toBe(404);
  });

  it('pages newest first, oldest first inside a page, without skips or repeats', async () => {
    const conv = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'paging',
        participant_ids: [bob.id],
      })
    ).body.data.id;
    const sent: string[] = [];
    for (let i = 0; i < 23; i++)
      sent.push((await alice.api.post(msgs(conv), { content: `m${i}` })).body.data.id);
    const collected: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await bob.api.get(`${msgs(conv)}?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      collected.push(res.body.data.map((m: { id: string }) => m.id));
      cursor = res.body.next_cursor;
      expect(res.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(collected.map((p) => p.length)).toEqual([10, 10, 3]);
    expect(collected.reverse().flat()).toEqual(sent);
    for (const q of ['limit=0', 'limit=101', 'limit=-1', 'cursor=not-a-cursor']) {
      expect((await bob.api.get(`${msgs(conv)}?${q}`)).status).toBe(400);
    }
  });

  it('counts unread from the seen watermark: never own messages, never backwards', async () => {
    const conv = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'unread',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id;
    const a1 = (await alice.api.post(msgs(conv), { content: 'a1' })).body.data.id;
    const a2 = (await alice.api.post(msgs(conv), { content: 'a2' })).body.data.id;
    await bob.api.post(msgs(conv), { content: 'b1' });
    const a3 = (await alice.api.post(msgs(conv), { content: 'a3' })).body.data.id;

    const detail = (await bob.api.get(`${base}/conversations/${conv}`)).body.data;
    expect(detail.unread_count).toBe(3);
    expect((await alice.api.get(`${base}/conversations/${conv}`)).body.data.unread_count).toBe(1);

    const seen = await bob.api.patch(`${base}/conversations/${conv}/seen?message_id=${a2}`);
    expect(seen.status).toBe(200);
    expect(seen.body.data).toEqual({
      conversation_id: conv,
      last_seen_message_id: a2,
      unread_count: 1,
      unread_mention_count: 0,
    });
    const back = await bob.api.patch(`${base}/conversations/${conv}/seen?message_id=${a1}`);
    expect(back.status).toBe(200);
    expect(back.body.data).toEqual({
      conversation_id: conv,
      last_seen_message_id: a2,
      unread_count: 1,
      unread_mention_count: 0,
    });
    const latest = await bob.api.patch(`${base}/conversations/${conv}/seen?message_id=${a3}`);
    expect(latest.body.data.unread_count).toBe(0);
    const listed = (await bob.api.get(`${base}/conversations`)).body.data.find(
      (c: { id: string }) => c.id === conv,
    );
    expect(listed.unread_count).toBe(0);

    // status is the minimum over recipients: bob saw a3, carol did not
    const page = (await alice.api.get(msgs(conv))).body.data;
    expect(page.find((m: { id: string }) => m.id === a3).status).toBe('SENT');
    await carol.api.patch(`${base}/conversations/${conv}/seen?message_id=${a3}`);
    const after = (await alice.api.get(msgs(conv))).body.data;
    expect(after.find((m: { id: string }) => m.id === a3).status).toBe('SEEN');
    expect(after.find((m: { id: string }) => m.id === a1).status).toBe('SEEN');

    expect(
      (await bob.api.patch(`${base}/conversations/${conv}/seen?message_id=${newObjectId()}`))
        .status,
    ).toBe(404);
    expect((await bob.api.patch(`${base}/conversations/${conv}/seen?message_id=zzz`)).status).toBe(
      400,
    );
    expect((await bob.api.patch(`${base}/conversations/${dm}/seen?message_id=${a3}`)).status).toBe(
      400,
    );
    expect(
      (await carol.api.patch(`${base}/conversations/${dm}/seen?message_id=${a3}`)).status,
    ).toBe(403);
  });

  it('re-derives the type when text is added to a media message', async () => {
    const media = [{ url: 'https://cdn.test/only.png', type: 'image' }];
    const m = (await alice.api.post(msgs(dm), { media })).body.data;
    expect(m.type).toBe('IMAGE');
    const edited = await alice.api.patch(`${msgs(dm)}/${m.id}`, { content: 'caption' });
    expect(edited.body.data).toMatchObject({ type: 'MIXED', content: 'caption', media });
  });

  it('refuses a tempId retry from someone who has left (403)', async () => {
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'retry-left',
        participant_ids: [bob.id],
      })
    ).body.data.id;
    expect(
      (await bob.api.post(msgs(group), { content: 'before leaving', temp_id: 'left-1' })).status,
    ).toBe(201);
    await bob.api.delete(`${base}/conversations/${group}/participants/${bob.id}`);
    const retry = await bob.api.post(msgs(group), { content: 'before leaving', temp_id: 'left-1' });
    expect(retry.status).toBe(403);
    expect(retry.body.code).toBe('NOT_PARTICIPANT');
  });

  it('edits: sender only, sets updated_at', async () => {
    const m = (await alice.api.post(msgs(dm), { content: 'tpyo' })).body.data;
    const notMine = await bob.api.patch(`${msgs(dm)}/${m.id}`, { content: 'hack' });
    expect(notMine.status).toBe(403);
    const edited = await alice.api.patch(`${msgs(dm)}/${m.id}`, { content: 'typo' });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({
      id: m.id,
      content: 'typo',
      updated_at: expect.any(String),
    });
    expect((await alice.api.patch(`${msgs(dm)}/${m.id}`, { content: '' })).status).toBe(400);
    expect((await alice.api.patch(`${msgs(dm)}/${m.id}`, { content: 'x'.repeat(51) })).status).toBe(
      400,
    );
    expect((await alice.api.patch(`${msgs(dm)}/${newObjectId()}`, { content: 'x' })).status).toBe(
      404,
    );
    const conv = (await bob.api.get(`${base}/conversations/${dm}`)).body.data;
    expect(conv.last_message.content).toBe('typo');
  });

  it('soft-deletes: sender or group admin, content and media hidden everywhere', async () => {
    const m = (
      await bob.api.post(msgs(dm), {
        content: 'secret',
        media: [{ url: 'https://cdn.test/s.png', type: 'image' }],
      })
    ).body.data;
    expect((await alice.api.delete(`${msgs(dm)}/${m.id}`)).status).toBe(403);
    const del = await bob.api.delete(`${msgs(dm)}/${m.id}`);
    expect(del.status).toBe(200);
    expect(del.body.data).toMatchObject({
      id: m.id,
      content: null,
      media: [],
      deleted_at: expect.any(String),
    });
    const read = (await alice.api.get(msgs(dm))).body.data.find(
      (x: { id: string }) => x.id === m.id,
    );
    expect(read).toMatchObject({ content: null, media: [], deleted_at: expect.any(String) });
    const listed = (await alice.api.get(`${base}/conversations`)).body.data.find(
      (c: { id: string }) => c.id === dm,
    );
    expect(listed.last_message_content).toBeNull();

    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'mod',
        participant_ids: [bob.id],
      })
    ).body.data.id;
    const rude = (await bob.api.post(msgs(group), { content: 'rude' })).body.data;
    expect((await alice.api.delete(`${msgs(group)}/${rude.id}`)).status).toBe(200);
    const fine = (await alice.api.post(msgs(group), { content: 'fine' })).body.data;
    expect((await bob.api.delete(`${msgs(group)}/${fine.id}`)).status).toBe(403);
  });

  it('rate limits a flood of sends with 429', async () => {
    const limited = await startTestNode({
      RATE_LIMIT_MESSAGES_PER_SECOND: '1',
      RATE_LIMIT_MESSAGES_BURST: '3',
      ...setup.env,
    });
    try {
      const lapi = new Api(limited.url);
      const [x, y] = [await registerUser(lapi), await registerUser(lapi)];
      const conv = (await x.api.post(`${base}/direct/${y.id}`)).body.data.id;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await x.api.post(msgs(conv), { content: `f${i}` })).status);
      expect(statuses.slice(0, 3)).toEqual([201, 201, 201]);
      expect(statuses).toContain(429);
    } finally {
      await limited.close();
    }
  });
});
