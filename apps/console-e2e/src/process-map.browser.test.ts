import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, launchChromium } from './browser.js';
import {
  APPROVAL_FLOW,
  type ConsoleGateway,
  REVIEW_FLOW,
  startConsoleGateway,
  waitingRequest,
} from './fixtures.js';

const available = chromiumAvailable();

describe.skipIf(!available)('the process map of a segment in Chromium', () => {
  let t: ConsoleGateway;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    t = await startConsoleGateway();
    for (const segment of [APPROVAL_FLOW, REVIEW_FLOW]) await t.admin.upsertSegment(segment);
    // Three payments: two approved (they are paid), one rejected (it ends after the approval).
    for (const [i, answer] of (['approve', 'approve', 'reject'] as const).entries()) {
      const run = await t.admin.startRun('approval_flow', { amount: i, payee: `P${i}` });
      const request = await waitingRequest(t.admin, run.id);
      if (answer === 'approve') await t.admin.approve(request);
      else await t.admin.reject(request, 'unknown payee');
    }
    const key = await t.key(['VIEWER'], 'vera@bank.example');
    ({ context, close: closeBrowser } = await launchChromium());
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    await page.goto(t.origin);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.whoami .subject').waitFor();
  });
  afterAll(async () => {
    await closeBrowser?.();
    await t?.close();
  });

  it('draws activities with their frequencies and transitions with counts and durations', async () => {
    // The runs have settled when all three ended (the map reads committed events).
    await expect
      .poll(async () => (await t.admin.runs({ status: 'COMPLETED' })).edges.length, { timeout: 10_000 })
      .toBe(3);
    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    await page.getByRole('link', { name: 'approval_flow' }).click();
    const map = page.getByRole('region', { name: 'Process map of segment approval_flow' });
    await map.locator('.react-flow__node').nth(4).waitFor();
    expect(await map.locator('.react-flow__node').count()).toBe(5);
    await expect.poll(() => map.locator('.react-flow__edge').count()).toBe(5);
    expect(await page.getByTestId('process-map-runs').textContent()).toMatch(/^3 runs/);
    const activity = (name: string) => map.locator(`[data-activity="${name}"]`);
    expect(await activity('prepare').textContent()).toContain('×3');
    expect(await activity('approve').textContent()).toContain('×3');
    expect(await activity('approve').textContent()).toContain('human_task · median');
    expect(await activity('pay').textContent()).toContain('×2');
    expect(await activity('__start__').textContent()).toContain('3 runs');
    expect(await map.getByRole('group', { name: 'Activity pay: 2 times' }).count()).toBe(1);
    // Edge labels: how often, and the median time between the two activities.
    const labels = await map.locator('.react-flow__edge-text').allTextContents();
    expect(labels.sort()).toEqual(
      [
        /^1 · [\d.]+ m?s$/,
        /^2 · [\d.]+ m?s$/,
        /^2 · [\d.]+ m?s$/,
        /^3 · [\d.]+ m?s$/,
        /^3 · [\d.]+ m?s$/,
      ].map((r) => expect.stringMatching(r)),
    );
    const table = page.getByRole('table', { name: 'Transitions' });
    const row = table.locator('tbody tr', { hasText: 'approve' }).filter({ hasText: 'pay' });
    expect(await row.locator('td').allTextContents()).toEqual([
      'approve',
      'pay',
      '2',
      expect.stringMatching(/ m?s$/),
      expect.stringMatching(/ m?s$/),
    ]);
    expect(await table.locator('tbody tr', { hasText: 'End' }).count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, '40-process-map.png') });
  });

  it('says there is no map for a segment without runs, and for a range without runs', async () => {
    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    await page.getByRole('link', { name: 'review_flow' }).click();
    await page.getByText('No runs of this segment in this range, so there is no process map yet.').waitFor();
    expect(await page.getByRole('region', { name: /^Process map of segment/ }).count()).toBe(0);
  });
});
