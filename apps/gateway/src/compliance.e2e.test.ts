import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AiActRecords, ComplianceReport, Store } from '@llmteam/core';
import { createPostgresStore } from '@llmteam/store-postgres';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectScenarioAiAct,
  expectScenarioReport,
  parseCsv,
  SCENARIO_START,
  seedComplianceScenario,
} from '../../../packages/core/src/compliance/compliance.test-support.js';
import { main } from './cli.js';
import { startTestGateway } from './test-support.js';

const PG_URL = process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Backend {
  name: string;
  open(): Store;
  /** A config file for the `llmteam` command on the same store. */
  config?: string;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-compliance-'));
  const path = join(dir, 'compliance.sqlite');
  const config = join(dir, 'llmteam.config.json');
  writeFileSync(config, JSON.stringify({ store: ['@llmteam/store-sqlite', { path }] }));
  return {
    name: 'a real SQLite file',
    open: () => createSqliteStore({ path }),
    config,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(): Backend {
  const schema = `compliance_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    name: 'Postgres',
    open: () => createPostgresStore({ url: PG_URL, schema }),
    async cleanup() {
      const client = new Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Runs `llmteam` in this process with the output captured. */
async function llmteam(...args: string[]) {
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
    const code = await main(['node', 'llmteam', ...args]);
    return { code: code ?? process.exitCode ?? 0, stdout, stderr };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.exitCode = undefined;
  }
}

const REPORT = `query($from: DateTime!, $to: DateTime!, $format: ComplianceReportFormat) {
  complianceReport(from: $from, to: $to, format: $format) { format contentType body report tables { table csv } } }`;

describe.each([sqliteBackend(), postgresBackend()])(
  'the compliance report on $name',
  { timeout: 120_000 },
  (backend) => {
    afterAll(() => backend.cleanup());

    it('counts the seeded scenario exactly, through the engine, GraphQL and the command line, with no sealed value', async () => {
      const store = backend.open();
      const s = await seedComplianceScenario(store);
      const t = await startTestGateway({ store, engine: s.engine });
      try {
        const report = await s.engine.complianceReport({ from: SCENARIO_START, to: s.end });
        expectScenarioReport(report, s);
        expect(JSON.stringify(await store.getRun('default', s.runs.r8))).toContain(s.canary);

        const admin = await t.key('default', ['admin'], 'auditor@bank');
        const vars = { from: SCENARIO_START, to: s.end };
        const json = await t.gql(admin, REPORT, { ...vars, format: 'JSON' });
        expect(json.body.errors).toBeUndefined();
        const viaGraphql = json.body.data.complianceReport;
        expect(viaGraphql).toMatchObject({ format: 'JSON', contentType: 'application/json', tables: [] });
        expectScenarioReport(viaGraphql.report as ComplianceReport, s);
        const aiAct = (await t.gql(admin, REPORT, { ...vars, format: 'AI_ACT' })).body.data.complianceReport;
        expectScenarioAiAct(aiAct.report as AiActRecords, s);
        const csv = (await t.gql(admin, REPORT, { ...vars, format: 'CSV' })).body.data.complianceReport;
        expect(csv.contentType).toBe('text/csv');
        const summary = Object.fromEntries(parseCsv(csv.body).map((r) => [r.metric, r.value]));
        expect(summary).toMatchObject({
          approved: '5',
          rejected: '1',
          auto_approved: '1',
          sla_breaches: '1',
        });
        const approvals = parseCsv(csv.tables.find((x: { table: string }) => x.table === 'approvals').csv);
        expect(approvals.map((r) => r.response_ms)).toEqual([
          '600000',
          '1800000',
          '5400000',
          '8100000',
          '300000',
          '60000',
        ]);
        for (const body of [json.body, aiAct, csv].map((b) => JSON.stringify(b)))
          expect(body).not.toContain(s.canary);

        const viewer = await t.key('default', ['viewer']);
        const refused = await t.gql(viewer, REPORT, vars);
        expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
        const backwards = await t.gql(admin, REPORT, { from: s.end, to: SCENARIO_START });
        expect(backwards.body.errors[0].message).toMatch(/^from .* is after to/);
      } finally {
        await t.close();
      }

      if (!backend.config) return;
      const cli = await llmteam(
        'audit',
        'report',
        '--from',
        SCENARIO_START,
        '--to',
        s.end,
        '--format',
        'csv',
        '--table',
        'escalations',
        '--config',
        backend.config,
      );
      expect(cli.stderr).toBe('');
      expect(parseCsv(cli.stdout)).toEqual([
        {
          interaction_id: expect.stringMatching(/^int_/),
          run_id: s.runs.r4,
          level: '1',
          at: '2026-06-01T13:10:00.000Z',
        },
      ]);
      const records = await llmteam(
        'audit',
        'report',
        '--from',
        SCENARIO_START,
        '--to',
        s.end,
        '--format',
        'ai-act',
        '--config',
        backend.config,
      );
      expectScenarioAiAct(JSON.parse(records.stdout) as AiActRecords, s);
      expect(records.stdout).not.toContain(s.canary);
      const unknown = await llmteam(
        'audit',
        'report',
        '--tenant',
        'acme',
        '--from',
        SCENARIO_START,
        '--to',
        s.end,
        '--config',
        backend.config,
      );
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('--tenant: no tenant "acme"');
      const badFormat = await llmteam(
        'audit',
        'report',
        '--from',
        SCENARIO_START,
        '--to',
        s.end,
        '--format',
        'pdf',
        '--config',
        backend.config,
      );
      expect(badFormat.stderr).toContain('--format must be one of json, csv, ai-act');
    });
  },
);
