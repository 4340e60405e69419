// The REST calls the demo makes, typed with the protocol's response types.
import type {
  ConversationDetail,
  ConversationSummary,
  MessagePublic,
  PinnedMessage,
  UserPublic,
} from '../src/client';

export interface Session {
  token: string;
  user: UserPublic;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { success: boolean; detail?: string; code?: string } & T;
  if (!json.success)
    throw new ApiError(res.status, json.code ?? 'ERROR', json.detail ?? res.statusText);
  return json;
}

const data = async <T>(p: Promise<{ data: T }>): Promise<T> => (await p).data;

export async function authenticate(
  mode: 'login' | 'register',
  username: string,
  password: string,
): Promise<Session> {
  const result = await data(
    call<{ data: { user: UserPublic; access_token: string } }>('POST', `/auth/${mode}`, null, {
      username,
      password,
    }),
  );
  return { token: result.access_token, user: result.user };
}

export class Rest {
  constructor(private readonly token: string) {}

  searchUsers(q: string): Promise<UserPublic[]> {
    return data(
      call('GET', `/messages/search/users?q=${encodeURIComponent(q)}&limit=8`, this.token),
    );
  }
  /** Messages of my conversations holding every word of `q`, newest first (PROTOCOL §5.14). */
  searchMessages(q: string): Promise<Page<MessagePublic>> {
    return call('GET', `/messages/search/messages?q=${encodeURIComponent(q)}&limit=10`, this.token);
  }
  conversations(): Promise<Page<ConversationSummary>> {
    return call('GET', '/messages/conversations?limit=50', this.token);
  }
  conversation(id: string): Promise<ConversationDetail> {
    return data(call('GET', `/messages/conversations/${id}`, this.token));
  }
  direct(userId: string): Promise<ConversationDetail> {
    return data(call('POST', `/messages/direct/${userId}`, this.token));
  }
  createGroup(name: string, participantIds: string[]): Promise<ConversationDetail> {
    return data(
      call('POST', '/messages/conversations', this.token, {
        type: 'GROUP',
        name,
        participant_ids: participantIds,
      }),
    );
  }
  mute(conversationId: string, muted: boolean): Promise<ConversationDetail> {
    return data(
      call('PATCH', `/messages/conversations/${conversationId}/mute`, this.token, { muted }),
    );
  }
  /** Adds (`on`) or removes the caller's reaction; answers the message's reactions. */
  react(
    conversationId: string,
    messageId: string,
    emoji: string,
    on: boolean,
  ): Promise<{ reactions: MessagePublic['reactions'] }> {
    const path = `/messages/conversations/${conversationId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;
    return data(call(on ? 'PUT' : 'DELETE', path, this.token));
  }
  messages(conversationId: string, cursor: string | null): Promise<Page<MessagePublic>> {
    const query = `limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    return call('GET', `/messages/conversations/${conversationId}/messages?${query}`, this.token);
  }
  edit(conversationId: string, messageId: string, content: string): Promise<MessagePublic> {
    return data(
      call('PATCH', `/messages/conversations/${conversationId}/messages/${messageId}`, this.token, {
        content,
      }),
    );
  }
  remove(conversationId: string, messageId: string): Promise<MessagePublic> {
    return data(
      call('DELETE', `/messages/conversations/${conversationId}/messages/${messageId}`, this.token),
    );
  }
  /** The conversation's pinned messages, newest pin first (PROTOCOL §5.13). */
  pins(conversationId: string): Promise<PinnedMessage[]> {
    return data(call('GET', `/messages/conversations/${conversationId}/pins`, this.token));
  }
}
