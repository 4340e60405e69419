// The authorization matrix as data: every REST route with a request its rightful caller may make,
// the refusals each relationship to a conversation earns (docs/PROTOCOL.md §3.3, §5), and the
// realtime commands a socket may not run on a conversation it is not in (§6.3).
import type { Frame } from './realtime-client';
import type { AuthzWorld } from './authz-world';

export type Who = 'alice' | 'bob' | 'carol' | 'dave';

export interface RestCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: (w: AuthzWorld) => string;
  body?: (w: AuthzWorld) => unknown;
}

const M = '/api/v1/messages';
const conv = (id: string): string => `${M}/conversations/${id}`;

const call = (
  method: RestCall['method'],
  path: RestCall['path'],
  body?: RestCall['body'],
): RestCall => ({ method, path, ...(body && { body }) });

const mute: RestCall['body'] = () => ({ muted: true });
const reaction = (c: string, m: string): string =>
  `${conv(c)}/messages/${m}/reactions/%F0%9F%91%8D`;

/** A block of a user (§5.15): PUT blocks, DELETE unblocks. */
const blockOf = (userId: string): string => `${M}/blocks/${userId}`;

/** A message search of one conversation (§5.14). */
const searchIn = (id: string, q = 'group'): string =>
  `${M}/search/messages?q=${q}&conversation_id=${id}`;

/** A message's pin in a conversation (§5.13): PUT pins, DELETE unpins. */
const pinOf = (id: string, messageId: string): string => `${conv(id)}/pins/${messageId}`;

/**
 * Every route behind a user token, each with a request alice may make (the controls run them
 * last and expect 2xx), so a refusal of the same request can only come from the token.
 */
export const TOKEN_ROUTES: { route: string; call: RestCall }[] = [
  {
    route: 'GET /messages/search/users',
    call: call('GET', (w) => `${M}/search/users?q=${encodeURIComponent(w.bob.username)}`),
  },
  {
    route: 'POST /messages/conversations',
    call: call(
      'POST',
      () => `${M}/conversations`,
      (w) => ({ type: 'GROUP', name: 'another group', participant_ids: [w.bob.id] }),
    ),
  },
  { route: 'GET /messages/conversations', call: call('GET', () => `${M}/conversations`) },
  { route: 'GET /messages/conversations/{id}', call: call('GET', (w) => conv(w.group)) },
  {
    route: 'POST /messages/conversations/{id}/participants',
    call: call(
      'POST',
      (w) => `${conv(w.group)}/participants`,
      (w) => ({ user_ids: [w.dave.id] }),
    ),
  },
  {
    route: 'DELETE /messages/conversations/{id}/participants/{user_id}',
    call: call('DELETE', (w) => `${conv(w.group)}/participants/${w.bob.id}`),
  },
  {
    route: 'POST /messages/direct/{user_id}',
    call: call('POST', (w) => `${M}/direct/${w.dave.id}`),
  },
  {
    route: 'GET /messages/conversations/{id}/messages',
    call: call('GET', (w) => `${conv(w.group)}/messages`),
  },
  {
    route: 'POST /messages/conversations/{id}/messages',
    call: call(
      'POST',
      (w) => `${conv(w.group)}/messages`,
      () => ({ content: 'a new message', temp_id: 'authz-control' }),
    ),
  },
  {
    route: 'PATCH /messages/conversations/{id}/messages/{message_id}',
    call: call(
      'PATCH',
      (w) => `${conv(w.group)}/messages/${w.groupMessages.alice}`,
      () => ({ content: 'edited' }),
    ),
  },
  {
    route: 'DELETE /messages/conversations/{id}/messages/{message_id}',
    call: call('DELETE', (w) => `${conv(w.group)}/messages/${w.groupMessages.alice}`),
  },
  {
    route: 'PATCH /messages/conversations/{id}/seen',
    call: call('PATCH', (w) => `${conv(w.group)}/seen?message_id=${w.groupMessages.bob}`),
  },
  {
    route: 'PATCH /messages/conversations/{id}/mute',
    call: call('PATCH', (w) => `${conv(w.group)}/mute`, mute),
  },
  {
    route: 'GET /messages/search/messages',
    call: call('GET', (w) => searchIn(w.group)),
  },
  {
    route: 'PUT /messages/conversations/{id}/messages/{message_id}/reactions/{emoji}',
    call: call('PUT', (w) => reaction(w.group, w.groupMessages.bob)),
  },
  {
    route: 'DELETE /messages/conversations/{id}/messages/{message_id}/reactions/{emoji}',
    call: call('DELETE', (w) => reaction(w.group, w.groupMessages.bob)),
  },
  { route: 'GET /messages/sync', call: call('GET', () => `${M}/sync`) },
  {
    route: 'POST /messages/sync',
    call: call(
      'POST',
      () => `${M}/sync`,
      (w) => ({ positions: { [w.group]: 0 } }),
    ),
  },
  // Pins (§5.13): alice is the group's admin; bob's message is never deleted by the controls.
  {
    route: 'GET /messages/conversations/{id}/pins',
    call: call('GET', (w) => `${conv(w.group)}/pins`),
  },
  {
    route: 'PUT /messages/conversations/{id}/pins/{message_id}',
    call: call('PUT', (w) => pinOf(w.group, w.groupMessages.bob)),
  },
  {
    route: 'DELETE /messages/conversations/{id}/pins/{message_id}',
    call: call('DELETE', (w) => pinOf(w.group, w.groupMessages.bob)),
  },
  // Blocking (§5.15): alice blocks carol, then unblocks her (they share no DIRECT).
  { route: 'GET /messages/blocks', call: call('GET', () => `${M}/blocks`) },
  { route: 'PUT /messages/blocks/{user_id}', call: call('PUT', (w) => blockOf(w.carol.id)) },
  { route: 'DELETE /messages/blocks/{user_id}', call: call('DELETE', (w) => blockOf(w.carol.id)) },
];

export interface RestRefusal {
  name: string;
  as: Who;
  call: RestCall;
  status: number;
  code: string;
}

const refusals = (
  as: Who,
  status: number,
  code: string,
  cases: [string, RestCall][],
): RestRefusal[] =>
  cases.map(([name, c]) => ({ name: `${as}: ${name}`, as, call: c, status, code }));

const edit =
  (content = 'edited'): RestCall['body'] =>
  () => ({ content });

/** What a valid token earns on a conversation its user may not touch in that way. */
export const REST_REFUSALS: RestRefusal[] = [
  // dave is in neither the group nor alice and bob's DM.
  ...refusals('dave', 403, 'NOT_PARTICIPANT', [
    ['GET group (not a participant)', call('GET', (w) => conv(w.group))],
    ['GET group messages', call('GET', (w) => `${conv(w.group)}/messages`)],
    ['POST group message', call('POST', (w) => `${conv(w.group)}/messages`, edit('hi'))],
    [
      'PATCH group message',
      call('PATCH', (w) => `${conv(w.group)}/messages/${w.groupMessages.alice}`, edit()),
    ],
    [
      'PATCH unknown message of the group (membership first: nothing revealed)',
      call('PATCH', (w) => `${conv(w.group)}/messages/${w.unknownId}`, edit()),
    ],
    [
      'DELETE group message',
      call('DELETE', (w) => `${conv(w.group)}/messages/${w.groupMessages.alice}`),
    ],
    [
      'PATCH group seen with message_id',
      call('PATCH', (w) => `${conv(w.group)}/seen?message_id=${w.groupMessages.alice}`),
    ],
    ['PATCH group seen (latest)', call('PATCH', (w) => `${conv(w.group)}/seen`)],
    ['PATCH group mute', call('PATCH', (w) => `${conv(w.group)}/mute`, mute)],
    ['GET search in group', call('GET', (w) => searchIn(w.group))],
    ['PUT group reaction', call('PUT', (w) => reaction(w.group, w.groupMessages.alice))],
    ['DELETE group reaction', call('DELETE', (w) => reaction(w.group, w.groupMessages.alice))],
    [
      'POST group participants (adding himself)',
      call(
        'POST',
        (w) => `${conv(w.group)}/participants`,
        (w) => ({ user_ids: [w.dave.id] }),
      ),
    ],
    [
      'DELETE group participant alice',
      call('DELETE', (w) => `${conv(w.group)}/participants/${w.alice.id}`),
    ],
    [
      'DELETE group participant dave (himself)',
      call('DELETE', (w) => `${conv(w.group)}/participants/${w.dave.id}`),
    ],
    ['GET DM of others', call('GET', (w) => conv(w.direct))],
    ['GET DM-of-others messages', call('GET', (w) => `${conv(w.direct)}/messages`)],
    ['POST DM-of-others message', call('POST', (w) => `${conv(w.direct)}/messages`, edit('hi'))],
    [
      'PATCH DM-of-others message',
      call('PATCH', (w) => `${conv(w.direct)}/messages/${w.directMessage}`, edit()),
    ],
    [
      'DELETE DM-of-others message',
      call('DELETE', (w) => `${conv(w.direct)}/messages/${w.directMessage}`),
    ],
    ['PATCH DM-of-others seen', call('PATCH', (w) => `${conv(w.direct)}/seen`)],
    ['PATCH DM-of-others mute', call('PATCH', (w) => `${conv(w.direct)}/mute`, mute)],
    ['GET search in DM of others', call('GET', (w) => searchIn(w.direct, 'alice'))],
    ['PUT DM-of-others reaction', call('PUT', (w) => reaction(w.direct, w.directMessage))],
    [
      'POST DM-of-others participants',
      call(
        'POST',
        (w) => `${conv(w.direct)}/participants`,
        (w) => ({ user_ids: [w.dave.id] }),
      ),
    ],
  ]),
  // carol was a member of the group and left it.
  ...refusals('carol', 403, 'NOT_PARTICIPANT', [
    ['GET group (left)', call('GET', (w) => conv(w.group))],
    ['GET group messages', call('GET', (w) => `${conv(w.group)}/messages`)],
    [
      'GET group messages with a history cursor',
      call('GET', (w) => `${conv(w.group)}/messages?cursor=${w.groupHistoryCursor}`),
    ],
    ['POST group message', call('POST', (w) => `${conv(w.group)}/messages`, edit('back'))],
    [
      'POST group message retrying a send made while a member',
      call(
        'POST',
        (w) => `${conv(w.group)}/messages`,
        (w) => ({ content: w.carolSend.content, temp_id: w.carolSend.tempId }),
      ),
    ],
    [
      'PATCH her own group message',
      call('PATCH', (w) => `${conv(w.group)}/messages/${w.groupMessages.carol}`, edit()),
    ],
    [
      'DELETE her own group message',
      call('DELETE', (w) => `${conv(w.group)}/messages/${w.groupMessages.carol}`),
    ],
    ['PATCH group seen (latest)', call('PATCH', (w) => `${conv(w.group)}/seen`)],
    ['PATCH group mute (left)', call('PATCH', (w) => `${conv(w.group)}/mute`, mute)],
    ['GET search in group (left)', call('GET', (w) => searchIn(w.group))],
    ['PUT group reaction (left)', call('PUT', (w) => reaction(w.group, w.groupMessages.carol))],
    [
      'POST group participants (re-adding herself)',
      call(
        'POST',
        (w) => `${conv(w.group)}/participants`,
        (w) => ({ user_ids: [w.carol.id] }),
      ),
    ],
    [
      'DELETE group participant carol (leaving again)',
      call('DELETE', (w) => `${conv(w.group)}/participants/${w.carol.id}`),
    ],
  ]),
  // bob is a MEMBER of the group: no admin powers, and only his own messages.
  ...refusals('bob', 403, 'NOT_ADMIN', [
    [
      'POST group participants (member, not admin)',
      call(
        'POST',
        (w) => `${conv(w.group)}/participants`,
        (w) => ({ user_ids: [w.dave.id] }),
      ),
    ],
    [
      'DELETE group participant alice (member, not admin)',
      call('DELETE', (w) => `${conv(w.group)}/participants/${w.alice.id}`),
    ],
  ]),
  ...refusals('bob', 403, 'FORBIDDEN', [
    [
      "PATCH alice's group message",
      call('PATCH', (w) => `${conv(w.group)}/messages/${w.groupMessages.alice}`, edit()),
    ],
    [
      "DELETE alice's group message (member, not admin)",
      call('DELETE', (w) => `${conv(w.group)}/messages/${w.groupMessages.alice}`),
    ],
    [
      "PATCH alice's DM message",
      call('PATCH', (w) => `${conv(w.direct)}/messages/${w.directMessage}`, edit()),
    ],
    [
      "DELETE alice's DM message (a DM has no admin)",
      call('DELETE', (w) => `${conv(w.direct)}/messages/${w.directMessage}`),
    ],
  ]),
  ...refusals('alice', 403, 'FORBIDDEN', [
    [
      "PATCH bob's group message (admins delete, only senders edit)",
      call('PATCH', (w) => `${conv(w.group)}/messages/${w.groupMessages.bob}`, edit()),
    ],
  ]),
  // Well-formed ids that name nothing.
  ...refusals('alice', 404, 'NOT_FOUND', [
    ['GET unknown conversation', call('GET', (w) => conv(w.unknownId))],
    ['GET unknown conversation messages', call('GET', (w) => `${conv(w.unknownId)}/messages`)],
    [
      'POST unknown conversation message',
      call('POST', (w) => `${conv(w.unknownId)}/messages`, edit('hi')),
    ],
    [
      'PATCH message in unknown conversation',
      call('PATCH', (w) => `${conv(w.unknownId)}/messages/${w.groupMessages.alice}`, edit()),
    ],
    [
      'DELETE message in unknown conversation',
      call('DELETE', (w) => `${conv(w.unknownId)}/messages/${w.groupMessages.alice}`),
    ],
    ['PATCH unknown conversation seen', call('PATCH', (w) => `${conv(w.unknownId)}/seen`)],
    ['PATCH unknown conversation mute', call('PATCH', (w) => `${conv(w.unknownId)}/mute`, mute)],
    ['GET search in unknown conversation', call('GET', (w) => searchIn(w.unknownId))],
    [
      'PUT reaction in unknown conversation',
      call('PUT', (w) => reaction(w.unknownId, w.groupMessages.alice)),
    ],
    [
      'POST unknown conversation participants',
      call(
        'POST',
        (w) => `${conv(w.unknownId)}/participants`,
        (w) => ({ user_ids: [w.dave.id] }),
      ),
    ],
    [
      'DELETE unknown conversation participant',
      call('DELETE', (w) => `${conv(w.unknownId)}/participants/${w.bob.id}`),
    ],
    [
      'PATCH unknown message of the group',
      call('PATCH', (w) => `${conv(w.group)}/messages/${w.unknownId}`, edit()),
    ],
    [
      'DELETE unknown message of the group',
      call('DELETE', (w) => `${conv(w.group)}/messages/${w.unknownId}`),
    ],
    [
      'PATCH group seen with unknown message_id',
      call('PATCH', (w) => `${conv(w.group)}/seen?message_id=${w.unknownId}`),
    ],
    ['POST direct with unknown user', call('POST', (w) => `${M}/direct/${w.unknownId}`)],
    [
      'POST group with unknown participant',
      call(
        'POST',
        () => `${M}/conversations`,
        (w) => ({ type: 'GROUP', name: 'ghosts', participant_ids: [w.unknownId] }),
      ),
    ],
    [
      'POST group participants with unknown user',
      call(
        'POST',
        (w) => `${conv(w.group)}/participants`,
        (w) => ({ user_ids: [w.unknownId] }),
      ),
    ],
    [
      'DELETE group participant who is not in it',
      call('DELETE', (w) => `${conv(w.group)}/participants/${w.dave.id}`),
    ],
  ]),
  // dave reaching the group's messages through a conversation he is in.
  ...refusals('dave', 404, 'NOT_FOUND', [
    [
      'PATCH a group message through his own DM',
      call('PATCH', (w) => `${conv(w.outsiders)}/messages/${w.groupMessages.alice}`, edit()),
    ],
    [
      'DELETE a group message through his own DM',
      call('DELETE', (w) => `${conv(w.outsiders)}/messages/${w.groupMessages.alice}`),
    ],
    [
      'PUT a reaction to a group message through his own DM',
      call('PUT', (w) => reaction(w.outsiders, w.groupMessages.alice)),
    ],
  ]),
  ...refusals('dave', 400, 'VALIDATION', [
    [
      'PATCH his own DM seen with a group message_id',
      call('PATCH', (w) => `${conv(w.outsiders)}/seen?message_id=${w.groupMessages.alice}`),
    ],
    [
      'POST a reply to a group message into his own DM',
      call(
        'POST',
        (w) => `${conv(w.outsiders)}/messages`,
        (w) => ({ content: 'quoting', reply_to_message_id: w.groupMessages.alice }),
      ),
    ],
    [
      'PATCH his own DM mute with an end in the past',
      call(
        'PATCH',
        (w) => `${conv(w.outsiders)}/mute`,
        () => ({ muted: true, until: '2001-01-01T00:00:00Z' }),
      ),
    ],
    ["GET sync with alice's cursor", call('GET', (w) => `${M}/sync?since=${w.aliceCursor}`)],
    [
      "POST sync with alice's cursor",
      call(
        'POST',
        () => `${M}/sync`,
        (w) => ({ since: w.aliceCursor }),
      ),
    ],
  ]),
  // Pins (§5.13): any current participant lists them; a GROUP's admins (either participant of a
  // DIRECT) pin and unpin.
  ...refusals('dave', 403, 'NOT_PARTICIPANT', [
    ['GET group pins', call('GET', (w) => `${conv(w.group)}/pins`)],
    ['PUT group pin', call('PUT', (w) => pinOf(w.group, w.groupMessages.alice))],
    ['DELETE group pin', call('DELETE', (w) => pinOf(w.group, w.groupMessages.alice))],
    [
      'PUT unknown message pin of the group (membership first: nothing revealed)',
      call('PUT', (w) => pinOf(w.group, w.unknownId)),
    ],
    ['GET DM-of-others pins', call('GET', (w) => `${conv(w.direct)}/pins`)],
    ['PUT DM-of-others pin', call('PUT', (w) => pinOf(w.direct, w.directMessage))],
    ['DELETE DM-of-others pin', call('DELETE', (w) => pinOf(w.direct, w.directMessage))],
  ]),
  ...refusals('carol', 403, 'NOT_PARTICIPANT', [
    ['GET group pins (left)', call('GET', (w) => `${conv(w.group)}/pins`)],
    [
      'PUT pin of her own group message (left)',
      call('PUT', (w) => pinOf(w.group, w.groupMessages.carol)),
    ],
    [
      'DELETE pin of her own group message (left)',
      call('DELETE', (w) => pinOf(w.group, w.groupMessages.carol)),
    ],
  ]),
  ...refusals('bob', 403, 'NOT_ADMIN', [
    [
      'PUT pin of his own group message (member, not admin)',
      call('PUT', (w) => pinOf(w.group, w.groupMessages.bob)),
    ],
    [
      "PUT pin of alice's group message (member, not admin)",
      call('PUT', (w) => pinOf(w.group, w.groupMessages.alice)),
    ],
    [
      'DELETE group pin (member, not admin)',
      call('DELETE', (w) => pinOf(w.group, w.groupMessages.alice)),
    ],
  ]),
  ...refusals('alice', 404, 'NOT_FOUND', [
    ['GET unknown conversation pins', call('GET', (w) => `${conv(w.unknownId)}/pins`)],
    [
      'PUT pin in unknown conversation',
      call('PUT', (w) => pinOf(w.unknownId, w.groupMessages.alice)),
    ],
    [
      'DELETE pin in unknown conversation',
      call('DELETE', (w) => pinOf(w.unknownId, w.groupMessages.alice)),
    ],
    ['PUT pin of unknown message of the group', call('PUT', (w) => pinOf(w.group, w.unknownId))],
    [
      'DELETE pin of unknown message of the group',
      call('DELETE', (w) => pinOf(w.group, w.unknownId)),
    ],
    [
      'PUT pin of a DM message through the group',
      call('PUT', (w) => pinOf(w.group, w.directMessage)),
    ],
  ]),
  ...refusals('dave', 404, 'NOT_FOUND', [
    [
      'PUT pin of a group message through his own DM',
      call('PUT', (w) => pinOf(w.outsiders, w.groupMessages.alice)),
    ],
    [
      'DELETE pin of a group message through his own DM',
      call('DELETE', (w) => pinOf(w.outsiders, w.groupMessages.alice)),
    ],
  ]),
  // Reactions (§5.12), the cells the pins have: membership before the message, every way a
  // message can be out of reach, and a deleted message (409: it takes no reactions).
  ...refusals('dave', 403, 'NOT_PARTICIPANT', [
    ['DELETE DM-of-others reaction', call('DELETE', (w) => reaction(w.direct, w.directMessage))],
    [
      'PUT reaction to an unknown message of the group (membership first: nothing revealed)',
      call('PUT', (w) => reaction(w.group, w.unknownId)),
    ],
    [
      'PUT reaction to the deleted group message (membership first)',
      call('PUT', (w) => reaction(w.group, w.groupMessages.deleted)),
    ],
  ]),
  ...refusals('carol', 403, 'NOT_PARTICIPANT', [
    [
      'DELETE group reaction (left)',
      call('DELETE', (w) => reaction(w.group, w.groupMessages.carol)),
    ],
    [
      'PUT reaction to a message sent after she left',
      call('PUT', (w) => reaction(w.group, w.groupMessages.afterCarolLeft)),
    ],
  ]),
  ...refusals('alice', 404, 'NOT_FOUND', [
    [
      'DELETE reaction in unknown conversation',
      call('DELETE', (w) => reaction(w.unknownId, w.groupMessages.alice)),
    ],
    [
      'PUT reaction to an unknown message of the group',
      call('PUT', (w) => reaction(w.group, w.unknownId)),
    ],
    [
      'DELETE reaction of an unknown message of the group',
      call('DELETE', (w) => reaction(w.group, w.unknownId)),
    ],
    [
      'PUT reaction to a DM message through the group',
      call('PUT', (w) => reaction(w.group, w.directMessage)),
    ],
    [
      'DELETE reaction of a DM message through the group',
      call('DELETE', (w) => reaction(w.group, w.directMessage)),
    ],
  ]),
  ...refusals('dave', 404, 'NOT_FOUND', [
    [
      'DELETE a reaction of a group message through his own DM',
      call('DELETE', (w) => reaction(w.outsiders, w.groupMessages.alice)),
    ],
  ]),
  ...refusals('alice', 409, 'CONFLICT', [
    [
      'PUT reaction to her deleted group message',
      call('PUT', (w) => reaction(w.group, w.groupMessages.deleted)),
    ],
    [
      'DELETE reaction of her deleted group message',
      call('DELETE', (w) => reaction(w.group, w.groupMessages.deleted)),
    ],
  ]),
  // Blocking (§5.15): nobody blocks themselves, an unknown user or a malformed id.
  ...refusals('alice', 400, 'VALIDATION', [
    ['PUT block of herself', call('PUT', (w) => blockOf(w.alice.id))],
    ['DELETE block of herself', call('DELETE', (w) => blockOf(w.alice.id))],
    ['PUT block of a malformed id', call('PUT', () => blockOf('not-a-user-id'))],
    ['GET blocks with a malformed cursor', call('GET', () => `${M}/blocks?cursor=not-a-cursor`)],
  ]),
  ...refusals('dave', 400, 'VALIDATION', [
    ['PUT block of himself (blocked by bob)', call('PUT', (w) => blockOf(w.dave.id))],
  ]),
  ...refusals('alice', 404, 'NOT_FOUND', [
    ['PUT block of an unknown user', call('PUT', (w) => blockOf(w.unknownId))],
    ['DELETE block of an unknown user', call('DELETE', (w) => blockOf(w.unknownId))],
  ]),
];

/** A SYNC request whose answer must hold nothing of conversations its caller is not in. */
export interface SyncCase {
  name: string;
  as: 'carol' | 'dave';
  request: (w: AuthzWorld) => { since?: string; positions?: Record<string, number> };
}

export const SYNC_CASES: SyncCase[] = [
  {
    name: 'dave: positions naming the group and the DM of others',
    as: 'dave',
    request: (w) => ({ positions: { [w.group]: 0, [w.direct]: 0 } }),
  },
  { name: 'dave: from the beginning', as: 'dave', request: () => ({}) },
  {
    name: 'carol (left): positions naming the group',
    as: 'carol',
    request: (w) => ({ positions: { [w.group]: 0 } }),
  },
  {
    name: 'carol (left): a cursor issued while she was a member',
    as: 'carol',
    request: (w) => ({ since: w.carolCursorWhileMember }),
  },
  {
    name: 'carol (left): that cursor and positions naming the group',
    as: 'carol',
    request: (w) => ({ since: w.carolCursorWhileMember, positions: { [w.group]: 1 } }),
  },
  { name: 'carol (left): from the beginning', as: 'carol', request: () => ({}) },
];

export interface FrameRefusal {
  name: string;
  as: Who;
  frame: (w: AuthzWorld) => Frame;
  code: string;
}

const frames = (as: Who, code: string, cases: [string, FrameRefusal['frame']][]): FrameRefusal[] =>
  cases.map(([name, frame]) => ({ name: `${as}: ${name}`, as, frame, code }));

/** Commands on a conversation from a valid socket whose user may not run them there (§6.3). */
export const FRAME_REFUSALS: FrameRefusal[] = [
  ...frames('dave', 'NOT_PARTICIPANT', [
    [
      'SEND_MESSAGE to the group',
      (w) => ({ type: 'SEND_MESSAGE', conversationId: w.group, content: 'hi', tempId: 'dave-g' }),
    ],
    [
      'SEND_MESSAGE to the DM of others',
      (w) => ({ type: 'SEND_MESSAGE', conversationId: w.direct, content: 'hi', tempId: 'dave-d' }),
    ],
    ['TYPING in the group', (w) => ({ type: 'TYPING', conversationId: w.group })],
    ['TYPING in the DM of others', (w) => ({ type: 'TYPING', conversationId: w.direct })],
    [
      'REACT in the group',
      (w) => ({
        type: 'REACT',
        conversationId: w.group,
        messageId: w.groupMessages.alice,
        emoji: '👍',
      }),
    ],
    [
      'MARK_SEEN in the group',
      (w) => ({ type: 'MARK_SEEN', conversationId: w.group, messageId: w.groupMessages.alice }),
    ],
    [
      'MARK_SEEN in the DM of others',
      (w) => ({ type: 'MARK_SEEN', conversationId: w.direct, messageId: w.directMessage }),
    ],
    [
      'MARK_DELIVERED in the group',
      (w) => ({
        type: 'MARK_DELIVERED',
        conversationId: w.group,
        messageId: w.groupMessages.alice,
      }),
    ],
    [
      'MARK_DELIVERED in the DM of others',
      (w) => ({ type: 'MARK_DELIVERED', conversationId: w.direct, messageId: w.directMessage }),
    ],
  ]),
  ...frames('carol', 'NOT_PARTICIPANT', [
    [
      'SEND_MESSAGE to the group she left',
      (w) => ({ type: 'SEND_MESSAGE', conversationId: w.group, content: 'back', tempId: 'c-2' }),
    ],
    [
      'SEND_MESSAGE retrying a send made while a member',
      (w) => ({
        type: 'SEND_MESSAGE',
        conversationId: w.group,
        content: w.carolSend.content,
        tempId: w.carolSend.tempId,
      }),
    ],
    ['TYPING in the group she left', (w) => ({ type: 'TYPING', conversationId: w.group })],
    [
      'MARK_SEEN in the group she left',
      (w) => ({
        type: 'MARK_SEEN',
        conversationId: w.group,
        messageId: w.groupMessages.afterCarolLeft,
      }),
    ],
    [
      'MARK_DELIVERED in the group she left',
      (w) => ({
        type: 'MARK_DELIVERED',
        conversationId: w.group,
        messageId: w.groupMessages.afterCarolLeft,
      }),
    ],
  ]),
  ...frames('alice', 'NOT_FOUND', [
    [
      'SEND_MESSAGE to an unknown conversation',
      (w) => ({ type: 'SEND_MESSAGE', conversationId: w.unknownId, content: 'hi', tempId: 'a-u' }),
    ],
    ['TYPING in an unknown conversation', (w) => ({ type: 'TYPING', conversationId: w.unknownId })],
    [
      'MARK_SEEN in an unknown conversation',
      (w) => ({ type: 'MARK_SEEN', conversationId: w.unknownId, messageId: w.groupMessages.bob }),
    ],
    [
      'MARK_DELIVERED in an unknown conversation',
      (w) => ({
        type: 'MARK_DELIVERED',
        conversationId: w.unknownId,
        messageId: w.groupMessages.bob,
      }),
    ],
  ]),
  // dave reaching a group message through the DM he is in.
  ...frames('dave', 'VALIDATION', [
    [
      'SEND_MESSAGE replying to a group message, into his own DM',
      (w) => ({
        type: 'SEND_MESSAGE',
        conversationId: w.outsiders,
        content: 'quoting',
        replyToMessageId: w.groupMessages.alice,
        tempId: 'dave-reply',
      }),
    ],
    [
      'MARK_SEEN of a group message, in his own DM',
      (w) => ({ type: 'MARK_SEEN', conversationId: w.outsiders, messageId: w.groupMessages.alice }),
    ],
    [
      'MARK_DELIVERED of a group message, in his own DM',
      (w) => ({
        type: 'MARK_DELIVERED',
        conversationId: w.outsiders,
        messageId: w.groupMessages.alice,
      }),
    ],
    ["SYNC with alice's cursor", (w) => ({ type: 'SYNC', since: w.aliceCursor })],
  ]),
  // Pins (§5.13, §6.3): the frames refuse what the routes refuse.
  ...frames('dave', 'NOT_PARTICIPANT', [
    [
      'PIN_MESSAGE in the group',
      (w) => ({ type: 'PIN_MESSAGE', conversationId: w.group, messageId: w.groupMessages.alice }),
    ],
    [
      'UNPIN_MESSAGE in the group',
      (w) => ({ type: 'UNPIN_MESSAGE', conversationId: w.group, messageId: w.groupMessages.alice }),
    ],
    [
      'PIN_MESSAGE in the DM of others',
      (w) => ({ type: 'PIN_MESSAGE', conversationId: w.direct, messageId: w.directMessage }),
    ],
    [
      'UNPIN_MESSAGE in the DM of others',
      (w) => ({ type: 'UNPIN_MESSAGE', conversationId: w.direct, messageId: w.directMessage }),
    ],
  ]),
  ...frames('carol', 'NOT_PARTICIPANT', [
    [
      'PIN_MESSAGE of her own message in the group she left',
      (w) => ({ type: 'PIN_MESSAGE', conversationId: w.group, messageId: w.groupMessages.carol }),
    ],
    [
      'UNPIN_MESSAGE in the group she left',
      (w) => ({ type: 'UNPIN_MESSAGE', conversationId: w.group, messageId: w.groupMessages.carol }),
    ],
  ]),
  ...frames('bob', 'NOT_ADMIN', [
    [
      'PIN_MESSAGE in the group (member, not admin)',
      (w) => ({ type: 'PIN_MESSAGE', conversationId: w.group, messageId: w.groupMessages.bob }),
    ],
    [
      'UNPIN_MESSAGE in the group (member, not admin)',
      (w) => ({ type: 'UNPIN_MESSAGE', conversationId: w.group, messageId: w.groupMessages.bob }),
    ],
  ]),
  ...frames('alice', 'NOT_FOUND', [
    [
      'PIN_MESSAGE in an unknown conversation',
      (w) => ({ type: 'PIN_MESSAGE', conversationId: w.unknownId, messageId: w.groupMessages.bob }),
    ],
    [
      'UNPIN_MESSAGE in an unknown conversation',
      (w) => ({
        type: 'UNPIN_MESSAGE',
        conversationId: w.unknownId,
        messageId: w.groupMessages.bob,
      }),
    ],
    [
      'PIN_MESSAGE of an unknown message of the group',
      (w) => ({ type: 'PIN_MESSAGE', conversationId: w.group, messageId: w.unknownId }),
    ],
    [
      'UNPIN_MESSAGE of a DM message, through the group',
      (w) => ({ type: 'UNPIN_MESSAGE', conversationId: w.group, messageId: w.directMessage }),
    ],
  ]),
  ...frames('dave', 'NOT_FOUND', [
    [
      'PIN_MESSAGE of a group message, in his own DM',
      (w) => ({
        type: 'PIN_MESSAGE',
        conversationId: w.outsiders,
        messageId: w.groupMessages.alice,
      }),
    ],
  ]),
  // Reactions (§5.12, §6.3): REACT and UNREACT refuse what the routes refuse.
  ...reactFrames('dave', 'NOT_PARTICIPANT', [
    ['in the group', (w) => [w.group, w.groupMessages.alice]],
    ['in the DM of others', (w) => [w.direct, w.directMessage]],
    ['of an unknown message of the group (membership first)', (w) => [w.group, w.unknownId]],
  ]),
  ...reactFrames('carol', 'NOT_PARTICIPANT', [
    ['of her own message in the group she left', (w) => [w.group, w.groupMessages.carol]],
  ]),
  ...reactFrames('alice', 'NOT_FOUND', [
    ['in an unknown conversation', (w) => [w.unknownId, w.groupMessages.bob]],
    ['of an unknown message of the group', (w) => [w.group, w.unknownId]],
    ['of a DM message, through the group', (w) => [w.group, w.directMessage]],
  ]),
  ...reactFrames('dave', 'NOT_FOUND', [
    ['of a group message, in his own DM', (w) => [w.outsiders, w.groupMessages.alice]],
  ]),
  ...reactFrames('alice', 'CONFLICT', [
    ['of her deleted group message', (w) => [w.group, w.groupMessages.deleted]],
  ]),
];

/** REACT and UNREACT (👍) of one target, each its own cell. */
function reactFrames(
  as: Who,
  code: string,
  targets: [string, (w: AuthzWorld) => [conversationId: string, messageId: string]][],
): FrameRefusal[] {
  return frames(
    as,
    code,
    targets.flatMap(([name, target]) =>
      (['REACT', 'UNREACT'] as const).map((type): [string, FrameRefusal['frame']] => [
        `${type} ${name}`,
        (w) => {
          const [conversationId, messageId] = target(w);
          return { type, conversationId, messageId, emoji: '👍' };
        },
      ]),
    ),
  );
}

/** A command on one message that its rightful caller may send, and then undo. */
export interface FrameControl {
  name: string;
  as: Who;
  messageId: (w: AuthzWorld) => string;
  conversationId: (w: AuthzWorld) => string;
}

/** Pin commands their rightful caller may send (the controls of the frame refusals above). */
export const PIN_FRAME_CONTROLS: FrameControl[] = [
  {
    name: "alice, the group's admin, pins and unpins bob's message",
    as: 'alice',
    conversationId: (w) => w.group,
    messageId: (w) => w.groupMessages.bob,
  },
  {
    name: "bob pins and unpins alice's message in their DM (a DM has no admin)",
    as: 'bob',
    conversationId: (w) => w.direct,
    messageId: (w) => w.directMessage,
  },
];

/**
 * Reactions their rightful caller may add and remove over a socket (the controls of the frame
 * refusals above): any current participant, an admin or not. Not alice's first group message,
 * which the REST controls delete.
 */
export const REACT_FRAME_CONTROLS: FrameControl[] = [
  {
    name: "bob, a group member, reacts to alice's message and takes it back",
    as: 'bob',
    conversationId: (w) => w.group,
    messageId: (w) => w.groupMessages.afterCarolLeft,
  },
  {
    name: 'alice reacts to her own message in their DM and takes it back',
    as: 'alice',
    conversationId: (w) => w.direct,
    messageId: (w) => w.directMessage,
  },
];
