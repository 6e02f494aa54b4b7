import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, launchChromium } from './browser.js';
import {
  APPROVAL_FLOW,
  type ConsoleGateway,
  INPUT_FLOW,
  REVIEW_FLOW,
  startConsoleGateway,
  waitingRequest,
} from './fixtures.js';

const available = chromiumAvailable();

async function signIn(context: BrowserContext, origin: string, key: string, path = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}${path}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.whoami .subject').waitFor();
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

describe.skipIf(!available)('web console in Chromium', () => {
  let t: ConsoleGateway;
  let closeBrowser: () => Promise<void>;
  let approverKey: string;
  let viewerKey: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    t = await startConsoleGateway();
    for (const segment of [APPROVAL_FLOW, INPUT_FLOW, REVIEW_FLOW]) await t.admin.upsertSegment(segment);
    approverKey = await t.key(['APPROVER'], 'fiona@bank.example', ['finance']);
    viewerKey = await t.key(['VIEWER'], 'victor@bank.example', ['finance']);
    ({ context, close: closeBrowser } = await launchChromium());
    context.setDefaultTimeout(10_000);
    context.on('weberror', (error) => console.error(`browser error: ${error.error().message}`));
    context.on('console', (message) => {
      if (message.type() === 'error') console.error(`browser console: ${message.text()}`);
    });
  });
  afterAll(async () => {
    await closeBrowser?.();
    await t?.close();
  });

  it('signs in with an API key kept in session storage, never in the URL, and shows who is signed in', async () => {
    page = await signIn(context, t.origin, approverKey);
    const who = await page.locator('.whoami').textContent();
    expect(who).toContain('fiona@bank.example');
    expect(who).toContain('tenant default');
    expect(who).toContain('approver');
    expect(page.url()).not.toContain(approverKey);
    expect(await page.evaluate(() => sessionStorage.getItem('llmteam.apiKey'))).toBe(approverKey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.locator('.live.on').waitFor();
    await shot(page, '01-inbox-empty');
  });

  it('refuses a wrong key with the gateway’s message', async () => {
    const other = await context.newPage();
    await other.goto(t.origin);
    await other.getByLabel('API key').fill('llmt_not_a_key');
    await other.getByRole('button', { name: 'Sign in' }).click();
    const alert = await other.getByRole('alert').textContent();
    expect(alert).toMatch(/API key/i);
    await other.close();
  });

  let runId: string;
  it('shows a waiting request live and approves it in place; the run graph turns green and the timeline fills', async () => {
    const started = Date.now();
    runId = (await t.admin.startRun('approval_flow', { amount: 1250, payee: 'ACME GmbH' })).id;
    const row = page.getByRole('button', { name: /Approve the payment/ });
    await row.waitFor();
    console.log(`request visible in the inbox ${Date.now() - started} ms after startRun (no reload)`);
    await row.click();
    const detail = page.getByRole('region', { name: 'Selected request' });
    await expect(detail.locator('pre.context').textContent()).resolves.toContain('ACME GmbH');
    await expect(detail.textContent()).resolves.toMatch(/high/i);
    await shot(page, '02-inbox-request');
    await detail.getByLabel('Comment (optional)').fill('Invoice checked');
    await detail.getByRole('button', { name: 'Approve' }).click();
    await detail.getByText(/Already answered: approve by fiona@bank\.example/).waitFor();

    await page.goto(`${t.origin}/runs/${runId}`);
    await page.locator('[data-testid="run-status"]', { hasText: 'completed' }).waitFor();
    await page.locator('.react-flow__node .node.state-completed').nth(2).waitFor();
    expect(await page.locator('.react-flow__node .node.state-completed').count()).toBe(3);
    const timeline = page.getByRole('list', { name: 'Events of the run' });
    await timeline.getByText('run.completed').waitFor();
    expect(await timeline.locator('li').count()).toBeGreaterThan(5);
    await page.getByRole('button', { name: /^approve\b/ }).click();
    await page.getByRole('region', { name: 'Step approve' }).getByText('Outputs').waitFor();
    await shot(page, '03-run-completed');
  });

  it('watches a run graph change live while it waits and completes', async () => {
    const live = (await t.admin.startRun('approval_flow', { amount: 10, payee: 'Beta' })).id;
    await page.goto(`${t.origin}/runs/${live}`);
    await page.locator('.react-flow__node .node.state-waiting').waitFor();
    const requestId = await waitingRequest(t.admin, live);
    await t.admin.approve(requestId, 'from the API');
    await page.locator('[data-testid="run-status"]', { hasText: 'completed' }).waitFor();
    await page.locator('.react-flow__node .node.state-completed').nth(2).waitFor();
  });

  it('asks for changes on a review, then shows the revision with a diff against the previous one', async () => {
    await page.goto(`${t.origin}/`);
    await page.locator('.live.on').waitFor();
    await t.admin.startRun('review_flow', { title: 'Release 2.4', summary: 'Faster exports' });
    await page.getByRole('button', { name: /Review the release note/ }).click();
    const detail = page.getByRole('region', { name: 'Selected request' });
    await detail.getByLabel('Comment or requested changes').fill('mention the CSV fix');
    await detail.getByRole('button', { name: 'Request changes' }).click();
    await detail.getByText(/Already answered: request changes/).waitFor();
    // The revised draft arrives as a new request, live.
    const revised = page
      .getByRole('button', { name: /Review the release note.*/ })
      .filter({ hasNotText: 'answered' });
    await revised.first().click();
    await detail.getByText('revision 1').waitFor();
    await detail.getByText('Changes requested last time:').waitFor();
    const diff = detail.locator('figure.diff');
    await diff.locator('.diff-added', { hasText: 'mention the CSV fix' }).waitFor();
    await diff.locator('.diff-removed').first().waitFor();
    await shot(page, '04-review-diff');
    await detail.getByRole('button', { name: 'Approve' }).click();
    await detail.getByText(/Already answered: approve/).waitFor();
  });

  it('generates an input form from input_schema and rejects bad values with the schema’s message', async () => {
    await t.admin.startRun('input_flow', {});
    await page.getByRole('button', { name: /Set the credit limit/ }).click();
    const detail = page.getByRole('region', { name: 'Selected request' });
    await detail.getByLabel(/^limit/).fill('0');
    await detail.getByLabel(/^note/).fill('this note is far too long for the field');
    await detail.getByRole('button', { name: 'Submit' }).click();
    await detail.getByText('must be >= 1').waitFor();
    await detail.getByText('must NOT have more than 20 characters').waitFor();
    await detail.getByText("must have required property 'currency'").waitFor();
    expect(await detail.getByLabel(/^limit/).getAttribute('aria-invalid')).toBe('true');
    await shot(page, '05-input-errors');
    await detail.getByLabel(/^limit/).fill('5000');
    await detail.getByLabel(/^note/).fill('ok');
    await detail.getByLabel(/^currency/).selectOption({ label: 'EUR' });
    await detail.getByRole('button', { name: 'Submit' }).click();
    await detail.getByText(/Already answered: respond by fiona/).waitFor();
  });

  it('refuses the answer of a second tab once the first has answered, and says so', async () => {
    const run = (await t.admin.startRun('approval_flow', { amount: 99, payee: 'Gamma' })).id;
    await waitingRequest(t.admin, run);
    const second = await signIn(context, t.origin, approverKey);
    await page.goto(`${t.origin}/`);
    for (const tab of [page, second]) {
      await tab
        .getByRole('button', { name: /Approve the payment/ })
        .filter({ hasNotText: 'answered' })
        .click();
    }
    await page
      .getByRole('region', { name: 'Selected request' })
      .getByRole('button', { name: 'Reject' })
      .click();
    await page.getByText(/Already answered: reject by fiona/).waitFor();
    const other = second.getByRole('region', { name: 'Selected request' });
    await other.getByRole('button', { name: 'Approve' }).click();
    await other.getByText(/Already answered elsewhere; your answer was not applied/).waitFor();
    await other.getByText(/Already answered: reject by fiona/).waitFor();
    await shot(second, '06-second-tab-refused');
    const closed = (await t.admin.run(run))?.interactions[0];
    expect(closed?.responses.map((r) => r.action)).toEqual(['reject']);
    await second.close();
  });

  it('shows a viewer key the requests without any answer button', async () => {
    const run = (await t.admin.startRun('approval_flow', { amount: 7, payee: 'Delta' })).id;
    await waitingRequest(t.admin, run);
    const viewer = await context.newPage();
    await viewer.setViewportSize({ width: 390, height: 844 });
    await viewer.emulateMedia({ colorScheme: 'dark' });
    await viewer.goto(t.origin);
    await viewer.getByLabel('API key').fill(viewerKey);
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.locator('.whoami .subject').waitFor();
    expect(await viewer.locator('.whoami').textContent()).toContain('viewer');
    await viewer
      .getByRole('button', { name: /Approve the payment/ })
      .first()
      .click();
    const detail = viewer.getByRole('region', { name: 'Selected request' });
    await detail.getByText('Your key may read requests but not answer them.').waitFor();
    for (const name of ['Approve', 'Reject', 'Request changes', 'Submit'])
      expect(await detail.getByRole('button', { name, exact: true }).count()).toBe(0);
    await shot(viewer, '07-viewer-phone-dark');
    await viewer.close();
  });
});
