import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Engine, exportOcel, exportXes, LlmteamError } from '@llmteam/core';
import { Argument, type Command, type Option } from 'commander';

/** Options of `llmteam export`. */
export interface ExportCommandOptions {
  segment: string;
  tenant: string;
  from?: string;
  to?: string;
  out?: string;
  config?: string;
}

/** Writes text chunks to a file (atomically: a failed export leaves no half file) or to stdout. */
async function writeChunks(chunks: AsyncIterable<string>, out: string | undefined): Promise<void> {
  if (!out) {
    for await (const chunk of chunks) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    }
    return;
  }
  const target = resolve(out);
  const partial = `${target}.partial`;
  try {
    await pipeline(Readable.from(chunks), createWriteStream(partial));
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * Adds `llmteam export xes|ocel --segment ID [--from T --to T] [--out FILE]`: the runs
 * of a segment created within the range, as an XES (IEEE 1849) or OCEL 2.0 JSON log.
 */
export function addExportCommand(
  program: Command,
  withEngine: <T>(config: string | undefined, fn: (engine: Engine) => Promise<T>) => Promise<T>,
  configOption: () => Option,
): void {
  program
    .command('export')
    .description('export the runs of a segment as an XES (IEEE 1849) or OCEL 2.0 JSON event log')
    .addArgument(new Argument('<format>', 'xes or ocel').choices(['xes', 'ocel']))
    .requiredOption('-s, --segment <id>', 'segment whose runs to export')
    .option('-t, --tenant <id>', 'tenant', 'default')
    .option('--from <time>', 'only runs created at or after this ISO 8601 time')
    .option('--to <time>', 'only runs created at or before this ISO 8601 time')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .addOption(configOption())
    .action(async (format: 'xes' | 'ocel', opts: ExportCommandOptions) => {
      await withEngine(opts.config, async (engine) => {
        if (!(await engine.store.getSegment(opts.tenant, opts.segment))) {
          throw new LlmteamError(
            'LLMT_E_SEGMENT_NOT_FOUND',
            `no segment "${opts.segment}" in tenant ${opts.tenant}; list them with the segments query or pass --tenant`,
          );
        }
        const query = {
          segmentId: opts.segment,
          tenantId: opts.tenant,
          ...(opts.from ? { from: opts.from } : {}),
          ...(opts.to ? { to: opts.to } : {}),
        };
        const chunks = format === 'xes' ? exportXes(engine.store, query) : exportOcel(engine.store, query);
        await writeChunks(chunks, opts.out);
        if (opts.out) process.stderr.write(`wrote ${format} log of segment ${opts.segment} to ${opts.out}\n`);
      });
    });
}
