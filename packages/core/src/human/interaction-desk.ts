import type { StepCommit, StepTimerHandler } from '../catalog/step-hooks.js';
import type { StepContext, SuspendOptions } from '../catalog/types.js';
import type { InteractionHost, InteractionPort } from '../engine/interaction-port.js';
import type { Actor, CallScope, ListInteractionsQuery, RespondOptions } from '../engine/types.js';
import { DEFAULT_TENANT } from '../engine/types.js';
import { LlmteamError } from '../errors.js';
import type { NotificationReason } from '../notify/types.js';
import type { InteractionRecord, InteractionResponse, InteractionType, TimerRecord } from '../store/types.js';
import { CLOSED_INTERACTION_STATUSES, interactionDueKey } from '../store/types.js';
import { createAjv, type ValidateFunction } from '../util/ajv.js';
import type { InteractionAnswerAction } from '../worktrail/audit-actions.js';
import { checkAnswer, decideAnswer } from './answer-rules.js';
import { isAssignedTo, mayAnswer } from './assignees.js';
import { AssignmentDesk } from './assignment.js';
import { assigneesOf, draftInteraction } from './draft-interaction.js';
import { interactionTimers } from './interaction-timers.js';
import { Notifier } from './notifier.js';
import type { DraftRequest, HumanOutcome, HumanRequestOptions } from './types.js';

/** Per-step memory of answered requests, kept in the suspension payload. */
export interface HumanPayload {
  interactionId: string;
  answers: HumanOutcome[];
}

/**
 * What a step that opened several requests at once (`ctx.draftRequests`) keeps in its
 * suspension payload: each closing answer to one of them is delivered to the step as a
 * signal (its type's `onSignal`), in the answer's commit.
 */
export interface OpenRequestsPayload {
  interactionIds: string[];
}

/** Answers replayed to one handler invocation, and how many requests it made so far. */
interface CallState {
  index: number;
  answers: HumanOutcome[];
}

/**
 * Durable human interaction for any step: `ctx.requestApproval` / `ctx.requestInput`,
 * answers with authorization and exactly-once outcomes, durable timeouts, SLA warnings
 * and breaches, escalation, auto-approve, quorum, and notification routing. Nothing waits
 * in memory: every request lives in the store. A closing answer reaches its step as a
 * signal (`StepCommit.signal`), in the answer's commit.
 */
export class InteractionDesk implements InteractionPort {
  private readonly ajv = createAjv();
  /** Compiled input schemas by their JSON text (records read from a store are fresh objects). */
  private readonly validators = new Map<string, ValidateFunction>();
  /** Per handler invocation; lives exactly as long as its context object. */
  private readonly calls = new WeakMap<StepContext, CallState>();
  private readonly notifier: Notifier;
  readonly timers: Record<string, StepTimerHandler>;

  private readonly assignments: AssignmentDesk;

  constructor(readonly host: InteractionHost) {
    this.assignments = new AssignmentDesk(host.store, host.directory);
    this.notifier = new Notifier(host);
    this.timers = interactionTimers(this);
  }

  notify(tenantId: string, interaction: InteractionRecord, reason: NotificationReason): Promise<void> {
    return this.notifier.notify(tenantId, interaction, reason);
  }

  /**
   * Asks a person from inside any handler: the k-th call of a handler invocation returns
   * the k-th answer, suspending the step durably until it exists.
   */
  async request(
    ctx: StepContext,
    defaultType: InteractionType,
    options: HumanRequestOptions,
  ): Promise<HumanOutcome> {
    const type = options.type ?? defaultType;
    let state = this.calls.get(ctx);
    if (!state) {
      const payload = ctx.suspended as HumanPayload | undefined;
      const answers = Array.isArray(payload?.answers) ? [...payload.answers] : [];
      const resumed = ctx.resume as HumanOutcome | undefined;
      if (
        resumed?.interactionId &&
        resumed.interactionId === payload?.interactionId &&
        !answers.some((a) => a.interactionId === resumed.interactionId)
      ) {
        answers.push(resumed);
      }
      state = { index: 0, answers };
      this.calls.set(ctx, state);
    }
    const index = state.index++;
    if (state.answers[index]) return state.answers[index];

    const interactionId = ctx.newId('int');
    // The parent is the answer before this one in the same invocation, or (first request of a
    // revision) the step's latest request; a first pass has none, so it reads nothing.
    const earlier = index > 0 ? state.answers[index - 1] : undefined;
    const previous:
      | Pick<InteractionRecord, 'interactionId' | 'outcome' | 'revision' | 'feedbackHistory'>
      | undefined = earlier
      ? {
          interactionId: earlier.interactionId,
          outcome: {
            action: earlier.action,
            subject: earlier.subject,
            value: earlier.value,
            comment: earlier.comment,
            at: '',
          },
          revision: ctx.iteration,
          feedbackHistory: earlier.feedbackHistory,
        }
      : ctx.iteration > 0
        ? await this.previousOf(ctx.tenantId, ctx.runId, ctx.stepId)
        : undefined;
    // A group request with an `assignment` goes to the member chosen now (read from the store).
    const assigned = options.assignment
      ? await this.assignments.apply(ctx, options.assignment, assigneesOf(options), interactionId)
      : undefined;
    const suspend = this.draft(ctx, [{ ...options, type, interactionId, assigned }], previous);
    return ctx.suspend({ interactionId, answers: [...state.answers] } satisfies HumanPayload, suspend);
  }

  /**
   * Builds requests a step opens itself (`ctx.draftRequests`): the interaction records, their
   * timers (deadline, SLA, auto-approve), `interaction.requested` events and the
   * notification, as options for `ctx.suspend`.
   */
  draft(
    ctx: StepContext,
    requests: DraftRequest[],
    previous?: Pick<InteractionRecord, 'interactionId' | 'outcome' | 'revision' | 'feedbackHistory'>,
  ): SuspendOptions {
    const interactions: InteractionRecord[] = [];
    const timers: TimerRecord[] = [];
    const events: NonNullable<SuspendOptions['events']> = [];
    for (const options of requests) {
      const drafted = draftInteraction(ctx, options, previous);
      interactions.push(drafted.interaction);
      timers.push(...drafted.timers);
      events.push(...drafted.events);
    }
    return {
      kind: 'human',
      interactions,
      timers,
      events,
      afterCommit: () => {
        for (const r of requests)
          if (r.assigned?.assignment && r.interactionId)
            this.assignments.settle(ctx.tenantId, r.assigned.assignment.group, r.interactionId);
        for (const i of interactions) void this.notify(ctx.tenantId, i, 'requested');
      },
    };
  }

  /** The step's latest earlier request: the parent of a revision. */
  private async previousOf(
    tenantId: string,
    runId: string,
    stepId: string,
  ): Promise<InteractionRecord | undefined> {
    const all = await this.host.store.listInteractions(tenantId, { runId });
    let latest: InteractionRecord | undefined;
    for (const i of all) {
      if (i.stepId !== stepId) continue;
      if (
        !latest ||
        i.createdAt > latest.createdAt ||
        (i.createdAt === latest.createdAt && i.interactionId > latest.interactionId)
      )
        latest = i;
    }
    return latest;
  }

  // ---- answers ----

  async respond(interactionId: string, options: RespondOptions): Promise<InteractionRecord> {
    const tenantId = options.tenantId ?? DEFAULT_TENANT;
    const actor: Actor = options.actor ?? { subject: 'system', roles: ['admin'] };
    // The request with its run's state, in one read: the answer's commit needs nothing more.
    const state = await this.host.readRunState(tenantId, { interactionId });
    const found = state?.interactions.find((i) => i.interactionId === interactionId);
    if (!found)
      throw new LlmteamError(
        'LLMT_E_INTERACTION_NOT_FOUND',
        `interaction "${interactionId}" does not exist in tenant "${tenantId}"`,
      );
    return this.host.withStep(
      tenantId,
      found.runId,
      found.stepId,
      async (commit) => {
        const current = (await commit.interaction(interactionId))!;
        if (CLOSED_INTERACTION_STATUSES.has(current.status)) {
          throw new LlmteamError(
            'LLMT_E_INTERACTION_CLOSED',
            `interaction "${interactionId}" is already ${current.status}${current.outcome ? ` (${current.outcome.action} by ${current.outcome.subject})` : ''}; the answer was not applied`,
          );
        }
        if (!mayAnswer(current, actor)) {
          throw new LlmteamError(
            'LLMT_E_NOT_ASSIGNEE',
            `${actor.subject} may not answer interaction "${interactionId}"; it is assigned to ${[...current.assignees.users, ...current.assignees.groups.map((g) => `group:${g}`)].join(', ') || 'nobody'}`,
          );
        }
        checkAnswer(current, options, (schema) => this.validatorFor(schema));
        const response: InteractionResponse = {
          action: options.action,
          subject: actor.subject,
          value: options.value,
          comment: options.comment,
          at: this.host.nowIso(),
        };
        const outcome = decideAnswer(current, response, actor);
        return this.apply(commit, current, response, outcome, actor);
      },
      state,
    );
  }

  private validatorFor(schema: object): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      try {
        validate = this.ajv.compile(schema);
      } catch (error) {
        throw new LlmteamError(
          'LLMT_E_INVALID_ARGUMENT',
          `the request's input_schema is not a valid JSON Schema: ${(error as Error).message}`,
          { cause: error },
        );
      }
      this.validators.set(key, validate);
    }
    return validate;
  }

  /**
   * Records an answer in `commit`; a closing one removes the request's timers and is
   * delivered to the waiting step as a signal (its type's `onSignal`, or a re-run of the
   * handler, whose `ctx.requestApproval` then returns it).
   */
  async apply(
    commit: StepCommit,
    current: InteractionRecord,
    response: InteractionResponse,
    outcome: InteractionResponse | undefined,
    actor: Actor,
  ): Promise<InteractionRecord> {
    const now = this.host.nowIso();
    const updated: InteractionRecord = {
      ...current,
      responses: [...current.responses, response],
      status: outcome
        ? outcome.action === 'reject'
          ? 'rejected'
          : outcome.action === 'timeout'
            ? 'timeout'
            : 'completed'
        : 'in_progress',
      outcome,
      updatedAt: now,
    };
    commit.putInteraction(updated);
    commit.emit(outcome?.action === 'timeout' ? 'interaction.timed_out' : 'interaction.responded', {
      interaction_id: current.interactionId,
      action: response.action,
      by: response.subject,
      final: outcome !== undefined,
    });
    commit.audit({
      // answer-rules admitted only the actions of InteractionAnswerAction
      action: `interaction.${response.action as InteractionAnswerAction}`,
      actor: actor.subject,
      target: current.interactionId,
      data: { final: outcome !== undefined, comment: response.comment, groups: actor.groups ?? [] },
    });
    if (outcome) {
      for (const id of (current.settings.timerIds as string[] | undefined) ?? []) commit.removeTimer(id);
      const payload = commit.state.suspension?.payload as
        | Partial<HumanPayload & OpenRequestsPayload>
        | undefined;
      if (
        payload?.interactionId === current.interactionId ||
        (Array.isArray(payload?.interactionIds) && payload.interactionIds.includes(current.interactionId))
      ) {
        const result: HumanOutcome = {
          interactionId: current.interactionId,
          action: outcome.action,
          subject: outcome.subject,
          value: outcome.value,
          comment: outcome.comment,
          responses: updated.responses,
          ...(updated.feedbackHistory ? { feedbackHistory: updated.feedbackHistory } : {}),
        };
        await commit.signal(result);
      }
    }
    return updated;
  }

  // ---- queries ----

  async list(query: ListInteractionsQuery & CallScope): Promise<InteractionRecord[]> {
    const tenantId = query.tenantId ?? DEFAULT_TENANT;
    const mine = (i: InteractionRecord) =>
      !query.assignee ||
      isAssignedTo(i, query.assignee, query.actor?.subject === query.assignee ? query.actor?.groups : []);
    if (query.limit !== undefined) {
      // Pages in the store's SLA order until `limit` requests of the assignee are found.
      const page: InteractionRecord[] = [];
      const size = Math.max(100, query.limit * 2);
      for (let after = query.after; page.length < query.limit; ) {
        const batch = await this.host.store.listInteractions(tenantId, {
          status: query.status,
          runId: query.runId,
          order: 'due',
          limit: size,
          ...(after ? { after } : {}),
        });
        for (const i of batch) if (page.length < query.limit && mine(i)) page.push(i);
        if (batch.length < size) break;
        after = interactionDueKey(batch[batch.length - 1]);
      }
      return page;
    }
    const all = await this.host.store.listInteractions(tenantId, {
      status: query.status,
      runId: query.runId,
    });
    const filtered = all.filter(mine);
    // The order of the store's due index, also for closed requests (which it does not hold).
    return filtered
      .map((i) => [interactionDueKey(i), i] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, i]) => i);
  }
}
