import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@llmteam/core';
import { createPostgresStore } from '@llmteam/store-postgres';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../test-support.js';
import { followRun, SEALED_ORDER, startCanaryGateway } from './sealed-canary-support.js';

const PG_URL = process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Backend {
  name: string;
  open(): Store;
  /** Every byte the database holds for the test, as text. */
  bytes(): Promise<string>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-sealed-'));
  const path = join(dir, 'sealed.sqlite');
  return {
    name: 'a real SQLite file',
    open: () => createSqliteStore({ path }),
    async bytes() {
      const files = [path, `${path}-wal`, `${path}-shm`, `${path}-journal`].filter((f) => existsSync(f));
      expect(files).toContain(path);
      return files.map((f) => readFileSync(f).toString('latin1')).join('\n');
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  const schema = `sealed_${process.pid}_${randomBytes(4).toString('hex')}`;
  const query = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'Postgres',
    open: () => createPostgresStore({ url: PG_URL, schema }),
    bytes: () =>
      query(async (c) => {
        const tables = await c.query(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        );
        expect(tables.rows.length).toBeGreaterThan(3);
        const out: string[] = [];
        for (const { table_name } of tables.rows) {
          const rows = await c.query(`SELECT t::text AS row FROM "${schema}"."${table_name}" t`);
          for (const r of rows.rows) out.push(r.row);
        }
        return out.join('\n');
      }),
    cleanup: () => query((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).then(() => undefined),
  };
}

describe.each([sqliteBackend(), postgresBackend()])('a sealed canary on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it('never leaves the owning step: not in the database, GraphQL, events, logs or notifications', async () => {
    const CANARY = `card-canary-${randomBytes(8).toString('hex')}`;
    const { t, leaks } = await startCanaryGateway(backend.open());
    try {
      const operator = await t.key('default', ['operator']);
      const approver = await t.key('default', ['approver'], 'sam', ['shipping']);
      const unsealer = await t.key('default', ['unsealer'], 'dpo@example.com');
      await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
        d: SEALED_ORDER,
      });
      const started = await t.gql(
        operator,
        'mutation($i: JSON) { startRun(segmentId: "sealed_order", input: $i) { id input } }',
        { i: { card: { number: CANARY }, amount: 40 } },
      );
      const runId = started.body.data.startRun.id as string;
      expect(started.body.data.startRun.input).toEqual({ card: { number: '[sealed]' }, amount: 40 });
      const followed = followRun(t, operator, runId, leaks);

      const request = await eventually(async () => {
        const inbox = await t.gql(approver, '{ interactions { id context } }');
        return inbox.body.data.interactions[0];
      }, 'the review request');
      expect(request.context).toMatchObject({ card: { number: '[sealed]' }, receipt: '[sealed]' });
      await t.gql(approver, 'mutation($id: ID!) { approve(requestId: $id) { status } }', { id: request.id });
      await followed;

      const view = await t.gql(
        operator,
        `query($id: ID!) { run(id: $id) { status input outputs
           steps { stepId outputs error { message } }
           events { seq type data } interactions { context } snapshots { id } } }`,
        { id: runId },
      );
      expect(view.body.data.run.status).toBe('COMPLETED');
      await t.gql(operator, 'mutation($id: ID!) { createSnapshot(runId: $id) { id } }', { id: runId });

      // The owner saw the plaintext; the step after the review did not.
      expect(leaks.seen.charge).toEqual({ card: { number: CANARY }, amount: 40 });
      const shipped = leaks.seen.ship as { card: { number: unknown } };
      expect(JSON.stringify(shipped)).not.toContain(CANARY);
      expect(shipped.card.number).toMatchObject({ $sealed: { path: '/card/number' } });

      // Without the role: refused with a typed error, and nothing is opened.
      const refused = await t.gql(operator, 'mutation($id: ID!) { unsealRun(runId: $id) { value } }', {
        id: runId,
      });
      expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(refused.body.errors[0].message).toContain('UNSEALER');
      const unsealedBody = await t.gql(
        unsealer,
        'mutation($id: ID!) { unsealRun(runId: $id, reason: "chargeback") { fields value } }',
        { id: runId },
      );
      expect(unsealedBody.body.data.unsealRun).toEqual({
        fields: ['/card/number'],
        value: { card: { number: CANARY }, amount: 40 },
      });
      leaks.responses.pop();
      const audit = await t.gql(operator, '{ auditEvents { action actor target data } }');
      expect(audit.body.data.auditEvents).toContainEqual({
        action: 'run.unsealed',
        actor: 'dpo@example.com',
        target: 'input',
        data: { fields: ['/card/number'], reason: 'chargeback' },
      });

      expect(leaks.logLines.length).toBeGreaterThan(0);
      expect(leaks.logLines.join('\n')).toContain('handles card [sealed]');
      expect(leaks.notifications.length).toBeGreaterThan(0);
      for (const [what, texts] of [
        ['GraphQL responses and events', leaks.responses],
        ['log lines', leaks.logLines],
        ['notifications', leaks.notifications],
      ] as const) {
        const hit = texts.find((text) => text.includes(CANARY));
        expect(hit, `${what} carry the canary`).toBeUndefined();
      }
      expect(await backend.bytes()).not.toContain(CANARY);
    } finally {
      await t.close();
    }
    expect(await backend.bytes()).not.toContain(CANARY);
  });
});
