import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { CLI, WORKSPACE_NODE_ARGS } from './test-support.js';

const ORDER_FLOW = fileURLToPath(new URL('../../../examples/segments/order-flow.json', import.meta.url));
const BIG = JSON.stringify({ customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] });

// Child processes start slowly on a loaded machine: a generous bound, never a pass condition.
describe('llmteam command', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'llmteam.config.json');
  writeFileSync(
    config,
    JSON.stringify({ store: ['@llmteam/store-sqlite', { path: './.llmteam/llmteam.sqlite' }] }),
  );
  /** The real command in a child process (slow to start: used where the process boundary matters). */
  const spawned = (...args: string[]) => {
    const res = spawnSync(process.execPath, [...WORKSPACE_NODE_ARGS, CLI, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'fatal' },
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  /** The same command run in this process, output captured. */
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
    const withConfig =
      ['approve', 'reject', 'run', 'validate'].includes(args[0]) ||
      args[0] === 'approvals' ||
      args[0] === 'audit' ||
      args[0] === 'keys' ||
      ['runs', 'events', 'cancel', 'pause', 'resume', 'retention'].includes(args[0]);
    try {
      const code = await main(['node', 'llmteam', ...args, ...(withConfig ? ['--config', config] : [])]);
      return { code, stdout, stderr };
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
      process.exitCode = undefined;
    }
  };

  it('validate: exit 0 for a valid segment, exit 1 with every problem and its JSON path otherwise', async () => {
    const ok = await llmteam('validate', ORDER_FLOW);
    expect(ok.stderr).toBe('');
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('valid') });
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        segment_id: 'bad',
        steps: [{ step_id: 'a', step_type: 'nope' }],
        edges: [{ source_step: 'a', target_step: 'ghost' }],
      }),
    );
    const bad = spawned('validate', 'bad.json');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('$.steps[0].step_type');
    expect(bad.stderr).toContain('$.edges[0].target_step');
  });

  it('validate checks the child segments a segment names, like upsert: missing ones and cycles, by step and field', async () => {
    // The supervisor example names two child segments beside it in examples/segments.
    const brief = await llmteam('validate', join(dirname(ORDER_FLOW), 'product-brief.json'));
    expect(brief).toMatchObject({ code: 0, stderr: '' });
    const refs = mkdtempSync(join(dir, 'refs-'));
    const parent = {
      segment_id: 'parent',
      steps: [
        { step_id: 'call', step_type: 'segment', config: { segment_id: 'child' } },
        {
          step_id: 'lead',
          step_type: 'llm_agent',
          config: { provider: 'openai', tools: [{ segment_id: 'nowhere', name: 'ask' }] },
        },
      ],
      edges: [{ source_step: 'call', target_step: 'lead' }],
    };
    writeFileSync(join(refs, 'parent.json'), JSON.stringify(parent));
    writeFileSync(
      join(refs, 'child.json'),
      JSON.stringify({
        segment_id: 'child',
        steps: [{ step_id: 'back', step_type: 'segment', config: { segment_id: 'parent' } }],
        edges: [],
      }),
    );
    const res = await llmteam('validate', join(refs, 'parent.json'));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      '$.steps[0].config.segment_id: step "call", config.segment_id: segments start each other in a cycle (parent -> child -> parent); break the cycle (segment_cycle)',
    );
    expect(res.stderr).toContain(
      '$.steps[1].config.tools[0].segment_id: step "lead", config.tools[0].segment_id: segment "nowhere" is not registered',
    );
    expect(res.stderr).toContain('(unknown_segment)');
  });

  it('prints one clear line and exits non-zero on errors, never a stack', async () => {
    const missing = spawned('validate', 'missing.json');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('llmteam: cannot read missing.json: no such file\n');
    for (const args of [
      ['run', ORDER_FLOW, '--input', '{not json'],
      ['approve', 'int_nope'],
    ]) {
      const res = await llmteam(...args);
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/^llmteam: /);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('run waits for a person, approvals list shows the request, approve finishes the run, audit verify checks the chain', async () => {
    const run = await llmteam('run', ORDER_FLOW, '--input', BIG);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^run run_\w+\nstatus waiting_human\n/);
    const requestId = /waiting on (\S+)/.exec(run.stdout)?.[1] as string;
    expect(requestId).toBeTruthy();

    const list = await llmteam('approvals', 'list', '--assignee', 'group:finance');
    expect(list.stdout).toContain(requestId);
    expect(list.stdout).toContain('Approve a large order');

    const outsider = await llmteam('approve', requestId, '--as', 'mallory');
    expect(outsider.code).toBe(1);
    const approved = await llmteam(
      'approve',
      requestId,
      '--as',
      'fiona',
      '--group',
      'finance',
      '--comment',
      'ok',
    );
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`${requestId} completed`);
    expect(approved.stdout).toMatch(/run run_\w+ completed .*"create_order"/);
    expect((await llmteam('approve', requestId)).code).toBe(1);

    const audit = await llmteam('audit', 'verify');
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/valid \(\d+ entries/);
  });

  it('run passes --run-timeout and --max-retries to the run; approvals list -q prints only the ids', async () => {
    const run = await llmteam(
      'run',
      ORDER_FLOW,
      '--input',
      BIG,
      '--run-timeout',
      'PT2H',
      '--max-retries',
      '2',
    );
    expect(run.code, run.stderr).toBe(0);
    const runId = /^run (\S+)/.exec(run.stdout)?.[1] as string;
    const requestId = /waiting on (\S+)/.exec(run.stdout)?.[1] as string;
    const store = createSqliteStore({ path: join(dir, '.llmteam/llmteam.sqlite') });
    await store.init();
    try {
      const limits = (await store.getRun('default', runId))?.limits;
      expect([limits?.timeoutMs, limits?.maxRetries]).toEqual([2 * 3600_000, 2]);
    } finally {
      await store.close();
    }
    const quiet = await llmteam('approvals', 'list', '-q');
    expect(quiet.stdout.trim().split('\n')).toContain(requestId);
    expect(quiet.stdout).not.toContain('Approve a large order');
    const bad = await llmteam('run', ORDER_FLOW, '--max-retries', 'many');
    expect([bad.code, bad.stderr.trim()]).toEqual([
      1,
      'llmteam: --max-retries must be a whole number of retries, got many',
    ]);
    const badTimeout = await llmteam('run', ORDER_FLOW, '--input', BIG, '--run-timeout', 'soon');
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.stderr).toMatch(/timeout/);
  });

  it('audit verify exits 1 naming the first broken link', async () => {
    // Tamper with one audit entry directly in the SQLite file.
    const storeRequire = createRequire(
      fileURLToPath(new URL('../../../plugins/store-sqlite/package.json', import.meta.url)),
    );
    const sqlite3 = storeRequire('sqlite3') as {
      Database: new (
        file: string,
      ) => { run(sql: string, cb: (err: Error | null) => void): void; close(cb: () => void): void };
    };
    const db = new sqlite3.Database(join(dir, '.llmteam', 'llmteam.sqlite'));
    await new Promise<void>((resolve, reject) =>
      db.run(`UPDATE audit SET body = replace(body, '"action":"', '"action":"x') WHERE seq = 2`, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await new Promise<void>((resolve) => db.close(resolve));
    const audit = await llmteam('audit', 'verify');
    expect(audit.code).toBe(1);
    expect(audit.stderr).toMatch(/broken at entry 2/);
  });

  it('keys create prints the secret once', async () => {
    const res = await llmteam('keys', 'create', '--role', 'approver', '--subject', 'sam', '--tenant', 'acme');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/tenant acme, roles approver, subject sam/);
    expect(res.stdout).toMatch(/^llmt_[\w-]{40,}$/m);
  });

  it('keys list shows a header and each key, keys revoke revokes it by id, unknown ids and tenants are errors', async () => {
    const created = await llmteam(
      'keys',
      'create',
      '--role',
      'viewer',
      '--subject',
      'vic',
      '--tenant',
      'beta',
    );
    const keyId = /^key (\S+)/.exec(created.stdout)?.[1] as string;
    const listed = await llmteam('keys', 'list', '--tenant', 'beta');
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+ROLES\s+SUBJECT\s+EXPIRES$/);
    expect(listed.stdout).toMatch(new RegExp(`${keyId}\\s+active\\s+viewer\\s+vic`));
    expect(listed.stdout).not.toMatch(/llmt_/);
    const revoked = await llmteam('keys', 'revoke', keyId);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`key ${keyId} \\(tenant beta\\) revoked at`));
    expect((await llmteam('keys', 'list', '--tenant', 'beta')).stdout).toMatch(
      new RegExp(`${keyId}\\s+revoked`),
    );
    const unknown = await llmteam('keys', 'revoke', 'key_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no API key "key_nope"/);
    const noTenant = await llmteam('keys', 'list', '--tenant', 'nope');
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toMatch(/no tenant "nope"/);
  });

  it('runs list|status, events (and --follow), pause, resume and cancel work on runs by id', async () => {
    const started = await llmteam('run', ORDER_FLOW, '--input', BIG);
    const runId = /^run (\S+)/.exec(started.stdout)?.[1] as string;
    const listed = await llmteam('runs', 'list', '--status', 'waiting_human');
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+SEGMENT\s+UPDATED$/);
    expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+waiting_human\\s+order_flow@`));
    const status = await llmteam('runs', 'status', runId);
    expect(status.stdout).toMatch(/^status waiting_human$/m);
    expect(status.stdout).toMatch(/^waiting on \S+ \(approval: Approve a large order\)$/m);
    const paused = await llmteam('pause', runId);
    expect(paused.stdout).toBe(`run ${runId} paused\n`);
    const resumed = await llmteam('resume', runId);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^run ${runId} \\w+`));
    const cancelled = await llmteam('cancel', runId, '--reason', 'not needed');
    expect(cancelled.stdout).toBe(`run ${runId} cancelled\n`);
    const events = await llmteam('events', runId);
    expect(events.stdout.split('\n')[0]).toMatch(/^\s+1\s+\S+\s+run\.\w+/);
    const followed = await llmteam('events', runId, '--follow', '--json');
    const types = followed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(types.at(-1)).toBe('run.cancelled');
    const missing = await llmteam('runs', 'status', 'run_nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no run "run_nope"/);
    const noTenant = await llmteam('audit', 'verify', '--tenant', 'nope');
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toMatch(/no tenant "nope"/);
    const header = await llmteam('approvals', 'list', '--all');
    expect(header.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+PRIORITY\s+TYPE\s+RUN\s+DUE\s+TITLE$/);
  });

  it('retention shows and sets a tenant policy; a bad duration is an error naming the field', async () => {
    const made = await llmteam('keys', 'create', '--tenant', 'kept', '--role', 'admin');
    expect(made.stderr).toBe('');
    const shown = await llmteam('retention', '--tenant', 'kept');
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain('finished runs deleted after never, snapshots after never');
    const set = await llmteam('retention', '--tenant', 'kept', '--runs', 'P30D', '--snapshots', '3600');
    expect(set.stdout).toContain('finished runs deleted after 2592000 s, snapshots after 3600 s');
    const cleared = await llmteam('retention', '--tenant', 'kept', '--snapshots', 'never');
    expect(cleared.stdout).toContain('finished runs deleted after 2592000 s, snapshots after never');
    const bad = await llmteam('retention', '--tenant', 'kept', '--runs', 'soon');
    expect(bad.stderr).toMatch(/completedRuns: "soon" is not a duration/);
  });
});
