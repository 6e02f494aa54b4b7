import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, launchChromium } from './browser.js';
import { APPROVAL_FLOW, type ConsoleGateway, startConsoleGateway } from './fixtures.js';

const available = chromiumAvailable();

/**
 * Replaces the text of GraphiQL's query editor (CodeMirror would auto-close typed brackets)
 * with a named operation, and waits until GraphiQL has taken it in: its tab is named after it.
 */
async function setQuery(page: Page, name: string, query: string): Promise<void> {
  await page
    .locator('.graphiql-query-editor .CodeMirror')
    .evaluate(
      (el, text) =>
        (el as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(text),
      query,
    );
  await page.locator('.graphiql-tab', { hasText: name }).waitFor();
}

/** Relative brightness (0 black, 1 white) of a CSS `rgb()`/`rgba()` colour. */
function luminance(color: string): number {
  const [r = 0, g = 0, b = 0] = (color.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

/** The text GraphiQL shows in its response pane. */
function response(page: Page) {
  return page.locator('.graphiql-response .CodeMirror-code');
}

describe.skipIf(!available)('GraphiQL explorer in Chromium', () => {
  let t: ConsoleGateway;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const introspections: string[] = [];

  beforeAll(async () => {
    t = await startConsoleGateway();
    await t.admin.upsertSegment(APPROVAL_FLOW);
    ({ context, close: closeBrowser } = await launchChromium());
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.postData()?.includes('__schema'))
        introspections.push(request.headers().authorization ?? 'none');
    });
  });
  afterAll(async () => {
    await closeBrowser?.();
    await t?.close();
  });

  it('shows the sign-in, not the schema, to a browser without a key opening /graphql', async () => {
    const opened = await page.goto(`${t.origin}/graphql`);
    expect(opened?.headers()['content-type']).toMatch(/^text\/html/);
    await page.getByLabel('API key').waitFor();
    expect(await page.locator('.graphiql-container').count()).toBe(0);
    expect(introspections).toEqual([]);
    // An API client asking the same URL for JSON still reaches GraphQL, not the page.
    const api = await fetch(`${t.origin}/graphql`, { headers: { accept: 'application/json' } });
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('runs a query with the signed-in key after sign-in on /graphql', async () => {
    const key = await t.key(['APPROVER'], 'gina@bank.example', ['finance']);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.graphiql-container').waitFor();
    expect(page.url()).toBe(`${t.origin}/graphql`);
    // The schema is read with the key from session storage (never from the URL).
    await expect.poll(() => introspections.length).toBeGreaterThan(0);
    expect(introspections.every((a) => a === `Bearer ${key}`)).toBe(true);
    await setQuery(page, 'Me', 'query Me { viewer { subject roles groups } }');
    await page.getByRole('button', { name: /Execute query/ }).click();
    await response(page).getByText('gina@bank.example').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '23-explorer.png') });
  });

  it('runs a subscription over graphql-ws and shows what arrives', async () => {
    await setQuery(page, 'Requests', 'subscription Requests { interactionRequested { id title priority } }');
    await page.getByRole('button', { name: /Execute query/ }).click();
    await expect
      .poll(
        async () => {
          await t.admin.startRun('approval_flow', { amount: 5 });
          return response(page).getByText('Approve the payment').count();
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBeGreaterThan(0);
    await expect(response(page).textContent()).resolves.toContain('HIGH');
    // Still subscribed: GraphiQL offers to stop it.
    await page.getByRole('button', { name: /Stop query/ }).click();
    await page.getByRole('button', { name: /Execute query/ }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '24-explorer-subscription.png') });
  });

  it('follows a dark system theme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    // GraphiQL's own dark palette: the editor background turns dark.
    const background = () =>
      page.locator('.graphiql-container').evaluate((el) => getComputedStyle(el).backgroundColor);
    await expect.poll(async () => luminance(await background())).toBeLessThan(0.2);
    await page.screenshot({ path: join(ARTIFACTS, '25-explorer-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(async () => luminance(await background())).toBeGreaterThan(0.8);
  });
});
