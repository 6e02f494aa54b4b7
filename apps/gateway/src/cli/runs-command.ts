import { LlmteamError, type RunStatus, type WorktrailEvent } from '@llmteam/core';
import type { Command } from 'commander';
import { type CommandSupport, mustExist, out, table } from './command-support.js';

const RUN_STATUSES: RunStatus[] = [
  'pending',
  'running',
  'waiting_human',
  'paused',
  'completed',
  'failed',
  'cancelled',
];
const TERMINAL_EVENTS = new Set(['run.completed', 'run.failed', 'run.cancelled']);

function eventLine(event: WorktrailEvent): string {
  return `${String(event.seq).padStart(4)}  ${event.timestamp}  ${event.type}${event.step_id ? `  ${event.step_id}` : ''}`;
}

/**
 * Adds `llmteam runs list|status`, `cancel`, `pause`, `resume` and `events [--follow]`: what
 * an operator does with runs, on the configured store.
 */
export function addRunsCommands(program: Command, { withEngine, configOption }: CommandSupport): void {
  const runs = program.command('runs').description('runs of a tenant');
  runs
    .command('list')
    .description('runs of a tenant, newest first')
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('-s, --status <status>', `only runs in this status (${RUN_STATUSES.join(', ')})`)
    .option('--segment <id>', 'only runs of this segment')
    .option('-n, --limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(
      async (opts: {
        tenant: string;
        status?: string;
        segment?: string;
        limit: string;
        json?: boolean;
        config?: string;
      }) => {
        if (opts.status && !RUN_STATUSES.includes(opts.status as RunStatus))
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `--status must be one of ${RUN_STATUSES.join(', ')}, got ${opts.status}`,
          );
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `--limit must be a whole number >= 1, got ${opts.limit}`,
          );
        await withEngine(opts.config, async (engine) => {
          await mustExist(engine, opts.tenant);
          const page = await engine.forTenant(opts.tenant).listRuns({
            limit,
            ...(opts.status ? { status: opts.status as RunStatus } : {}),
            ...(opts.segment ? { segmentId: opts.segment } : {}),
          });
          if (opts.json) return out(JSON.stringify(page.items, null, 2));
          if (page.items.length === 0) return out(`no runs in tenant ${opts.tenant}`);
          for (const line of table(
            ['ID', 'STATUS', 'SEGMENT', 'UPDATED'],
            page.items.map((r) => [r.runId, r.status, `${r.segmentId}@${r.segmentVersion}`, r.updatedAt]),
          ))
            out(line);
        });
      },
    );
  runs
    .command('status')
    .description('one run: status, segment, what it waits on, outputs or error')
    .argument('<runId>', 'run id')
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (runId: string, opts: { tenant: string; json?: boolean; config?: string }) => {
      await withEngine(opts.config, async (engine) => {
        const tenant = engine.forTenant(opts.tenant);
        const view = await tenant.getRun(runId);
        if (!view)
          throw new LlmteamError('LLMT_E_RUN_NOT_FOUND', `no run "${runId}" in tenant ${opts.tenant}`);
        const waiting = await tenant.waitingOn(runId);
        if (opts.json) return out(JSON.stringify({ ...view, waitingOn: waiting }, null, 2));
        const { run } = view;
        out(`run ${run.runId}`);
        out(`status ${run.status}`);
        out(`segment ${run.segmentId}@${run.segmentVersion}`);
        for (const step of view.steps) out(`  step ${step.stepId} ${step.status}`);
        for (const i of waiting.interactions) out(`waiting on ${i.interactionId} (${i.type}: ${i.title})`);
        if (run.outputs) out(`outputs ${JSON.stringify(run.outputs)}`);
        if (run.error) out(`error ${run.error.code}: ${run.error.message}`);
      });
    });

  const commands = [
    ['cancel', 'cancel a run (open requests are closed)'],
    ['pause', 'pause a run: no new step starts until resume'],
    ['resume', 'resume a paused run (the engine serving the store continues it)'],
  ] as const;
  for (const [name, description] of commands) {
    const command = program
      .command(name)
      .description(description)
      .argument('<runId>', 'run id')
      .option('-t, --tenant <id>', 'tenant', 'default');
    if (name === 'cancel') command.option('-r, --reason <text>', 'why, recorded with the cancellation');
    command
      .addOption(configOption())
      .action(async (runId: string, opts: { tenant: string; reason?: string; config?: string }) => {
        await withEngine(opts.config, async (engine) => {
          const tenant = engine.forTenant(opts.tenant, { subject: 'cli', roles: ['admin'] });
          const run =
            name === 'cancel'
              ? await tenant.cancelRun(runId, opts.reason)
              : name === 'pause'
                ? await tenant.pauseRun(runId)
                : await tenant.resumeRun(runId);
          out(`run ${run.runId} ${run.status}`);
        });
      });
  }

  program
    .command('events')
    .description("a run's events in seq order; --follow keeps printing until the run ends")
    .argument('<runId>', 'run id')
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('--after <seq>', 'only events after this seq', '0')
    .option('-f, --follow', 'follow live events until the run completes, fails or is cancelled')
    .option('--json', 'one JSON event per line')
    .addOption(configOption())
    .action(
      async (
        runId: string,
        opts: { tenant: string; after: string; follow?: boolean; json?: boolean; config?: string },
      ) => {
        const afterSeq = Number(opts.after);
        if (!Number.isInteger(afterSeq) || afterSeq < 0)
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `--after must be a whole number >= 0, got ${opts.after}`,
          );
        const print = (e: WorktrailEvent) => out(opts.json ? JSON.stringify(e) : eventLine(e));
        await withEngine(opts.config, async (engine) => {
          const tenant = engine.forTenant(opts.tenant);
          if (!opts.follow) {
            for (const e of await tenant.listEvents(runId, { afterSeq })) print(e);
            return;
          }
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once('SIGINT', onSignal);
          try {
            for await (const e of await tenant.events(runId, { afterSeq, signal: stop.signal })) {
              print(e);
              if (TERMINAL_EVENTS.has(e.type)) break;
            }
          } finally {
            process.off('SIGINT', onSignal);
          }
        });
      },
    );
}
