import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';

const ORDER_FLOW = fileURLToPath(new URL('../../../examples/segments/order-flow.json', import.meta.url));
const XES_XSD = fileURLToPath(
  new URL('../../../packages/core/test-fixtures/xes-ieee-1849-2016.xsd', import.meta.url),
);
const SMALL = JSON.stringify({ customer: 'small', items: [{ sku: 'widget', qty: 2, unit_price: 10 }] });
const BIG = JSON.stringify({ customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] });

function xmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    console.warn('skipping XES schema validation: xmllint is not installed (apt-get install libxml2-utils)');
    return false;
  }
}
const hasXmllint = xmllint();

describe('llmteam export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'llmteam.config.json');
  writeFileSync(
    config,
    JSON.stringify({ store: ['@llmteam/store-sqlite', { path: './.llmteam/llmteam.sqlite' }] }),
  );

  const llmteam = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string) => {
      stdout += chunk;
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => {
      stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    process.exitCode = undefined;
    try {
      const code = await main(['node', 'llmteam', ...args, '--config', config]);
      return { code, stdout, stderr };
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
      process.exitCode = undefined;
    }
  };

  it('writes the runs of a segment as XES to a file and as OCEL to stdout', async () => {
    expect((await llmteam('run', ORDER_FLOW, '--input', SMALL)).stdout).toContain('status completed');
    expect((await llmteam('run', ORDER_FLOW, '--input', BIG)).stdout).toContain('status waiting_human');

    const file = join(dir, 'orders.xes');
    const xes = await llmteam('export', 'xes', '--segment', 'order_flow', '--out', file);
    expect(xes).toMatchObject({ code: 0, stdout: '' });
    expect(xes.stderr).toContain(`wrote xes log of segment order_flow to ${file}`);
    const xml = readFileSync(file, 'utf8');
    expect(xml.match(/<trace>/g)).toHaveLength(2);
    expect(xml).toContain(
      '<string key="concept:name" value="approve"/><string key="lifecycle:transition" value="suspend"/>',
    );
    expect(xml).toContain('<string key="org:group" value="finance"/>');
    expect(existsSync(`${file}.partial`)).toBe(false);
    if (hasXmllint) execFileSync('xmllint', ['--noout', '--schema', XES_XSD, file], { stdio: 'pipe' });

    const ocel = await llmteam('export', 'ocel', '--segment', 'order_flow');
    expect(ocel.code).toBe(0);
    const log = JSON.parse(ocel.stdout) as { objects: Array<{ type: string }>; events: unknown[] };
    expect(log.objects.filter((o) => o.type === 'run')).toHaveLength(2);
    expect(log.events.length).toBeGreaterThan(10);
  });

  it('selects runs by creation time', async () => {
    const future = await llmteam(
      'export',
      'xes',
      '--segment',
      'order_flow',
      '--from',
      '2999-01-01T00:00:00Z',
    );
    expect(future.code).toBe(0);
    expect(future.stdout).not.toContain('<trace>');
    expect(future.stdout).toContain('</log>');
  });

  it('exit 1 with one line naming what is wrong', async () => {
    const badTime = await llmteam('export', 'xes', '--segment', 'order_flow', '--from', 'last week');
    expect(badTime).toMatchObject({
      code: 1,
      stderr: 'llmteam: from must be an ISO 8601 time such as 2026-01-31T00:00:00Z, got "last week"\n',
    });
    const unknown = await llmteam('export', 'ocel', '--segment', 'nope');
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no segment "nope" in tenant default'),
    });
    const format = await llmteam('export', 'csv', '--segment', 'order_flow');
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('csv');
  });
});
