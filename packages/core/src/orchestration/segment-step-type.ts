import type { ExpressionCache } from '../catalog/builtins/expression.js';
import type { StepCommit } from '../catalog/step-hooks.js';
import type { ChildRunOutcome, StepContext, StepTypeDefinition } from '../catalog/types.js';
import { defineStepType } from '../catalog/types.js';
import { isLlmteamError, StepError } from '../errors.js';
import { isTerminalRun } from '../lifecycle/run-state.js';
import type { RunRecord } from '../store/types.js';

/** The config of a `segment` step (snake_case, as in segment JSON). */
export interface SegmentStepConfig {
  /** The child segment: a registered segment of the same tenant. */
  segment_id: string;
  /** The child's version. @default the latest version when the step starts (recorded in its events) */
  version?: string;
  /** JSONata over the step's input producing the child run's input. @default the input as it is */
  input?: string;
}

/** What a `segment` step keeps while its child runs. */
interface ChildPayload {
  child_run_id: string;
  segment_id: string;
  version: string;
}

const configSchema = {
  type: 'object',
  required: ['segment_id'],
  properties: {
    segment_id: { type: 'string', minLength: 1, description: 'The child segment to run.' },
    version: { type: 'string', minLength: 1, description: 'Pins the child segment to this version.' },
    input: { type: 'string', description: "JSONata over the step's input producing the child's input." },
  },
};

function isOutcome(value: unknown): value is ChildRunOutcome {
  return typeof value === 'object' && value !== null && (value as ChildRunOutcome).type === 'child_run';
}

function outcomeOf(run: RunRecord): ChildRunOutcome {
  return {
    type: 'child_run',
    run_id: run.runId,
    segment_id: run.segmentId,
    version: run.segmentVersion,
    status: run.status as ChildRunOutcome['status'],
    ...(run.outputs ? { outputs: run.outputs } : {}),
    ...(run.error ? { error: { code: run.error.code, message: run.error.message } } : {}),
  };
}

/** The step's outputs for a child that completed; throws the step's error for one that did not. */
function finish(stepId: string, outcome: ChildRunOutcome): Record<string, unknown> {
  if (outcome.status === 'completed') return { output: outcome.outputs ?? {} };
  throw StepError.nonRetryable(
    `segment step "${stepId}": child run ${outcome.run_id} of segment "${outcome.segment_id}" ${outcome.status}${outcome.error ? `: ${outcome.error.code} ${outcome.error.message}` : ''}`,
    {
      code: 'LLMT_E_CHILD_RUN_FAILED',
      details: { step: stepId, child_run_id: outcome.run_id, status: outcome.status, error: outcome.error },
    },
  );
}

/**
 * The `segment` step type: runs another registered segment as a child run and writes its
 * outputs (keyed by the child's terminal step ids, like a run's outputs) to `output`. The
 * child is started idempotently (its key derives from this step's idempotency key, so a
 * crash at any point starts no second child), waits without holding anything in memory,
 * is cancelled, paused and resumed with the parent, and its end is delivered to this step
 * durably (`ChildRunOutcome`). A child that fails or is cancelled fails the step with
 * `LLMT_E_CHILD_RUN_FAILED`.
 */
export function createSegmentStepType(expressions: ExpressionCache): StepTypeDefinition<SegmentStepConfig> {
  async function childInput(ctx: StepContext<SegmentStepConfig>): Promise<unknown> {
    if (!ctx.config.input) return ctx.input;
    try {
      const value = await expressions.evaluate(ctx.config.input, ctx.input);
      return value === undefined ? null : JSON.parse(JSON.stringify(value));
    } catch (error) {
      throw StepError.nonRetryable(
        `segment step "${ctx.stepId}", config.input: ${(error as Error).message}`,
        {
          code: 'LLMT_E_EXPRESSION',
          details: { step: ctx.stepId, field: 'config.input' },
        },
      );
    }
  }

  return defineStepType<SegmentStepConfig>({
    type: 'segment',
    displayName: 'Child segment',
    category: 'CONTROL',
    description:
      'Runs another segment as a child run (pinned to a version) with the input, and writes its outputs to `output`.',
    configSchema,
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    references(step) {
      const config = (step.config ?? {}) as Partial<SegmentStepConfig>;
      return typeof config.segment_id === 'string'
        ? [{ path: '.config.segment_id', segmentId: config.segment_id, version: config.version }]
        : [];
    },
    validate(step) {
      const syntax = expressions.syntaxError(step.config?.input);
      return syntax ? [['.config.input', `JSONata syntax error: ${syntax}`]] : [];
    },
    async handler(ctx) {
      // The child ended while the run was paused: its outcome arrives here on resume.
      if (isOutcome(ctx.resume)) return finish(ctx.stepId, ctx.resume);
      let run: RunRecord;
      try {
        run = await ctx.children.start({
          segmentId: ctx.config.segment_id,
          version: ctx.config.version,
          input: await childInput(ctx),
        });
      } catch (error) {
        if (
          isLlmteamError(error) &&
          (error.code === 'LLMT_E_SEGMENT_NOT_FOUND' || error.code === 'LLMT_E_CHILD_DEPTH')
        )
          throw StepError.nonRetryable(`segment step "${ctx.stepId}", config.segment_id: ${error.message}`, {
            code: error.code,
            details: { step: ctx.stepId, field: 'config.segment_id' },
            cause: error,
          });
        throw error;
      }
      // Started before a crash and already ended: finish without waiting.
      if (isTerminalRun(run.status)) return finish(ctx.stepId, outcomeOf(run));
      const payload: ChildPayload = {
        child_run_id: run.runId,
        segment_id: run.segmentId,
        version: run.segmentVersion,
      };
      return ctx.suspend(payload, {
        kind: 'action',
        children: [run.runId],
        events: [{ type: 'child_run.started', data: { ...payload } }],
      });
    },
    onSignal(commit: StepCommit, data: unknown) {
      const payload = commit.state.suspension?.payload as ChildPayload | undefined;
      // News of another child (an earlier attempt's) changes nothing.
      if (!isOutcome(data) || data.run_id !== payload?.child_run_id) return;
      try {
        commit.complete(finish(commit.stepId, data));
      } catch (error) {
        return commit.fail(error);
      }
    },
  });
}
