import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AuditRecord, chainAuditEntry } from '@llmteam/core';
import { serviceReachable } from '@llmteam/testkit';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { CLI, WORKSPACE_NODE_ARGS } from './test-support.js';

const ORDER_FLOW = fileURLToPath(new URL('../../../examples/segments/order-flow.json', import.meta.url));
const BIG = JSON.stringify({ customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] });
const PG_URL = process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A database the `llmteam` command is configured for, and SQL run on it behind the command's back. */
interface Backend {
  name: string;
  /** The `llmteam.config.json` naming the store. */
  config: string;
  sql(statement: string): Promise<Array<Record<string, unknown>>>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-audit-tamper-'));
  const path = join(dir, 'llmteam.sqlite');
  const config = join(dir, 'llmteam.config.json');
  writeFileSync(config, JSON.stringify({ store: ['@llmteam/store-sqlite', { path }] }));
  const sqlite3 = createRequire(
    fileURLToPath(new URL('../../../plugins/store-sqlite/package.json', import.meta.url)),
  )('sqlite3') as {
    Database: new (
      file: string,
    ) => {
      all(sql: string, cb: (err: Error | null, rows: Array<Record<string, unknown>>) => void): void;
      close(cb: () => void): void;
    };
  };
  return {
    name: 'a real SQLite file',
    config,
    // A second connection on the file, as another program with access to it would open.
    sql: (statement) =>
      new Promise((resolve, reject) => {
        const db = new sqlite3.Database(path);
        db.all(statement, (err, rows) => db.close(() => (err ? reject(err) : resolve(rows))));
      }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-audit-tamper-pg-'));
  const schema = `audit_tamper_${process.pid}_${randomBytes(4).toString('hex')}`;
  const config = join(dir, 'llmteam.config.json');
  writeFileSync(config, JSON.stringify({ store: ['@llmteam/store-postgres', { url: PG_URL, schema }] }));
  const withClient = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
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
    config,
    sql: (statement) =>
      withClient(async (client) => {
        await client.query(`SET search_path TO "${schema}"`);
        return (await client.query(statement)).rows;
      }),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
      await withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    },
  };
}

/** Runs `llmteam` in this process on the backend's config, with the output captured. */
async function llmteam(config: string, ...args: string[]) {
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
    return { code: code ?? process.exitCode ?? 0, stdout, stderr };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.exitCode = undefined;
  }
}

const backends = [sqliteBackend()];
if (await serviceReachable('Postgres', PG_URL, 5432)) backends.push(postgresBackend());

// The command opens the store afresh each time: a generous bound on a loaded machine, never a pass condition.
describe.each(backends)('llmteam audit verify on $name', { timeout: 120_000 }, (backend) => {
  const where = (seq: number) => `tenant_id = 'default' AND seq = ${seq}`;
  const verify = () => llmteam(backend.config, 'audit', 'verify');
  let size = 0;

  beforeAll(async () => {
    // A real log, written by the engine the command runs: a segment, two runs, an approval.
    for (let i = 0; i < 2; i++) {
      const run = await llmteam(backend.config, 'run', ORDER_FLOW, '--input', BIG);
      expect(run.code, run.stderr).toBe(0);
      const requestId = /waiting on (\S+)/.exec(run.stdout)?.[1] as string;
      const approved = await llmteam(
        backend.config,
        'approve',
        requestId,
        '--as',
        'fiona',
        '--group',
        'finance',
      );
      expect(approved.code, approved.stderr).toBe(0);
    }
    const checkpoint = await llmteam(backend.config, 'audit', 'checkpoint');
    expect(checkpoint.code, checkpoint.stderr).toBe(0);
    const [row] = await backend.sql(`SELECT COUNT(*) AS n FROM audit WHERE tenant_id = 'default'`);
    size = Number(row?.n);
    expect(size).toBeGreaterThanOrEqual(6);
    // Each test tampers with the log, then puts the rows back as they were.
    await backend.sql('CREATE TABLE audit_kept AS SELECT * FROM audit');
  });
  afterAll(() => backend.cleanup());

  const tampered = async (statements: string[], check: () => Promise<void>) => {
    try {
      for (const s of statements) await backend.sql(s);
      await check();
    } finally {
      await backend.sql('DELETE FROM audit');
      await backend.sql('INSERT INTO audit SELECT * FROM audit_kept');
    }
  };
  const brokenAt = async (line: string) => {
    const res = await verify();
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`llmteam: audit chain of tenant default ${line}\n`);
  };

  it('an untouched log verifies against its checkpoint, exit 0', async () => {
    const res = await verify();
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      new RegExp(
        `^audit chain of tenant default: valid \\(${size} entries, head [0-9a-f]{64}, checkpoint of \\S+ \\(size ${size}\\)\\)\\n$`,
      ),
    );
  });

  it('an edited time column is named at its entry', async () => {
    await tampered([`UPDATE audit SET at = '2020-01-01T00:00:00.000Z' WHERE ${where(3)}`], () =>
      brokenAt('is broken at entry 3 (altered): entry 3 does not match its hash (it was altered)'),
    );
  });

  it('an edited body or hash is named at its entry', async () => {
    await tampered(
      [`UPDATE audit SET body = replace(body, '"action":"', '"action":"x') WHERE ${where(2)}`],
      () => brokenAt('is broken at entry 2 (altered): entry 2 does not match its hash (it was altered)'),
    );
    await tampered([`UPDATE audit SET hash = '${'ab'.repeat(32)}' WHERE ${where(size)}`], () =>
      brokenAt(
        `is broken at entry ${size} (altered): entry ${size} does not match its hash (it was altered)`,
      ),
    );
  });

  it('a deleted entry is named as missing', async () => {
    await tampered([`DELETE FROM audit WHERE ${where(4)}`], () =>
      brokenAt('is broken at entry 4 (missing): entry 4 is missing (the log goes from entry 3 to 5)'),
    );
  });

  it('an inserted entry, even with a valid hash, is named', async () => {
    const [row] = await backend.sql(`SELECT seq, hash FROM audit WHERE ${where(2)}`);
    const second = { seq: Number(row?.seq), hash: String(row?.hash) } as Pick<AuditRecord, 'seq' | 'hash'>;
    const forged = chainAuditEntry(
      {
        tenantId: 'default',
        action: 'segment.upserted',
        actor: 'mallory',
        timestamp: new Date().toISOString(),
      },
      second,
    );
    const body = JSON.stringify(forged).replaceAll("'", "''");
    await tampered(
      [
        `UPDATE audit SET seq = seq + 1000 WHERE tenant_id = 'default' AND seq >= 3`,
        `UPDATE audit SET seq = seq - 999 WHERE tenant_id = 'default' AND seq >= 1000`,
        `INSERT INTO audit (tenant_id, seq, at, hash, body) VALUES ('default', 3, '${forged.timestamp}', '${forged.hash}', '${body}')`,
      ],
      () =>
        brokenAt(
          'is broken at entry 3 (inserted): entry 3 was inserted: the entry stored as 4 was written right after entry 2',
        ),
    );
  });

  it('a swapped pair is named at the first entry out of place', async () => {
    await tampered(
      [
        `UPDATE audit SET seq = 1002 WHERE ${where(2)}`,
        `UPDATE audit SET seq = 2 WHERE ${where(3)}`,
        `UPDATE audit SET seq = 3 WHERE ${where(1002)}`,
      ],
      () =>
        brokenAt(
          'is broken at entry 2 (out_of_place): the entry stored as 2 is out of place: it follows the entry stored as 3, not entry 1 (entries swapped or moved)',
        ),
    );
  });

  it('a truncated tail and a deleted log are named against the last checkpoint', async () => {
    await tampered([`DELETE FROM audit WHERE tenant_id = 'default' AND seq >= ${size - 1}`], async () => {
      const res = await verify();
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(
        new RegExp(
          `^llmteam: audit chain of tenant default is missing its tail from entry ${size - 1} \\(truncated\\): entries ${size - 1} to ${size} are missing: the checkpoint signed at \\S+ covers ${size} entries \\(the tail was truncated\\)\\n$`,
        ),
      );
      const json = await llmteam(backend.config, 'audit', 'verify', '--json');
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({
        valid: false,
        checked: size - 2,
        brokenAt: { seq: size - 1, kind: 'truncated' },
        checkpoint: { size },
      });
    });
    await tampered([`DELETE FROM audit WHERE tenant_id = 'default'`], async () => {
      const res = await verify();
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(
        new RegExp(
          `^llmteam: audit chain of tenant default is missing its tail from entry 1 \\(truncated\\): the log is empty, but the checkpoint signed at \\S+ covers ${size} entries \\(the log was deleted\\)\\n$`,
        ),
      );
    });
  });

  it('the command in its own process exits 1 on a broken log and 0 once it is put back', async () => {
    const spawned = () =>
      spawnSync(
        process.execPath,
        [...WORKSPACE_NODE_ARGS, CLI, 'audit', 'verify', '--config', backend.config],
        {
          encoding: 'utf8',
          env: { ...process.env, LOG_LEVEL: 'fatal' },
        },
      );
    await tampered([`DELETE FROM audit WHERE ${where(5)}`], async () => {
      const res = spawned();
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('is broken at entry 5 (missing)');
    });
    const res = spawned();
    expect([res.status, res.stderr]).toEqual([0, '']);
  });
});
