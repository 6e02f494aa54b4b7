import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { CLI, WORKSPACE_NODE_ARGS } from '../test-support.js';

const ORDER_FLOW = fileURLToPath(new URL('../../../../examples/segments/order-flow.json', import.meta.url));
const BIG = JSON.stringify({ customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] });

// Child processes start slowly on a loaded machine: a generous bound, never a pass condition.
describe('llmteam tenants', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-tenants-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'llmteam.sqlite');
  const config = join(dir, 'llmteam.config.json');
  writeFileSync(config, JSON.stringify({ store: ['@llmteam/store-sqlite', { path: file }] }));

  /** The command run in this process on the test's SQLite file, output captured. */
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
  /** The tenant's audit entries as stored in the file. */
  const auditOf = async (tenantId: string) => {
    const store = createSqliteStore({ path: file });
    await store.init();
    try {
      return await store.listAudit(tenantId);
    } finally {
      await store.close();
    }
  };

  it('create, show, update, suspend, resume: each change audited as the GraphQL mutations are, with actor cli', async () => {
    const created = await llmteam(
      'tenants',
      'create',
      'acme',
      '--name',
      'Acme',
      '--tier',
      'free',
      '--region',
      'eu-west-1',
      '--limit',
      'runs_per_day=100',
      '--limit',
      'segments=3',
      '--feature',
      'actions',
    );
    expect(created.stderr).toBe('');
    expect(created).toMatchObject({
      code: 0,
      stdout:
        'created tenant acme (Acme): tier free, active, region eu-west-1, features llm_agents,human_tasks,actions\n',
    });

    const shown = await llmteam('tenants', 'show', 'acme');
    const lines = shown.stdout.split('\n');
    expect(lines[1]).toMatch(/^LIMIT\s+USED\s+LIMIT\s+REMAINING\s+FROM$/);
    expect(shown.stdout).toMatch(/^runs_per_day\s+0\s+100\s+100\s+override$/m);
    expect(shown.stdout).toMatch(/^concurrent_runs\s+0\s+2\s+2\s+tier$/m);
    expect(shown.stdout).toMatch(/^snapshot_retention_days\s+-\s+7\s+-\s+tier$/m);

    const updated = await llmteam(
      'tenants',
      'update',
      'acme',
      '--tier',
      'starter',
      '--limit',
      'runs_per_day=default',
      'concurrent_runs=5',
      '--feature',
      'sealed_fields=off',
      '--json',
    );
    expect(updated.stderr).toBe('');
    const json = JSON.parse(updated.stdout);
    expect(json).toMatchObject({ id: 'acme', tier: 'starter', dataRegion: 'eu-west-1', status: 'active' });
    expect(json.features).toEqual(['llm_agents', 'human_tasks', 'actions']);
    expect(json.featureOverrides).toEqual({ actions: true, sealed_fields: false });
    const limit = (name: string) => json.limits.find((l: { name: string }) => l.name === name);
    expect(limit('runs_per_day')).toEqual({
      name: 'runs_per_day',
      limit: 2000,
      override: null,
      tierDefault: 2000,
    });
    expect(limit('concurrent_runs')).toMatchObject({ limit: 5, override: 5 });
    expect(limit('segments')).toMatchObject({ limit: 3, override: 3, tierDefault: 25 });

    expect((await llmteam('tenants', 'suspend', 'acme', '--reason', 'invoice overdue')).stdout).toMatch(
      /^tenant acme suspended since \S+Z$/m,
    );
    expect((await llmteam('tenants', 'list')).stdout).toMatch(
      /^acme\s+starter\s+suspended\s+eu-west-1\s+Acme$/m,
    );
    const refused = await llmteam('run', ORDER_FLOW, '--tenant', 'acme');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/tenant "acme" is suspended/);
    expect((await llmteam('tenants', 'resume', 'acme')).stdout).toBe('tenant acme active\n');

    const audit = await auditOf('acme');
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['tenant.created', 'cli'],
      ['tenant.updated', 'cli'],
      ['tenant.suspended', 'cli'],
      ['tenant.resumed', 'cli'],
    ]);
    expect(audit[0]?.data).toEqual({
      name: 'Acme',
      tier: 'free',
      limits: { runs_per_day: 100, segments: 3 },
      features: { actions: true },
      dataRegion: 'eu-west-1',
    });
    expect(audit[1]?.data).toMatchObject({
      tier: 'starter',
      limits: { segments: 3, concurrent_runs: 5 },
      changed: ['tier', 'limits', 'features'],
    });
    expect(audit[2]?.data).toMatchObject({ reason: 'invoice overdue' });
    expect((await llmteam('audit', 'verify', '--tenant', 'acme')).stdout).toMatch(/: valid \(4 entries/);
  });

  it('usage prints what the tenant uses against each limit, as text and JSON', async () => {
    await llmteam('tenants', 'create', 'busy', '--tier', 'free', '--limit', 'runs_per_day=10');
    const ran = await llmteam('run', ORDER_FLOW, '--tenant', 'busy', '--input', BIG);
    expect(ran.stdout).toMatch(/^status waiting_human$/m);
    const text = await llmteam('tenants', 'usage', 'busy');
    expect(text.stderr).toBe('');
    expect(text.stdout.split('\n')[0]).toMatch(/^LIMIT\s+USED\s+LIMIT\s+REMAINING\s+FROM$/);
    expect(text.stdout).toMatch(/^runs_per_day\s+1\s+10\s+9\s+override$/m);
    expect(text.stdout).toMatch(/^waiting_interactions\s+1\s+20\s+19\s+tier$/m);
    const json = JSON.parse((await llmteam('tenants', 'usage', 'busy', '--json')).stdout);
    expect(json.find((l: { name: string }) => l.name === 'concurrent_runs')).toEqual({
      name: 'concurrent_runs',
      limit: 2,
      override: null,
      tierDefault: 2,
      used: 0,
      remaining: 2,
    });
  });

  it('delete asks for --yes, then erases the runs and revokes the keys; the audit chain still verifies', async () => {
    await llmteam('tenants', 'create', 'gone', '--tier', 'starter');
    await llmteam('keys', 'create', '--tenant', 'gone', '--role', 'viewer');
    const ran = await llmteam('run', ORDER_FLOW, '--tenant', 'gone', '--input', BIG);
    const runId = /^run (\S+)/m.exec(ran.stdout)?.[1] as string;

    const unconfirmed = await llmteam('tenants', 'delete', 'gone');
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toMatch(
      /^llmteam: --yes is needed to delete tenant "gone": .*run again with --yes\n$/,
    );
    expect((await llmteam('runs', 'status', runId, '--tenant', 'gone')).code).toBe(0);

    const deleted = await llmteam('tenants', 'delete', 'gone', '--yes', '--reason', 'contract ended');
    expect(deleted.stderr).toBe('');
    expect(deleted.stdout).toMatch(/^tenant gone deleted at \S+: 1 run erased, 1 key revoked$/m);
    expect((await llmteam('tenants', 'list')).stdout).not.toMatch(/^gone\s/m);
    const audit = await auditOf('gone');
    expect(audit.at(-1)).toMatchObject({
      action: 'tenant.deleted',
      actor: 'cli',
      data: { reason: 'contract ended' },
    });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['run.erased', 'api_key.revoked']));
    expect((await llmteam('audit', 'verify', '--tenant', 'gone')).code).toBe(0);
  });

  it('refuses an unknown tier, limit, feature or tenant and a bad number, naming the flag and the fix', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['create', 'x1', '--tier', 'gold'],
        /^llmteam: --tier must be one of free, starter, professional, enterprise, got "gold"$/,
      ],
      [
        ['create', 'x1', '--limit', 'runs_per_dya=1'],
        /^llmteam: --limit "runs_per_dya" is not a limit; use NAME=N with NAME one of concurrent_runs, .*api_keys$/,
      ],
      [
        ['create', 'x1', '--limit', 'runs_per_day=ten'],
        /^llmteam: --limit runs_per_day must be a whole number of 0 or more, got "ten": write runs_per_day=100$/,
      ],
      [
        ['create', 'x1', '--limit', 'runs_per_day=-1'],
        /^llmteam: --limit runs_per_day must be a whole number/,
      ],
      [
        ['create', 'x1', '--limit', 'runs_per_day=default'],
        /^llmteam: --limit runs_per_day must be a whole number/,
      ],
      [
        ['create', 'x1', '--feature', 'teleport'],
        /^llmteam: --feature "teleport" is not a feature; use one of llm_agents, /,
      ],
      [
        ['create', 'x1', '--feature', 'actions=maybe'],
        /^llmteam: --feature actions takes on or off, got "maybe": write actions=on$/,
      ],
      [
        ['update', 'acme2', '--tier', 'free'],
        /^llmteam: no tenant "acme2" in this store; see llmteam tenants list, or create it with llmteam tenants create acme2$/,
      ],
      [['show', 'nope'], /^llmteam: no tenant "nope" in this store/],
      [['usage', 'nope'], /^llmteam: no tenant "nope" in this store/],
      [['delete', 'nope', '--yes'], /^llmteam: no tenant "nope" in this store/],
      [['update', 'default'], /^llmteam: tenants update changes nothing: give --name, --tier, --region/],
      [['update', 'default', '--tier', 'platinum'], /^llmteam: --tier must be one of/],
    ];
    for (const [args, message] of cases) {
      const res = await llmteam('tenants', ...args);
      expect({ args, code: res.code, stderr: res.stderr.trimEnd() }).toEqual({
        args,
        code: 1,
        stderr: expect.stringMatching(message),
      });
    }
    expect((await llmteam('tenants', 'list')).stdout).not.toMatch(/^x1\s/m);
    const again = await llmteam('tenants', 'create', 'acme');
    expect(again.stderr).toMatch(/tenant "acme" already exists; update it instead/);
  });

  it('runs as the installed command: text by default, --json for machines', () => {
    const res = spawnSync(
      process.execPath,
      [...WORKSPACE_NODE_ARGS, CLI, 'tenants', 'list', '--json', '--config', config],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'fatal' } },
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const ids = (JSON.parse(res.stdout) as Array<{ id: string }>).map((t) => t.id);
    expect(ids).toEqual(['acme', 'busy', 'default']);
  });
});
