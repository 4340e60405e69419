// The demo web client in a real browser: Debian's chromium driven by playwright-core, two
// browser contexts as two users against one node. Screenshots go to test-artifacts/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningNode } from '../../src/node';
import { startTestNode } from '../support/test-node';
import { ensureWebClientBuilt } from '../support/web-build';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

jest.setTimeout(90_000);

describe('demo web client in chromium', () => {
  let node: RunningNode;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`,
      );
    }
    ensureWebClientBuilt();
    node = await startTestNode({ WEB_CLIENT: 'on' });
    // launch() runs chromium on a fresh temporary user-data-dir of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
  });

  async function register(name: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 620 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(node.url);
    await page.getByTestId('username').fill(name);
    await page.getByTestId('password').fill('correct horse battery');
    await page.getByTestId('register').click();
    await page.getByTestId('me').filter({ hasText: name }).waitFor();
    return page;
  }

  /** The message whose own text (not a quote of it) contains `text`. */
  const bubble = (page: Page, text: string) =>
    page.getByTestId('message').filter({ has: page.getByTestId('text').filter({ hasText: text }) });

  it('two users: DM, delivered then seen, typing, reply and edit on both sides', async () => {
    const suffix = Date.now().toString(36).slice(-5);
    const aliceName = `alice_${suffix}`;
    const bobName = `bob_${suffix}`;
    const alice = await register(aliceName);
    const bob = await register(bobName);

    // Alice finds Bob and opens a DM.
    await alice.getByTestId('search').fill(bobName);
    await alice.getByTestId('search-result').filter({ hasText: bobName }).click();
    await alice.locator('.pane-title').filter({ hasText: bobName }).waitFor();

    await alice.getByTestId('composer').fill('Hello Bob! Lunch at noon?');
    await alice.getByTestId('send').click();
    const sent = bubble(alice, 'Hello Bob! Lunch at noon?');
    // Bob's page is connected, so his client acknowledges the message: delivered.
    await sent.locator('[data-testid="tick"][data-status="DELIVERED"]').waitFor();

    // Bob sees the conversation with an unread badge, opens it: seen.
    const row = bob.getByTestId('conversation').filter({ hasText: aliceName });
    await row.getByTestId('unread').filter({ hasText: '1' }).waitFor();
    await row.click();
    await bubble(bob, 'Hello Bob! Lunch at noon?').waitFor();
    await sent.locator('[data-testid="tick"][data-status="SEEN"]').waitFor();

    // Bob types: Alice sees it.
    await bob.getByTestId('composer').pressSequentially('Sure', { delay: 30 });
    await alice
      .getByTestId('typing')
      .filter({ hasText: `${bobName} is typing` })
      .waitFor();

    // Bob replies to Alice's message.
    await bubble(bob, 'Hello Bob!').hover();
    await bubble(bob, 'Hello Bob!').locator('[data-action="reply"]').click();
    await bob.getByTestId('composer').fill('Sure, see you there');
    await bob.getByTestId('composer').press('Enter');
    for (const page of [alice, bob]) {
      await bubble(page, 'Sure, see you there')
        .getByTestId('quote')
        .filter({ hasText: 'Hello Bob! Lunch at noon?' })
        .waitFor();
    }

    // Alice edits her message.
    await sent.hover();
    await sent.locator('[data-action="edit"]').click();
    await alice.getByTestId('composer').fill('Hello Bob! Lunch at 12:30?');
    await alice.getByTestId('composer').press('Enter');
    for (const page of [alice, bob]) {
      await bubble(page, 'Hello Bob! Lunch at 12:30?').locator('.edited').waitFor();
    }

    mkdirSync(ARTIFACTS, { recursive: true });
    await alice.mouse.move(0, 0);
    await bob.mouse.move(0, 0);
    await alice.screenshot({ path: join(ARTIFACTS, 'demo-alice.png') });
    await bob.screenshot({ path: join(ARTIFACTS, 'demo-bob.png') });
    expect(existsSync(join(ARTIFACTS, 'demo-bob.png'))).toBe(true);

    // Alice mutes the DM from its header: her list marks it muted; unmuting clears the mark.
    const aliceRow = alice.getByTestId('conversation').filter({ hasText: bobName });
    await alice.getByTestId('mute').click();
    await aliceRow.getByTestId('muted').waitFor();
    await alice.locator('[data-testid="mute"][aria-pressed="true"]').waitFor();
    await alice.getByTestId('mute').click();
    await aliceRow.getByTestId('muted').waitFor({ state: 'detached' });
    await alice.locator('[data-testid="mute"][aria-pressed="false"]').waitFor();

    // Bob reacts 👍 to Alice's message: both pages show the chip, pressed only on Bob's; Alice
    // joins through the chip and both see two.
    const reacted = (page: Page) =>
      bubble(page, 'Hello Bob! Lunch at 12:30?').locator(
        '[data-testid="reaction"][data-emoji="👍"]',
      );
    await bubble(bob, 'Hello Bob! Lunch at 12:30?').getByTestId('react').click();
    await reacted(bob).filter({ hasText: '1' }).and(bob.locator('[aria-pressed="true"]')).waitFor();
    await reacted(alice)
      .filter({ hasText: '1' })
      .and(alice.locator('[aria-pressed="false"]'))
      .waitFor();
    await reacted(alice).click();
    for (const page of [alice, bob]) await reacted(page).filter({ hasText: '2' }).waitFor();

    // Bob searches his messages from the sidebar: the hit opens its conversation.
    await bob.getByTestId('search').fill('LUNCH 12');
    const hit = bob.getByTestId('message-hit').filter({ hasText: 'Hello Bob! Lunch at 12:30?' });
    await hit.click();
    await bob.locator('.pane-title').filter({ hasText: aliceName }).waitFor();
  });

  it('mentions: a badge from unread_mention_count and the message highlighted; pins: the action and the marker on both sides', async () => {
    const suffix = Date.now().toString(36).slice(-5);
    const carolName = `carol_${suffix}`;
    const daveName = `dave_${suffix}`;
    const carol = await register(carolName);
    const dave = await register(daveName);

    // Dave opens a DM with Carol and mentions her, then writes something plain.
    await dave.getByTestId('search').fill(carolName);
    await dave.getByTestId('search-result').filter({ hasText: carolName }).click();
    await dave.locator('.pane-title').filter({ hasText: carolName }).waitFor();
    const mention = `Have a look, @${carolName}`;
    for (const text of [mention, 'and nothing for anyone']) {
      await dave.getByTestId('composer').fill(text);
      await dave.getByTestId('composer').press('Enter');
      await bubble(dave, text).locator('[data-testid="tick"][data-status="DELIVERED"]').waitFor();
    }

    // Carol's list: two unread, one of them mentions her.
    const row = carol.getByTestId('conversation').filter({ hasText: daveName });
    await row.getByTestId('unread').filter({ hasText: '2' }).waitFor();
    await row.getByTestId('mention-badge').filter({ hasText: '@1' }).waitFor();
    await row.click();
    await bubble(carol, mention).and(carol.locator('[data-mentions-me]')).waitFor();
    expect(await bubble(carol, 'and nothing for anyone').getAttribute('data-mentions-me')).toBe(
      null,
    );
    // The open conversation shows no badges.
    await row.getByTestId('mention-badge').waitFor({ state: 'detached' });

    // Carol pins Dave's message (a DIRECT: either participant may): both see the marker.
    const carolBubble = bubble(carol, mention);
    await carolBubble.hover();
    await carolBubble.locator('[data-action="pin"]').click();
    for (const page of [carol, dave]) await bubble(page, mention).getByTestId('pinned').waitFor();
    // Dave reloads: the marker comes from the pins list.
    await dave.reload();
    await dave.getByTestId('conversation').filter({ hasText: carolName }).click();
    await bubble(dave, mention).getByTestId('pinned').waitFor();
    // History from REST shows oldest first, as sent (pages are ascending inside).
    expect(await dave.getByTestId('message').getByTestId('text').allTextContents()).toEqual([
      mention,
      'and nothing for anyone',
    ]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await carol.mouse.move(0, 0);
    await carol.screenshot({ path: join(ARTIFACTS, 'demo-pins-mentions.png') });

    // Dave unpins it: the marker goes on both sides.
    await bubble(dave, mention).hover();
    await bubble(dave, mention).locator('[data-action="unpin"]').click();
    for (const page of [carol, dave])
      await bubble(page, mention).getByTestId('pinned').waitFor({ state: 'detached' });
  });

  it('blocking: the DIRECT header blocks and unblocks, and a send refused with BLOCKED is shown as not sent', async () => {
    const suffix = Date.now().toString(36).slice(-5);
    const erinName = `erin_${suffix}`;
    const frankName = `frank_${suffix}`;
    const erin = await register(erinName);
    const frank = await register(frankName);
    const say = async (page: Page, text: string) => {
      await page.getByTestId('composer').fill(text);
      await page.getByTestId('composer').press('Enter');
    };

    // Erin opens a DM with Frank and writes; Frank opens it.
    await erin.getByTestId('search').fill(frankName);
    await erin.getByTestId('search-result').filter({ hasText: frankName }).click();
    await erin.locator('.pane-title').filter({ hasText: frankName }).waitFor();
    await say(erin, 'Hi Frank');
    await frank.getByTestId('conversation').filter({ hasText: erinName }).click();
    await bubble(frank, 'Hi Frank').waitFor();

    // Erin blocks Frank from the header: the toggle is pressed and her pane says so.
    await erin.locator('[data-testid="block"][aria-pressed="false"]').click();
    await erin.locator('[data-testid="block"][aria-pressed="true"]').waitFor();
    await erin
      .getByTestId('notice')
      .filter({ hasText: `You blocked ${frankName}` })
      .waitFor();

    // Frank's send is refused: his bubble is marked not sent, and the notice says why.
    await say(frank, 'Can you hear me?');
    await bubble(frank, 'Can you hear me?').and(frank.locator('[data-failed]')).waitFor();
    await bubble(frank, 'Can you hear me?').getByTestId('not-sent').waitFor();
    await frank
      .getByTestId('notice')
      .filter({ hasText: 'Blocked: you cannot message this user' })
      .waitFor();
    // Erin's own send is refused too, telling her to unblock.
    await say(erin, 'Not now');
    await erin.getByTestId('notice').filter({ hasText: 'unblock them to message them' }).waitFor();
    await bubble(erin, 'Not now').getByTestId('not-sent').waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await frank.screenshot({ path: join(ARTIFACTS, 'demo-blocked.png') });

    // Erin unblocks: her notice goes; Frank's next send arrives on her page, and his does too.
    await erin.locator('[data-testid="block"][aria-pressed="true"]').click();
    await erin.locator('[data-testid="block"][aria-pressed="false"]').waitFor();
    await erin.getByTestId('notice').waitFor({ state: 'hidden' });
    await say(frank, 'And now?');
    await bubble(erin, 'And now?').waitFor();
    // Acknowledged (and by now delivered, or seen: Erin has it open).
    await bubble(frank, 'And now?')
      .locator('[data-testid="tick"]:not([data-status="SENDING"])')
      .waitFor();
    await frank.getByTestId('notice').waitFor({ state: 'hidden' });
    // What was refused never reached Erin (nor her reload: it was never stored).
    expect(await bubble(erin, 'Can you hear me?').count()).toBe(0);
    await erin.reload();
    await erin.getByTestId('conversation').filter({ hasText: frankName }).click();
    await bubble(erin, 'And now?').waitFor();
    expect(await erin.getByTestId('message').getByTestId('text').allTextContents()).toEqual([
      'Hi Frank',
      'And now?',
    ]);
    await erin.locator('[data-testid="block"][aria-pressed="false"]').waitFor();
  });
});
