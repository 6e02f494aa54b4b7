import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, launchChromium } from './browser.js';
import { APPROVAL_FLOW, type ConsoleGateway, REVIEW_FLOW, startConsoleGateway } from './fixtures.js';

const available = chromiumAvailable();

describe.skipIf(!available)('runs, segments and canvas in Chromium', () => {
  let t: ConsoleGateway;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    t = await startConsoleGateway();
    for (const segment of [APPROVAL_FLOW, REVIEW_FLOW]) await t.admin.upsertSegment(segment);
    for (let i = 0; i < 3; i++) await t.admin.startRun('approval_flow', { amount: i, payee: `P${i}` });
    await t.admin.startRun('review_flow', { title: 'T', summary: 'S' });
    const key = await t.key(['OPERATOR'], 'olga@bank.example');
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

  it('lists runs newest first and filters them by segment and status', async () => {
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    const rows = page.locator('tbody tr');
    await rows.nth(3).waitFor();
    expect(await rows.count()).toBe(4);
    await page.getByLabel('Segment').selectOption('review_flow');
    await page.locator('tbody tr', { hasText: 'review_flow' }).waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Segment').selectOption('');
    await page.getByLabel('Status').selectOption('COMPLETED');
    await page.getByText('No runs match.').waitFor();
    await page.getByLabel('Status').selectOption('WAITING_HUMAN');
    await expect.poll(() => rows.count()).toBe(4);
    await page.screenshot({ path: join(ARTIFACTS, '20-runs.png') });
    // An operator may pause and resume a waiting run from its page.
    await rows.first().getByRole('link').click();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('[data-testid="run-status"]', { hasText: 'paused' }).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('[data-testid="run-status"]', { hasText: 'waiting human' }).waitFor();
    await page.getByRole('button', { name: 'Take a snapshot' }).click();
    await page.getByRole('button', { name: 'Fork' }).first().waitFor();
  });

  it('shows the step catalog and a segment drawn as a graph', async () => {
    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    await page.getByRole('article', { name: 'Transform' }).waitFor();
    await page.getByRole('link', { name: 'review_flow' }).click();
    // The segment's own graph (its process map is drawn below it).
    const graph = page.getByRole('region', { name: 'Graph of segment review_flow' });
    await graph.locator('.react-flow__node').nth(2).waitFor();
    expect(await graph.locator('.react-flow__edge').count()).toBe(3);
    await page.screenshot({ path: join(ARTIFACTS, '21-segment.png') });
  });

  it('builds a segment on the canvas: problems on the graph, config form from the schema, saved as a version', async () => {
    await page.getByRole('link', { name: 'Canvas', exact: true }).click();
    await page.getByLabel('Segment id').fill('drawn');
    const palette = page.getByRole('complementary', { name: 'Step types' });
    await palette.getByRole('button', { name: /^Transform/ }).click();
    // A transform without its expression is a problem, shown on the node and in the list.
    await page.locator('.react-flow__node .node.problem').waitFor();
    await page
      .getByRole('list', { name: 'Validation problems' })
      .getByText(/expression/)
      .first()
      .waitFor();
    await page.getByLabel(/^expression/).fill('$');
    await expect.poll(() => page.locator('.react-flow__node .node.problem').count()).toBe(0);
    await palette.getByRole('button', { name: /^Transform/ }).click();
    await page.getByLabel(/^expression/).fill('{"done": true}');
    // Connect the first node's output to the second node's input by dragging between the ports.
    const source = page.locator('.react-flow__node').nth(0).locator('.react-flow__handle.source');
    const target = page.locator('.react-flow__node').nth(1).locator('.react-flow__handle.target');
    const from = await source.boundingBox();
    const to = await target.boundingBox();
    if (!from || !to) throw new Error('ports not on screen');
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.locator('.react-flow__edge').waitFor({ state: 'attached' });
    await page.screenshot({ path: join(ARTIFACTS, '22-canvas.png') });
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Saved drawn version 1.0.0.').waitFor();
    const saved = await t.admin.segment('drawn');
    expect((saved?.definition as { edges?: unknown[] } | undefined)?.edges).toEqual([
      { source_step: 'transform_1', source_port: 'output', target_step: 'transform_2', target_port: 'input' },
    ]);
  });

  it('refuses an invalid segment with the gateway’s problems on the graph', async () => {
    await page.getByRole('link', { name: 'Canvas', exact: true }).click();
    await page.getByLabel('Segment id').fill('broken');
    const palette = page.getByRole('complementary', { name: 'Step types' });
    await palette.getByRole('button', { name: /^Transform/ }).click();
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText(/The gateway refused the segment/).waitFor();
    expect(await t.admin.segment('broken')).toBeNull();
  });
});
