import type { StepCommit, StepTimerHandler } from '../catalog/step-hooks.js';
import type { Logger, SecretsProvider, StepContext, SuspendOptions } from '../catalog/types.js';
import type { SubjectDirectory } from '../directory/subject-directory.js';
import type { NotificationChannel } from '../notify/types.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';
import type { InteractionRecord, RunState, RunStateQuery, Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { IdGenerator } from '../util/ids.js';
import type { PersonAnswer, PersonDrafts, PersonRequest } from './step-context.js';
import type { CallScope, ListInteractionsQuery, RespondOptions } from './types.js';

/** What the engine lends the interaction desk: its services and commits bound to a step. */
export interface InteractionHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly channels: NotificationChannel[];
  readonly linkSecret: string;
  readonly publicUrl?: string;
  /** Scrubs resolved secrets from what channels are sent and what they answer. */
  readonly redactor: SecretRedactor;
  /** The engine's secrets (tenant providers first), which channels read by name. */
  readonly secrets: SecretsProvider;
  /** Group members (and their skills) for assignment strategies. */
  readonly directory?: SubjectDirectory;
  nowIso(): string;
  /**
   * Runs `fn` inside one commit of the run, bound to one of its steps; `state`, when the
   * caller read it already (`readRunState`), saves reading it again.
   */
  withStep<T>(
    tenantId: string,
    runId: string,
    stepId: string,
    fn: (commit: StepCommit) => T | Promise<T>,
    state?: RunState,
  ): Promise<T>;
  /** A run, its steps and open interactions in one read (see `readRunState`). */
  readRunState(tenantId: string, query: RunStateQuery): Promise<RunState | undefined>;
}

/**
 * The interaction desk the engine delegates to: requests made with `ctx.requestApproval` /
 * `ctx.requestInput`, answers (`engine.respond`), listing, and the timer kinds of requests
 * (deadlines, SLA, auto-approve), which fire for whichever step made the request. Core's
 * interaction module provides it; the engine knows only this shape.
 */
export interface InteractionPort {
  request(ctx: StepContext, type: 'approval' | 'input', options: PersonRequest): Promise<PersonAnswer>;
  /** Builds requests a step opens itself, as options for `ctx.suspend`. */
  draft(ctx: StepContext, requests: PersonDrafts): SuspendOptions;
  respond(interactionId: string, options: RespondOptions): Promise<InteractionRecord>;
  list(query: ListInteractionsQuery & CallScope): Promise<InteractionRecord[]>;
  /** Timer kinds the desk owns, for every step. */
  readonly timers: Record<string, StepTimerHandler>;
}

/** Makes the interaction desk of one engine. */
export type InteractionPortFactory = (host: InteractionHost) => InteractionPort;
