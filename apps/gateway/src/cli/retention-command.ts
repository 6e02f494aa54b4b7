import type { Command } from 'commander';
import { withRetention } from '../util/retention.js';
import { type CommandSupport, mustExist, out } from './command-support.js';

/** Adds `llmteam retention [--tenant ID] [--runs DURATION] [--snapshots DURATION]`. */
export function addRetentionCommand(program: Command, { withEngine, configOption }: CommandSupport): void {
  program
    .command('retention')
    .description(
      'show or set a tenant\'s retention: finished runs and snapshots older than a duration (ISO 8601 or seconds) are deleted by the sweep; "never" keeps them',
    )
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('--runs <duration>', 'delete finished runs this long after they end, or "never"')
    .option('--snapshots <duration>', 'delete snapshots (checkpoints excepted) at this age, or "never"')
    .addOption(configOption())
    .action(async (opts: { tenant: string; runs?: string; snapshots?: string; config?: string }) => {
      await withEngine(opts.config, async (engine) => {
        await mustExist(engine, opts.tenant);
        const tenant = engine.forTenant(opts.tenant, { subject: 'cli', roles: ['admin'] });
        let record = (await tenant.getTenant())!;
        if (opts.runs !== undefined || opts.snapshots !== undefined) {
          const { tenantId: _id, ...next } = withRetention(record, {
            ...(opts.runs !== undefined ? { completedRuns: opts.runs } : {}),
            ...(opts.snapshots !== undefined ? { snapshots: opts.snapshots } : {}),
          });
          record = await tenant.putTenant(next);
        }
        const show = (s: number | undefined) => (s === undefined ? 'never' : `${s} s`);
        out(
          `tenant ${record.tenantId}: finished runs deleted after ${show(record.retention?.completedRunsSeconds)}, snapshots after ${show(record.retention?.snapshotsSeconds)}`,
        );
      });
    });
}
