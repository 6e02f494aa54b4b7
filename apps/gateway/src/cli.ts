#!/usr/bin/env node
/**
 * The `llmteam` command: serve, validate, run, runs list|status, cancel, pause, resume, events,
 * audit verify|checkpoint|proof|verify-proof|public-key, export, keys create|list|revoke,
 * licence keygen|issue|verify, tenants list|show|create|update|suspend|resume|delete|usage,
 * approvals list, approve, reject. Errors are one line on stderr and exit code 1, never a stack.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  type Engine,
  isLlmteamError,
  OPEN_INTERACTION_STATUSES,
  type SegmentDefinition,
} from '@llmteam/core';
import { Command, Option } from 'commander';
import { ensureTenant } from './auth/api-keys.js';
import { addAuditCommands } from './cli/audit-command.js';
import { out, table } from './cli/command-support.js';
import { addKeysCommands } from './cli/keys-command.js';
import { addLicenceCommands } from './cli/licence-command.js';
import { addRetentionCommand } from './cli/retention-command.js';
import { addRunsCommands } from './cli/runs-command.js';
import { addTenantsCommands } from './cli/tenants-command.js';
import { createRuntime, type Runtime } from './config/create-runtime.js';
import { loadConfig } from './config/load-config.js';
import { addExportCommand } from './export-command.js';
import { createLogger } from './logger.js';
import { runUntilSignalled, serve } from './serve.js';
import { GATEWAY_VERSION } from './version.js';

/** An error whose message is already what the user should read. */
class CliError extends Error {}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The segments among a directory's `*.json` files (files that are no segment are left out). */
function segmentFiles(dir: string): SegmentDefinition[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (error) {
    throw new CliError(`cannot read the directory ${dir}: ${(error as Error).message}`);
  }
  return names.flatMap((name) => {
    try {
      const value = JSON.parse(readFileSync(join(dir, name), 'utf8')) as SegmentDefinition;
      return typeof value?.segment_id === 'string' && Array.isArray(value.steps) ? [value] : [];
    } catch {
      return [];
    }
  });
}

function parseJsonOption(value: string, name: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new CliError(`${name} is not valid JSON: ${value}`);
  }
}

/**
 * Loads config, store and plugins, runs `fn`, then closes everything. Only commands that
 * advance runs (`start`) start the engine's loop: a read-only command must not fire due
 * timers or take over another process's runs.
 */
async function withEngine<T>(
  config: string | undefined,
  fn: (engine: Engine, runtime: Runtime) => Promise<T>,
  options: { start?: boolean } = {},
): Promise<T> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', destination: process.stderr });
  const loaded = await loadConfig({ file: config ?? process.env.LLMTEAM_CONFIG });
  const runtime = await createRuntime({ loaded, logger });
  if (options.start) await runtime.engine.start();
  else await runtime.engine.store.init();
  try {
    return await fn(runtime.engine, runtime);
  } finally {
    await runtime.close();
  }
}

/** Builds the command (exported for tests). */
export function createCli(): Command {
  const program = new Command('llmteam')
    .description('llmteam: durable workflows for multi-agent LLM pipelines')
    .version(GATEWAY_VERSION)
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'llmteam: ')) });
  const configOption = () =>
    new Option(
      '-c, --config <file>',
      'llmteam.config.json|js|ts (default: LLMTEAM_CONFIG, else the one in the current directory, else SQLite under ./.llmteam/)',
    );

  program
    .command('serve')
    .description('serve the GraphQL gateway (HTTP and graphql-ws on /graphql)')
    .addOption(configOption())
    .option('-p, --port <port>', 'port to listen on', '4000')
    .option('--host <host>', 'interface to listen on (0.0.0.0 opens it to the network)', '127.0.0.1')
    .option('--segments <dir>', 'register every *.json segment of this directory for tenant default')
    .action(async (opts: { config?: string; port: string; host: string; segments?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError(`--port must be a port number, got ${opts.port}`);
      const served = await serve({
        config: opts.config ?? process.env.LLMTEAM_CONFIG,
        port,
        host: opts.host,
        ...(opts.segments ? { segmentsDir: opts.segments } : {}),
      });
      runUntilSignalled(served);
    });

  program
    .command('validate')
    .description('validate a segment; exit 1 listing every problem with its JSON path')
    .argument('<segment>', 'segment JSON file')
    .option(
      '--segments <dir>',
      "resolve the child segments it names among this directory's *.json files first (default: the file's directory), then the store",
    )
    .option('-t, --tenant <id>', 'tenant whose stored segments resolve references', 'default')
    .addOption(configOption())
    .action(async (file: string, opts: { config?: string; segments?: string; tenant: string }) => {
      const segment = readJson(file);
      const siblings = segmentFiles(opts.segments ?? dirname(resolve(file)));
      await withEngine(opts.config, async (engine) => {
        const result = await engine.validateWithReferences(segment, {
          tenantId: opts.tenant,
          segments: siblings,
        });
        if (result.valid) {
          out(`${file}: valid`);
          return;
        }
        process.stderr.write(
          `${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`,
        );
        for (const p of result.problems) process.stderr.write(`  ${p.path}: ${p.message} (${p.code})\n`);
        process.exitCode = 1;
      });
    });

  program
    .command('run')
    .description(
      'run a segment on the configured store until it ends or waits; print run id, status and outputs',
    )
    .argument('<segment>', 'segment JSON file')
    .option('-i, --input <json>', 'run input as JSON', '{}')
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('--timeout <seconds>', 'give up waiting after this long', '300')
    .option(
      '--run-timeout <duration>',
      "fail the run when it has not ended by then, waits included (ISO 8601 like PT4H, or seconds); overrides the segment's timeout",
    )
    .option(
      '--max-retries <n>',
      "retries of every step that sets no retry of its own; overrides the segment's max_retries",
    )
    .addOption(configOption())
    .action(
      async (
        file: string,
        opts: {
          input: string;
          tenant: string;
          timeout: string;
          runTimeout?: string;
          maxRetries?: string;
          config?: string;
        },
      ) => {
        const segment = readJson(file);
        const input = parseJsonOption(opts.input, '--input');
        if (opts.maxRetries !== undefined && !/^\d+$/.test(opts.maxRetries))
          throw new CliError(`--max-retries must be a whole number of retries, got ${opts.maxRetries}`);
        const limits = {
          ...(opts.runTimeout !== undefined
            ? { timeout: /^\d+(\.\d+)?$/.test(opts.runTimeout) ? Number(opts.runTimeout) : opts.runTimeout }
            : {}),
          ...(opts.maxRetries !== undefined ? { maxRetries: Number(opts.maxRetries) } : {}),
        };
        await withEngine(
          opts.config,
          async (engine) => {
            await ensureTenant(engine.store, opts.tenant, opts.tenant);
            const scope = { tenantId: opts.tenant, actor: { subject: 'cli' } };
            const started = await engine.startRun({ ...scope, segment, input, ...limits });
            const run = await engine.waitForRun(started.runId, {
              ...scope,
              timeoutMs: Number(opts.timeout) * 1000,
            });
            out(`run ${run.runId}`);
            out(`status ${run.status}`);
            if (run.outputs) out(`outputs ${JSON.stringify(run.outputs)}`);
            if (run.error) out(`error ${run.error.code}: ${run.error.message}`);
            if (run.status === 'waiting_human') {
              for (const i of (await engine.waitingOn(run.runId, scope)).interactions)
                out(`waiting on ${i.interactionId} (${i.type}: ${i.title})`);
            }
            if (run.status === 'failed' || run.status === 'cancelled') process.exitCode = 1;
          },
          { start: true },
        );
      },
    );

  const support = { withEngine, configOption };
  addAuditCommands(program, support);
  addExportCommand(program, (config, fn) => withEngine(config, fn), configOption);

  addKeysCommands(program, support);
  addLicenceCommands(program);
  addRunsCommands(program, support);
  addRetentionCommand(program, support);
  addTenantsCommands(program, support);

  const approvals = program.command('approvals').description('human requests');
  approvals
    .command('list')
    .description('open requests, earliest deadline first')
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('-a, --assignee <subject>', 'only requests this user (or group:name) may answer')
    .option('--all', 'include closed requests')
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print only the ids, one a line')
    .addOption(configOption())
    .action(
      async (opts: {
        tenant: string;
        assignee?: string;
        all?: boolean;
        json?: boolean;
        quiet?: boolean;
        config?: string;
      }) => {
        await withEngine(opts.config, async (engine) => {
          const list = await engine.listInteractions({
            tenantId: opts.tenant,
            ...(opts.all ? {} : { status: [...OPEN_INTERACTION_STATUSES] }),
            ...(opts.assignee ? { assignee: opts.assignee } : {}),
          });
          // Listed in SLA order by the engine: earliest breach (or deadline) first.
          if (opts.json) return out(JSON.stringify(list, null, 2));
          if (opts.quiet) {
            for (const i of list) out(i.interactionId);
            return;
          }
          if (list.length === 0) return out('no open requests');
          for (const line of table(
            ['ID', 'STATUS', 'PRIORITY', 'TYPE', 'RUN', 'DUE', 'TITLE'],
            list.map((i) => [
              i.interactionId,
              i.status,
              i.priority,
              i.type,
              i.runId,
              i.deadline ?? '-',
              i.title,
            ]),
          ))
            out(line);
        });
      },
    );

  const answer =
    (action: 'approve' | 'reject') =>
    async (
      id: string,
      opts: {
        tenant: string;
        as?: string;
        group?: string[];
        comment?: string;
        reason?: string;
        config?: string;
      },
    ) => {
      await withEngine(
        opts.config,
        async (engine) => {
          // Someone with the store file in hand is an admin of it; --as answers as a plain approver.
          const actor = opts.as
            ? { subject: opts.as, groups: opts.group ?? [], roles: ['approver'] }
            : { subject: 'cli', roles: ['admin'] };
          const comment = opts.comment ?? opts.reason;
          const interaction = await engine.respond(id, {
            tenantId: opts.tenant,
            actor,
            action,
            ...(comment ? { comment } : {}),
          });
          out(`${interaction.interactionId} ${interaction.status}`);
          const run = await engine.waitForRun(interaction.runId, {
            tenantId: opts.tenant,
            timeoutMs: 60_000,
          });
          out(`run ${run.runId} ${run.status}${run.outputs ? ` ${JSON.stringify(run.outputs)}` : ''}`);
        },
        { start: true },
      );
    };
  for (const action of ['approve', 'reject'] as const) {
    program
      .command(action)
      .description(`${action} a request`)
      .argument('<id>', 'interaction id')
      .option('-t, --tenant <id>', 'tenant', 'default')
      .option(
        '--as <subject>',
        'answer as this subject (checked against the assignees); default: as admin "cli"',
      )
      .option('-g, --group <group...>', 'groups of --as')
      .option(
        action === 'approve' ? '-m, --comment <text>' : '-m, --reason <text>',
        action === 'approve' ? 'comment' : 'reason',
      )
      .addOption(configOption())
      .action(answer(action));
  }
  return program;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await createCli().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const message =
      error instanceof CliError || isLlmteamError(error)
        ? error.message.split('\n')[0]
        : ((error as Error)?.message ?? String(error));
    process.stderr.write(`llmteam: ${message}\n`);
    return 1;
  }
}

// Run when executed directly (bin or `node --import tsx src/cli.ts`), not when imported.
const invoked = process.argv[1] ? resolve(process.argv[1]) : '';
if (invoked.endsWith('cli.js') || invoked.endsWith('cli.ts') || invoked.endsWith('llmteam')) {
  main().then((code) => {
    // serve keeps running; everything else exits with its code.
    if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
  });
}
