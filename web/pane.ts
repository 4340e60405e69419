// The open conversation: header, message list with infinite scroll (cursor pages), typing line,
// ticks, a notice line (a block, a refused send), and the composer (reply, edit, attachments by
// URL).
import type { ConversationSummary, ParleyClient, ServerPayload, UserPublic } from '../src/client';
import type { Rest } from './api';
import { blockToggle, refusalNotice, type BlockList } from './blocking';
import { avatar, fill, h, shortTime } from './dom';
import { icon } from './icons';
import {
  fromRest,
  laterTick,
  mediaFromUrl,
  mergeReactions,
  type Media,
  type Reaction,
  type Tick,
  type ViewMessage,
} from './messages';

/** The one-click reaction the demo offers; any other emoji works through the API. */
const QUICK_REACTION = '👍';
const TICK_TEXT: Record<Tick, string> = { SENDING: '…', SENT: '✓', DELIVERED: '✓✓', SEEN: '✓✓' };

export class MessagePane {
  private conversation: ConversationSummary | null = null;
  private messages: ViewMessage[] = [];
  private cursor: string | null = null;
  private hasMore = false;
  private loadingOlder = false;
  private replyTo: ViewMessage | null = null;
  private editing: ViewMessage | null = null;
  private attachments: Media[] = [];
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private lastTypingSent = 0;
  /** GROUP admins pin and unpin; in a DIRECT either participant (PROTOCOL §5.13). */
  private canPin = false;
  /** Why the last send failed, until the next send or conversation. */
  private refusal: string | null = null;

  private readonly header = h('header', { class: 'pane-header' });
  private readonly list = h('div', { class: 'messages', 'data-testid': 'messages' });
  private readonly typingLine = h('div', { class: 'typing', 'data-testid': 'typing' });
  private readonly contextBar = h('div', { class: 'context-bar' });
  private readonly notice = h('div', { class: 'notice', role: 'status', 'data-testid': 'notice' });
  private readonly input = h('textarea', {
    class: 'composer-input',
    rows: 1,
    placeholder: 'Write a message…',
    'data-testid': 'composer',
  });
  readonly root = h('section', { class: 'pane empty' });

  constructor(
    private readonly me: UserPublic,
    private readonly rest: Rest,
    private readonly client: ParleyClient,
    private readonly blocks: BlockList,
  ) {
    const form = h(
      'form',
      {
        class: 'composer',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.submit();
        },
      },
      h(
        'button',
        {
          type: 'button',
          class: 'icon-button',
          title: 'Attach an image or video by URL',
          onclick: () => {
            this.attach();
          },
        },
        icon('attach', 20),
      ),
      this.input,
      h('button', { type: 'submit', class: 'send-button', 'data-testid': 'send' }, 'Send'),
    );
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        void this.submit();
      }
      if (e.key === 'Escape') this.clearContext();
    });
    this.input.addEventListener('input', () => {
      this.sendTyping();
    });
    this.list.addEventListener('scroll', () => {
      if (this.list.scrollTop < 80) void this.loadOlder();
    });
    fill(this.root, this.header, this.list, this.typingLine, this.notice, this.contextBar, form);
    this.renderEmpty();
  }

  get openId(): string | null {
    return this.conversation?.id ?? null;
  }

  async open(conversation: ConversationSummary): Promise<void> {
    this.conversation = conversation;
    this.messages = [];
    this.cursor = null;
    this.hasMore = false;
    this.refusal = null;
    this.clearContext();
    this.root.classList.remove('empty');
    this.renderHeader();
    this.renderNotice();
    fill(this.list);
    this.canPin = conversation.type === 'DIRECT';
    const [page, pins, detail] = await Promise.all([
      this.rest.messages(conversation.id, null),
      this.rest.pins(conversation.id).catch(() => []),
      conversation.type === 'GROUP' ? this.rest.conversation(conversation.id) : null,
      this.blocks.ready(),
    ]);
    if (this.conversation.id !== conversation.id) return;
    this.renderHeader();
    this.renderNotice();
    if (detail)
      this.canPin = detail.participants.some((p) => p.user_id === this.me.id && p.role === 'ADMIN');
    const pinned = new Set(pins.map((p) => p.id));
    this.messages = page.data.map(fromRest);
    for (const m of this.messages) m.pinned = pinned.has(m.id);
    this.cursor = page.next_cursor;
    this.hasMore = page.has_more;
    this.render();
    this.list.scrollTop = this.list.scrollHeight;
    this.markSeen();
    this.input.focus();
  }

  /** Keeps the header's presence fresh when the list reloads. */
  refreshSummary(summary: ConversationSummary): void {
    if (this.conversation?.id !== summary.id) return;
    this.conversation = summary;
    this.renderHeader();
  }

  // ---- events from the socket ----

  addMessage(message: ViewMessage): void {
    const existing = this.messages.find(
      (m) =>
        m.id === message.id ||
        (message.tempId !== null && m.tempId === message.tempId && m.senderId === message.senderId),
    );
    if (existing)
      Object.assign(existing, { ...message, status: laterTick(existing.status, message.status) });
    else this.messages.push(message);
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 120;
    this.render();
    if (atBottom || message.senderId === this.me.id) this.list.scrollTop = this.list.scrollHeight;
    if (message.senderId !== this.me.id) this.markSeen();
  }

  setStatus(messageId: string, status: Tick): void {
    const m = this.messages.find((x) => x.id === messageId);
    if (!m) return;
    m.status = laterTick(m.status, status);
    this.render();
  }

  /** Another participant has seen up to `messageId`: every own message up to it is seen. */
  seenUpTo(userId: string, messageId: string): void {
    if (userId === this.me.id || this.conversation?.type !== 'DIRECT') return;
    const upTo = this.messages.find((m) => m.id === messageId);
    if (!upTo) return;
    for (const m of this.messages)
      if (m.senderId === this.me.id && m.seq <= upTo.seq) m.status = 'SEEN';
    this.render();
  }

  update(messageId: string, content: string | null, mentions?: string[]): void {
    const m = this.messages.find((x) => x.id === messageId);
    if (!m) return;
    m.content = content;
    m.edited = true;
    if (mentions) m.mentions = mentions;
    this.render();
  }

  /** MESSAGE_PINNED / MESSAGE_UNPINNED: the marker follows. */
  setPinned(messageId: string, pinned: boolean): void {
    const m = this.messages.find((x) => x.id === messageId);
    if (!m || m.pinned === pinned) return;
    m.pinned = pinned;
    this.render();
  }

  /** The message's reactions as a REST answer or a SYNC frame gives them (`me` included). */
  setReactions(messageId: string, reactions: Reaction[]): void {
    const m = this.messages.find((x) => x.id === messageId);
    if (!m) return;
    m.reactions = reactions;
    this.render();
  }

  /** A live MESSAGE_REACTIONS: counts for everyone, `me` kept from what this page holds. */
  applyReactions(frame: ServerPayload<'MESSAGE_REACTIONS'>): void {
    const m = this.messages.find((x) => x.id === frame.messageId);
    if (!m) return;
    if (frame.reactions.every((r) => r.me !== undefined)) {
      // A SYNC frame: it says `me` itself.
      m.reactions = frame.reactions.map((r) => ({ emoji: r.emoji, count: r.count, me: !!r.me }));
    } else {
      m.reactions = mergeReactions(m.reactions ?? [], frame.reactions, {
        mine: frame.userId === this.me.id,
        emoji: frame.emoji,
        added: frame.action === 'added',
      });
    }
    this.render();
  }

  private reactionChips(m: ViewMessage): Node | null {
    if (m.deleted || m.id.startsWith('web-')) return null;
    const toggle = (emoji: string, on: boolean) => () => {
      const id = this.openId;
      if (!id) return;
      void this.rest.react(id, m.id, emoji, on).then((answer) => {
        this.setReactions(m.id, answer.reactions);
      });
    };
    return h(
      'div',
      { class: 'reactions', 'data-testid': 'reactions' },
      ...(m.reactions ?? []).map((r) =>
        h(
          'button',
          {
            type: 'button',
            class: `reaction${r.me ? ' me' : ''}`,
            'data-testid': 'reaction',
            'data-emoji': r.emoji,
            'aria-pressed': String(r.me),
            onclick: toggle(r.emoji, !r.me),
          },
          `${r.emoji} ${r.count}`,
        ),
      ),
      (m.reactions ?? []).some((r) => r.emoji === QUICK_REACTION)
        ? null
        : h(
            'button',
            {
              type: 'button',
              class: 'reaction add',
              title: `React ${QUICK_REACTION}`,
              'data-testid': 'react',
              onclick: toggle(QUICK_REACTION, true),
            },
            `+${QUICK_REACTION}`,
          ),
    );
  }

  markDeleted(messageId: string): void {
    const m = this.messages.find((x) => x.id === messageId);
    if (!m) return;
    m.deleted = true;
    m.content = null;
    m.media = [];
    this.render();
  }

  showTyping(userId: string, username: string): void {
    if (userId === this.me.id) return;
    this.typingLine.textContent = `${username} is typing…`;
    this.typingLine.classList.add('visible');
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      this.typingLine.classList.remove('visible');
    }, 3000);
  }

  hideTyping(): void {
    clearTimeout(this.typingTimer);
    this.typingLine.classList.remove('visible');
  }

  // ---- actions ----

  private async submit(): Promise<void> {
    const conversation = this.conversation;
    const text = this.input.value.trim();
    if (!conversation || (!text && this.attachments.length === 0)) return;
    if (this.editing) {
      const target = this.editing;
      this.clearContext();
      const edited = await this.rest.edit(conversation.id, target.id, text);
      this.update(edited.id, edited.content, edited.mentions);
      return;
    }
    const tempId = `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const local: ViewMessage = {
      id: tempId,
      tempId,
      senderId: this.me.id,
      senderName: this.me.username,
      content: text || null,
      media: this.attachments,
      status: 'SENDING',
      seq: Number.MAX_SAFE_INTEGER,
      createdAt: new Date().toISOString(),
      edited: false,
      deleted: false,
      replyTo: this.replyTo?.id ?? null,
      mentions: [],
      pinned: false,
    };
    this.clearContext();
    this.addMessage(local);
    try {
      const ack = await this.client.send({
        conversationId: conversation.id,
        content: local.content,
        tempId,
        ...(local.media.length > 0 && { media: local.media }),
        ...(local.replyTo && { replyToMessageId: local.replyTo }),
      });
      local.id = ack.messageId;
      local.seq = ack.seq;
      local.status = laterTick(local.status, 'SENT');
      this.refusal = null;
    } catch (err) {
      local.failed = true;
      this.refusal = refusalNotice(err);
    }
    this.render();
    this.renderNotice();
  }

  private attach(): void {
    const url = window.prompt('Image or video URL (http or https)');
    if (!url || !/^https?:\/\//i.test(url.trim())) return;
    this.attachments = [...this.attachments, mediaFromUrl(url.trim())];
    this.renderContext();
  }

  private sendTyping(): void {
    if (!this.conversation || Date.now() - this.lastTypingSent < 2000) return;
    this.lastTypingSent = Date.now();
    this.client.typing(this.conversation.id);
  }

  private markSeen(): void {
    const conversation = this.conversation;
    const last = [...this.messages]
      .reverse()
      .find((m) => m.senderId !== this.me.id && !m.id.startsWith('web-'));
    if (!conversation || !last || document.visibilityState === 'hidden') return;
    this.client.markSeen(conversation.id, last.id).catch(() => undefined);
  }

  private async loadOlder(): Promise<void> {
    const conversation = this.conversation;
    if (!conversation || !this.hasMore || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const page = await this.rest.messages(conversation.id, this.cursor);
      if (this.conversation?.id !== conversation.id) return;
      const before = this.list.scrollHeight;
      const known = new Set(this.messages.map((m) => m.id));
      this.messages = [
        ...page.data.map(fromRest).filter((m) => !known.has(m.id)),
        ...this.messages,
      ];
      this.cursor = page.next_cursor;
      this.hasMore = page.has_more;
      this.render();
      this.list.scrollTop += this.list.scrollHeight - before;
    } finally {
      this.loadingOlder = false;
    }
  }

  private clearContext(): void {
    this.replyTo = null;
    this.editing = null;
    this.attachments = [];
    this.input.value = '';
    this.renderContext();
  }

  // ---- rendering ----

  private renderEmpty(): void {
    fill(this.header);
    fill(
      this.list,
      h(
        'div',
        { class: 'placeholder' },
        h('div', { class: 'placeholder-logo' }, icon('chat', 48)),
        h('p', {}, 'Pick a conversation, or search for someone to start one.'),
      ),
    );
  }

  private renderHeader(): void {
    const c = this.conversation;
    if (!c) return;
    const name = c.name ?? 'Conversation';
    const subtitle =
      c.type === 'GROUP'
        ? 'Group'
        : c.is_online
          ? 'online'
          : c.last_active_at
            ? `last seen ${shortTime(c.last_active_at)}`
            : 'offline';
    fill(
      this.header,
      avatar(name, c.type === 'DIRECT' ? c.is_online : undefined),
      h(
        'div',
        { class: 'pane-title' },
        h('strong', {}, name),
        h('span', { class: 'subtitle', 'data-testid': 'presence' }, subtitle),
      ),
      // The list refreshes on the CONVERSATION_MUTED frame that follows, and this header with it.
      h(
        'button',
        {
          type: 'button',
          class: 'icon-button mute-toggle',
          title: c.muted ? 'Unmute' : 'Mute',
          'data-testid': 'mute',
          'aria-pressed': String(c.muted),
          onclick: () => {
            void this.rest.mute(c.id, !c.muted);
          },
        },
        icon(c.muted ? 'bellOff' : 'bell', 20),
      ),
    );
    if (c.type === 'DIRECT' && c.other_user_id !== null)
      this.header.insertBefore(
        blockToggle(this.blocks, c.other_user_id, (error) => {
          this.refusal = error;
          this.renderHeader();
          this.renderNotice();
        }),
        this.header.lastChild,
      );
  }

  /** A refused send says why; otherwise a DIRECT with someone I block says so. */
  private renderNotice(): void {
    const c = this.conversation;
    const blocked =
      c?.type === 'DIRECT' && c.other_user_id !== null && this.blocks.has(c.other_user_id);
    const text =
      this.refusal ??
      (blocked
        ? `You blocked ${c.name ?? 'this user'}. Unblock them to write to each other again.`
        : '');
    this.notice.textContent = text;
    this.notice.classList.toggle('visible', text !== '');
  }

  private renderContext(): void {
    const parts: (Node | string)[] = [];
    if (this.replyTo)
      parts.push(
        h(
          'div',
          { class: 'context' },
          h(
            'span',
            {},
            `Replying to ${this.replyTo.senderName}: `,
            h('em', {}, this.replyTo.content ?? '[media]'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                this.clearContext();
              },
            },
            '✕',
          ),
        ),
      );
    if (this.editing)
      parts.push(
        h(
          'div',
          { class: 'context' },
          h('span', {}, 'Editing message'),
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                this.clearContext();
              },
            },
            '✕',
          ),
        ),
      );
    for (const m of this.attachments)
      parts.push(
        h(
          'div',
          { class: 'context' },
          h('span', {}, `${m.type === 'video' ? 'Video' : 'Image'}: ${m.url}`),
        ),
      );
    fill(this.contextBar, ...parts);
  }

  private render(): void {
    const byId = new Map(this.messages.map((m) => [m.id, m]));
    const rows: Node[] = [];
    if (this.hasMore) rows.push(h('div', { class: 'older' }, 'Scroll up for older messages'));
    let lastSender = '';
    for (const m of this.messages) {
      const mine = m.senderId === this.me.id;
      const showName = !mine && this.conversation?.type === 'GROUP' && lastSender !== m.senderId;
      lastSender = m.senderId;
      const quoted = m.replyTo ? byId.get(m.replyTo) : undefined;
      const mentionsMe = !mine && !m.deleted && m.mentions.includes(this.me.id);
      rows.push(
        h(
          'div',
          {
            class: `message ${mine ? 'mine' : 'theirs'}${m.deleted ? ' deleted' : ''}${
              mentionsMe ? ' mentions-me' : ''
            }${m.failed ? ' failed' : ''}`,
            'data-id': m.id,
            'data-testid': 'message',
            'data-mentions-me': mentionsMe,
            'data-failed': m.failed,
          },
          h(
            'div',
            { class: 'bubble' },
            showName ? h('div', { class: 'sender' }, m.senderName) : null,
            m.replyTo
              ? h(
                  'div',
                  { class: 'quote', 'data-testid': 'quote' },
                  quoted ? `${quoted.senderName}: ${quoted.content ?? '[media]'}` : 'a message',
                )
              : null,
            ...m.media.map((x) =>
              x.type === 'video'
                ? h('video', { src: x.url, controls: true, class: 'media' })
                : h('img', { src: x.url, class: 'media', alt: '', loading: 'lazy' }),
            ),
            m.deleted
              ? h('span', { class: 'text' }, 'This message was deleted')
              : m.content
                ? h('span', { class: 'text', 'data-testid': 'text' }, m.content)
                : null,
            h(
              'span',
              { class: 'meta' },
              m.pinned && !m.deleted
                ? h(
                    'span',
                    { class: 'pin-mark', title: 'Pinned', 'data-testid': 'pinned' },
                    icon('pin', 12),
                  )
                : null,
              m.edited && !m.deleted ? h('span', { class: 'edited' }, 'edited') : null,
              shortTime(m.createdAt),
              m.failed
                ? h('span', { class: 'not-sent', 'data-testid': 'not-sent' }, 'Not sent')
                : mine
                  ? h(
                      'span',
                      {
                        class: `tick ${m.status.toLowerCase()}`,
                        'data-testid': 'tick',
                        'data-status': m.status,
                      },
                      TICK_TEXT[m.status],
                    )
                  : null,
            ),
            this.reactionChips(m),
          ),
          m.deleted || m.id.startsWith('web-') ? null : this.actions(m, mine),
        ),
      );
    }
    fill(this.list, ...rows);
  }

  private actions(m: ViewMessage, mine: boolean): HTMLElement {
    const reply = (): void => {
      this.clearContext();
      this.replyTo = m;
      this.renderContext();
      this.input.focus();
    };
    const edit = (): void => {
      this.clearContext();
      this.editing = m;
      this.input.value = m.content ?? '';
      this.renderContext();
      this.input.focus();
    };
    const remove = (): void => {
      const id = this.conversation?.id;
      if (id && window.confirm('Delete this message for everyone?')) {
        this.rest.remove(id, m.id).then(
          () => {
            this.markDeleted(m.id);
          },
          () => undefined,
        );
      }
    };
    // The marker changes when the MESSAGE_PINNED / MESSAGE_UNPINNED frame comes back.
    const togglePin = (): void => {
      const id = this.conversation?.id;
      if (!id) return;
      (m.pinned ? this.client.unpin(id, m.id) : this.client.pin(id, m.id)).catch(() => undefined);
    };
    return h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', title: 'Reply', 'data-action': 'reply', onclick: reply },
        icon('reply', 15),
      ),
      this.canPin
        ? h(
            'button',
            {
              type: 'button',
              title: m.pinned ? 'Unpin' : 'Pin',
              'data-action': m.pinned ? 'unpin' : 'pin',
              'aria-pressed': String(m.pinned),
              onclick: togglePin,
            },
            icon('pin', 15),
          )
        : null,
      mine
        ? h(
            'button',
            { type: 'button', title: 'Edit', 'data-action': 'edit', onclick: edit },
            icon('edit', 15),
          )
        : null,
      mine
        ? h(
            'button',
            { type: 'button', title: 'Delete', 'data-action': 'delete', onclick: remove },
            icon('trash', 15),
          )
        : null,
    );
  }
}
