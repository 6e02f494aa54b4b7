import { chainAuditEntry, createEngine, type Engine, type Store } from '@llmteam/core';
import type { StoreSuiteDescribe, StoreSuiteExpect, StoreSuiteTest } from './store-suite/suite-support.js';

/** A store under test, and a way to run SQL on its database behind its back. */
export interface TamperableStore {
  store: Store;
  /** Runs one SQL statement on the store's database (as an attacker with database access would). */
  sql(statement: string): Promise<void>;
}

/** Options of {@link auditTamperSuite}. */
export interface AuditTamperSuiteOptions {
  /** Shown in the suite's name, e.g. `@llmteam/store-sqlite`. */
  name: string;
  /** A fresh, empty store over a real database, and its SQL door. The suite calls `init()`. */
  create(): Promise<TamperableStore>;
  /** Disposes of what `create` made. @default store.close() */
  destroy?(target: TamperableStore): Promise<void>;
  test: StoreSuiteTest;
  expect: StoreSuiteExpect;
  describe: StoreSuiteDescribe;
}

const TENANT = 'tamper';
const SEGMENT = {
  segment_id: 's',
  version: '1.0.0',
  steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
};

/**
 * Tampering with a SQL store's audit rows behind its back (edit any column, delete, insert,
 * swap, truncate, delete all) is found by `engine.verifyAudit` (what `llmteam audit
 * verify` runs), naming the exact entry or the missing tail. Rows live in the `audit`
 * table (tenant_id, seq, at, hash, body), as the SQL stores of llmteam keep them.
 */
export function auditTamperSuite(options: AuditTamperSuiteOptions): void {
  const { test, expect, describe } = options;
  const withLog = async (fn: (engine: Engine, t: TamperableStore) => Promise<void>) => {
    const target = await options.create();
    await target.store.init();
    const engine = createEngine({
      store: target.store,
      audit: { checkpointEvery: 0 },
      tenancy: { implicitTenants: true },
    });
    const tenant = engine.forTenant(TENANT, { subject: 'ann' });
    try {
      for (let i = 0; i < 6; i++) await tenant.upsertSegment({ ...SEGMENT, version: `1.0.${i}` });
      await fn(engine, target);
    } finally {
      await engine.stop();
      await (options.destroy ? options.destroy(target) : target.store.close());
    }
  };
  const where = (seq: number) => `tenant_id = '${TENANT}' AND seq = ${seq}`;
  const broken = async (engine: Engine) => (await engine.verifyAudit({ tenantId: TENANT })).brokenAt;

  describe(`${options.name}: audit rows changed with SQL`, () => {
    test('an untouched log verifies, against its checkpoint too', async () => {
      await withLog(async (engine) => {
        await engine.forTenant(TENANT).auditCheckpoint();
        const result = await engine.verifyAudit({ tenantId: TENANT });
        expect(result.valid).toBe(true);
        expect(result.checked).toBe(6);
      });
    });

    test('an edited time, actor or hash column is named at its entry', async () => {
      await withLog(async (engine, t) => {
        await t.sql(`UPDATE audit SET at = '2020-01-01T00:00:00.000Z' WHERE ${where(3)}`);
        expect(await broken(engine)).toEqual({
          seq: 3,
          kind: 'altered',
          reason: 'entry 3 does not match its hash (it was altered)',
        });
      });
      await withLog(async (engine, t) => {
        await t.sql(
          `UPDATE audit SET body = replace(body, '"actor":"ann"', '"actor":"mallory"') WHERE ${where(5)}`,
        );
        expect((await broken(engine))?.seq).toBe(5);
      });
      await withLog(async (engine, t) => {
        await t.sql(`UPDATE audit SET hash = '${'ab'.repeat(32)}' WHERE ${where(6)}`);
        expect((await broken(engine))?.seq).toBe(6);
      });
    });

    test('a deleted entry is named as missing', async () => {
      await withLog(async (engine, t) => {
        await t.sql(`DELETE FROM audit WHERE ${where(4)}`);
        const b = await broken(engine);
        expect(b?.seq).toBe(4);
        expect(b?.kind).toBe('missing');
      });
    });

    test('an inserted entry (even with a valid hash) is named', async () => {
      await withLog(async (engine, t) => {
        const [, second] = await engine.listAudit({ tenantId: TENANT });
        const forged = chainAuditEntry(
          { tenantId: TENANT, action: 'segment.upserted', actor: 'mallory', timestamp: second!.timestamp },
          second,
        );
        await t.sql(`UPDATE audit SET seq = seq + 1000 WHERE tenant_id = '${TENANT}' AND seq >= 3`);
        await t.sql(`UPDATE audit SET seq = seq - 999 WHERE tenant_id = '${TENANT}' AND seq >= 1000`);
        const body = JSON.stringify(forged).replaceAll("'", "''");
        await t.sql(
          `INSERT INTO audit (tenant_id, seq, at, hash, body) VALUES ('${TENANT}', 3, '${forged.timestamp}', '${forged.hash}', '${body}')`,
        );
        const b = await broken(engine);
        expect(b?.seq).toBe(3);
        expect(b?.kind).toBe('inserted');
      });
    });

    test('a swapped pair is named at the first entry out of place', async () => {
      await withLog(async (engine, t) => {
        await t.sql(`UPDATE audit SET seq = 1002 WHERE ${where(2)}`);
        await t.sql(`UPDATE audit SET seq = 2 WHERE ${where(3)}`);
        await t.sql(`UPDATE audit SET seq = 3 WHERE ${where(1002)}`);
        const b = await broken(engine);
        expect(b?.seq).toBe(2);
        expect(b?.kind).toBe('out_of_place');
      });
    });

    test('a truncated tail and a deleted log are reported against the last checkpoint', async () => {
      await withLog(async (engine, t) => {
        await engine.forTenant(TENANT).auditCheckpoint();
        await t.sql(`DELETE FROM audit WHERE tenant_id = '${TENANT}' AND seq >= 5`);
        const tail = await broken(engine);
        expect(tail?.seq).toBe(5);
        expect(tail?.kind).toBe('truncated');
        expect(tail?.reason.includes('entries 5 to 6 are missing')).toBe(true);
        await t.sql(`DELETE FROM audit WHERE tenant_id = '${TENANT}'`);
        const b = await broken(engine);
        expect(b?.seq).toBe(1);
        expect(b?.reason.includes('the log was deleted')).toBe(true);
      });
    });
  });
}
