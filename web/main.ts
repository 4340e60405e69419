// The demo web client: log in or register, then chat. Uses the typed client (`parley/client`)
// for the socket and plain fetch for REST. Served by Parley at `/` (WEB_CLIENT).
import { connect, type ParleyClient } from '../src/client';
import { ApiError, authenticate, Rest, type Session } from './api';
import { BlockList } from './blocking';
import { fill, h } from './dom';
import { icon } from './icons';
import { fromFrame } from './messages';
import { MessagePane } from './pane';
import { Sidebar } from './sidebar';

const SESSION_KEY = 'parley.session';
const app = document.getElementById('app') ?? document.body;

function savedSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function showLogin(error = ''): void {
  const username = h('input', {
    name: 'username',
    placeholder: 'Username',
    autocomplete: 'username',
    required: true,
    'data-testid': 'username',
  });
  const password = h('input', {
    name: 'password',
    type: 'password',
    placeholder: 'Password (8+ characters)',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'password',
  });
  const message = h('p', { class: 'form-error', 'data-testid': 'auth-error' }, error);
  const go = async (mode: 'login' | 'register'): Promise<void> => {
    message.textContent = '';
    try {
      const session = await authenticate(mode, username.value.trim(), password.value);
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
      startChat(session);
    } catch (err) {
      message.textContent = err instanceof ApiError ? err.message : 'Could not reach the server';
    }
  };
  const form = h(
    'form',
    {
      class: 'auth-card',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void go('login');
      },
    },
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark' }, icon('chat', 28)), 'Parley'),
    h('p', { class: 'hint' }, 'Log in, or pick a name and create an account.'),
    username,
    password,
    message,
    h('button', { type: 'submit', class: 'send-button wide', 'data-testid': 'login' }, 'Log in'),
    h(
      'button',
      {
        type: 'button',
        class: 'ghost-button wide',
        'data-testid': 'register',
        onclick: () => {
          void go('register');
        },
      },
      'Create account',
    ),
  );
  fill(app, h('main', { class: 'auth' }, form));
  username.focus();
}

function startChat(session: Session): void {
  const rest = new Rest(session.token);
  const client: ParleyClient = connect({ url: window.location.origin, token: session.token });
  const logout = (): void => {
    client.close();
    sessionStorage.removeItem(SESSION_KEY);
    showLogin();
  };
  const pane = new MessagePane(session.user, rest, client, new BlockList(client));
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshList = (): void => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      rest.conversations().then(
        (page) => {
          sidebar.setConversations(page.data);
          const open = page.data.find((c) => c.id === pane.openId);
          if (open) pane.refreshSummary(open);
        },
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 401) logout();
        },
      );
    }, 150);
  };
  const openConversation = async (id: string): Promise<void> => {
    let summary = sidebar.conversations.find((c) => c.id === id);
    if (!summary) {
      const page = await rest.conversations();
      sidebar.setConversations(page.data);
      summary = page.data.find((c) => c.id === id);
    }
    if (!summary) return;
    sidebar.setActive(id);
    await pane.open(summary);
    refreshList();
  };
  const sidebar = new Sidebar(session.user, rest, {
    open: (id) => {
      void openConversation(id);
    },
    logout,
  });

  client.on('NEW_MESSAGE', (m) => {
    if (m.conversationId === pane.openId) {
      pane.hideTyping();
      pane.addMessage(fromFrame(m));
    }
    refreshList();
  });
  client.on('MESSAGE_STATUS', (s) => {
    if (s.conversationId === pane.openId) pane.setStatus(s.messageId, s.status);
  });
  client.on('MESSAGE_SEEN', (s) => {
    if (s.conversationId === pane.openId) pane.seenUpTo(s.userId, s.lastSeenMessageId);
    refreshList();
  });
  client.on('MESSAGE_UPDATED', (u) => {
    if (u.conversationId === pane.openId) pane.update(u.messageId, u.content, u.mentions);
    refreshList();
  });
  client.on('MESSAGE_DELETED', (d) => {
    if (d.conversationId === pane.openId) pane.markDeleted(d.messageId);
    refreshList();
  });
  client.on('TYPING', (t) => {
    if (t.conversationId === pane.openId) pane.showTyping(t.userId, t.username);
  });
  client.on('MESSAGE_PINNED', (p) => {
    if (p.conversationId === pane.openId) pane.setPinned(p.messageId, true);
  });
  client.on('MESSAGE_UNPINNED', (p) => {
    if (p.conversationId === pane.openId) pane.setPinned(p.messageId, false);
  });
  client.on('PARTICIPANTS_CHANGED', () => {
    refreshList();
  });
  client.on('MESSAGE_REACTIONS', (r) => {
    if (r.conversationId === pane.openId) pane.applyReactions(r);
  });
  client.on('CONVERSATION_MUTED', () => {
    refreshList();
  });
  client.on('connected', () => {
    refreshList();
  });
  client.on('ERROR', (e) => {
    if (e.code === 'UNAUTHORIZED') logout();
  });
  // Presence has no frame: the list (online dots) is refreshed now and then.
  const presenceTimer = setInterval(refreshList, 10_000);
  window.addEventListener('beforeunload', () => {
    clearInterval(presenceTimer);
    client.close();
  });

  fill(app, h('main', { class: 'chat' }, sidebar.root, pane.root));
  refreshList();
}

const session = savedSession();
if (session) startChat(session);
else showLogin();
