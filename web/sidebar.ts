// The left column: who I am, user search (start a DM, or pick people for a group), and the
// conversation list with unread badges and online dots.
import type { ConversationSummary, UserPublic } from '../src/client';
import type { Rest } from './api';
import { avatar, fill, h, shortTime } from './dom';
import { icon } from './icons';
import { messageHitRows } from './message-search';

export interface SidebarEvents {
  open(conversationId: string): void;
  logout(): void;
}

export class Sidebar {
  readonly root = h('aside', { class: 'sidebar' });
  private readonly list = h('nav', { class: 'conversation-list', 'data-testid': 'conversations' });
  private readonly results = h('div', { class: 'search-results' });
  private readonly search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Search people…',
    'data-testid': 'search',
  });
  private readonly groupBar = h('div', { class: 'group-bar' });
  private summaries: ConversationSummary[] = [];
  private activeId: string | null = null;
  private groupPick: UserPublic[] | null = null;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    me: UserPublic,
    private readonly rest: Rest,
    private readonly events: SidebarEvents,
  ) {
    this.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => {
        void this.runSearch();
      }, 200);
    });
    const head = h(
      'div',
      { class: 'me' },
      avatar(me.username, true),
      h('strong', { 'data-testid': 'me' }, me.username),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          title: 'New group',
          onclick: () => {
            this.startGroup();
          },
        },
        '+ Group',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            events.logout();
          },
        },
        'Log out',
      ),
    );
    fill(this.root, head, this.search, this.groupBar, this.results, this.list);
  }

  get conversations(): ConversationSummary[] {
    return this.summaries;
  }

  setConversations(summaries: ConversationSummary[]): void {
    this.summaries = summaries;
    this.render();
  }

  setActive(id: string | null): void {
    this.activeId = id;
    this.render();
  }

  private async runSearch(): Promise<void> {
    const q = this.search.value.trim();
    if (!q) {
      fill(this.results);
      return;
    }
    const [users, hits] = await Promise.all([
      this.rest.searchUsers(q).catch(() => [] as UserPublic[]),
      this.groupPick
        ? []
        : messageHitRows(this.rest, q, (id) => {
            this.openHit(id);
          }),
    ]);
    const rows = users.map((u) =>
      h(
        'button',
        {
          type: 'button',
          class: 'result',
          'data-testid': 'search-result',
          onclick: () => {
            void this.pick(u);
          },
        },
        avatar(u.username),
        h('span', {}, u.username),
        h(
          'span',
          { class: 'hint' },
          this.groupPick
            ? this.groupPick.some((p) => p.id === u.id)
              ? 'added'
              : 'add'
            : 'message',
        ),
      ),
    );
    fill(
      this.results,
      ...(rows.length ? rows : [h('div', { class: 'hint pad' }, 'No one by that name')]),
      ...hits,
    );
  }

  private openHit(conversationId: string): void {
    this.search.value = '';
    fill(this.results);
    this.events.open(conversationId);
  }

  private async pick(user: UserPublic): Promise<void> {
    if (this.groupPick) {
      if (!this.groupPick.some((p) => p.id === user.id)) this.groupPick.push(user);
      this.renderGroupBar();
      void this.runSearch();
      return;
    }
    const conversation = await this.rest.direct(user.id);
    this.search.value = '';
    fill(this.results);
    this.events.open(conversation.id);
  }

  private startGroup(): void {
    this.groupPick = this.groupPick ? null : [];
    this.renderGroupBar();
    this.search.focus();
  }

  private renderGroupBar(): void {
    const pick = this.groupPick;
    if (!pick) {
      fill(this.groupBar);
      return;
    }
    const name = h('input', { class: 'group-name', placeholder: 'Group name' });
    const create = async (): Promise<void> => {
      if (pick.length === 0) return;
      const group = await this.rest.createGroup(
        name.value.trim() || pick.map((p) => p.username).join(', '),
        pick.map((p) => p.id),
      );
      this.groupPick = null;
      this.renderGroupBar();
      this.search.value = '';
      fill(this.results);
      this.events.open(group.id);
    };
    fill(
      this.groupBar,
      h('div', { class: 'hint' }, 'New group: search and add people'),
      h('div', { class: 'chips' }, ...pick.map((p) => h('span', { class: 'chip' }, p.username))),
      h(
        'div',
        { class: 'row' },
        name,
        h(
          'button',
          {
            type: 'button',
            class: 'send-button',
            onclick: () => {
              void create();
            },
          },
          'Create',
        ),
      ),
    );
  }

  private render(): void {
    if (this.summaries.length === 0) {
      fill(
        this.list,
        h('div', { class: 'hint pad' }, 'No conversations yet. Search for someone above.'),
      );
      return;
    }
    fill(
      this.list,
      ...this.summaries.map((c) => {
        const name = c.name ?? 'Conversation';
        return h(
          'button',
          {
            type: 'button',
            class: `conversation${c.id === this.activeId ? ' active' : ''}`,
            'data-testid': 'conversation',
            'data-id': c.id,
            onclick: () => {
              this.events.open(c.id);
            },
          },
          avatar(name, c.type === 'DIRECT' ? c.is_online : undefined),
          h(
            'span',
            { class: 'conversation-text' },
            h(
              'span',
              { class: 'row' },
              h('strong', { class: 'name' }, name),
              c.muted
                ? h(
                    'span',
                    { class: 'muted-mark', title: 'Muted', 'data-testid': 'muted' },
                    icon('bellOff', 14),
                  )
                : null,
              h('span', { class: 'time' }, shortTime(c.last_message_at)),
            ),
            h(
              'span',
              { class: 'row' },
              h(
                'span',
                { class: 'preview' },
                c.last_message_content ?? (c.type === 'GROUP' ? 'Group created' : 'Say hello'),
              ),
              // Unread messages that mention me (PROTOCOL §5.11), beside the unread count.
              c.unread_mention_count > 0 && c.id !== this.activeId
                ? h(
                    'span',
                    {
                      class: 'badge mention',
                      title: 'Mentions you',
                      'data-testid': 'mention-badge',
                    },
                    `@${c.unread_mention_count}`,
                  )
                : null,
              c.unread_count > 0 && c.id !== this.activeId
                ? h(
                    'span',
                    { class: `badge${c.muted ? ' quiet' : ''}`, 'data-testid': 'unread' },
                    String(c.unread_count),
                  )
                : null,
            ),
          ),
        );
      }),
    );
  }
}
