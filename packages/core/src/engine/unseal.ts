import { LlmteamError } from '../errors.js';
import { collectSealed } from '../sealing/sealed-value.js';
import type { RunDriver } from './run-driver.js';
import type { Transaction } from './transaction.js';
import type { Actor } from './types.js';

/** What to unseal: the run input (no `stepId`) or one step's outputs, and why. */
export interface UnsealOptions {
  /** The step whose outputs to open. @default the run input */
  stepId?: string;
  /** Why the values are read, kept in the audit entry. */
  reason?: string;
}

/** What an unseal returns: the plaintext and the sealed paths it opened. */
export interface UnsealResult {
  runId: string;
  stepId?: string;
  /** The run input or the step's outputs, with every sealed value opened. */
  value: unknown;
  /** Paths (JSON pointers) of the sealed values that were opened. */
  fields: string[];
}

/**
 * Opens a run's input or a step's outputs for a caller the gateway allowed to, and appends
 * a `run.unsealed` audit entry in a commit of the run: no plaintext is returned unless the
 * entry is stored.
 */
export async function unsealRun(
  withRun: <T>(fn: (driver: RunDriver, tx: Transaction) => Promise<T>) => Promise<T>,
  open: (value: unknown) => Promise<unknown>,
  actor: Actor,
  runId: string,
  options: UnsealOptions,
  nowIso: () => string,
): Promise<UnsealResult> {
  return withRun(async (driver, tx) => {
    let sealed: unknown;
    if (options.stepId === undefined) sealed = tx.run.input;
    else {
      if (!driver.graph.steps.has(options.stepId))
        throw new LlmteamError(
          'LLMT_E_INVALID_ARGUMENT',
          `run "${runId}" has no step "${options.stepId}"; name a step_id of its segment, or leave stepId out for the run input`,
        );
      sealed = driver.step(tx, options.stepId).outputs ?? null;
    }
    const fields = [...new Set(collectSealed(sealed).map((s) => s.$sealed.path || '/'))];
    const value = await open(sealed);
    tx.audit.push({
      tenantId: driver.tenantId,
      action: 'run.unsealed',
      actor: actor.subject,
      runId,
      target: options.stepId ?? 'input',
      timestamp: nowIso(),
      data: { fields, ...(options.reason ? { reason: options.reason } : {}) },
    });
    return { runId, ...(options.stepId ? { stepId: options.stepId } : {}), value, fields };
  });
}
