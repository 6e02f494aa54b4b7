import { type Engine, LlmteamError } from '@llmteam/core';
import type { Option } from 'commander';

/** Opens the configured store and engine for one command (started only when `start`). */
export type WithEngine = <T>(
  config: string | undefined,
  fn: (engine: Engine) => Promise<T>,
  options?: { start?: boolean },
) => Promise<T>;

/** What a command module needs from the command line it is added to. */
export interface CommandSupport {
  withEngine: WithEngine;
  /** A new `--config FILE` option. */
  configOption: () => Option;
}

/** Prints one line on stdout. */
export const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Refuses a tenant that does not exist (instead of answering as if it were empty). */
export async function mustExist(engine: Engine, tenantId: string): Promise<void> {
  if (!(await engine.forTenant(tenantId).getTenant()))
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `no tenant "${tenantId}" in this store`);
}

/** Lines of a table: a header row, then one row per item, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
