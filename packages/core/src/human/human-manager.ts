import { randomBytes } from 'node:crypto';
import type { StepContext, SuspendOptions } from '../catalog/types.js';
import type { EngineInternals } from '../engine/internals.js';
import type { RunDriver } from '../engine/run-driver.js';
import type { Transaction } from '../engine/transaction.js';
import type { Actor, CallScope, ListInteractionsQuery, RespondOptions } from '../engine/types.js';
import { DEFAULT_TENANT } from '../engine/types.js';
import { LlmteamError } from '../errors.js';
import { signResponseToken } from '../notify/response-token.js';
import type { NotificationChannel, NotificationReason } from '../notify/types.js';
import type { InteractionRecord, InteractionResponse, InteractionType, TimerRecord } from '../store/types.js';
import { CLOSED_INTERACTION_STATUSES, OPEN_INTERACTION_STATUSES } from '../store/types.js';
import { createAjv, type ValidateFunction } from '../util/ajv.js';
import { parseDuration } from '../util/duration.js';
import { isAssignedTo, mayAnswer, parseAssignees } from './assignees.js';
import { humanTaskOutputs, runHumanTask } from './human-task-handler.js';
import type { HumanOutcome, HumanRequestOptions } from './types.js';

export type { HumanOutcome, HumanRequestOptions };

const CLOSED = CLOSED_INTERACTION_STATUSES;
/** How long a channel may take before its delivery counts as failed. */
const CHANNEL_TIMEOUT_MS = 15_000;
/** Lifetime of a signed answer link when the request has no deadline: 7 days. */
const LINK_TTL_MS = 7 * 24 * 3600 * 1000;

/** Per-step memory of answered requests, kept in the suspension payload. */
interface HumanPayload {
  interactionId: string;
  answers: HumanOutcome[];
}

/** Answers replayed to one handler invocation, and how many requests it made so far. */
interface CallState {
  index: number;
  answers: HumanOutcome[];
}

type Quorum = string[] | { group?: string; count: number };

/** The engine as the manager needs it. */
type HumanEngine = EngineInternals & {
  channels: NotificationChannel[];
  publicUrl?: string;
  linkSecret: string;
  withRun: <T>(
    tenantId: string,
    runId: string,
    fn: (driver: RunDriver, tx: Transaction) => T | Promise<T>,
  ) => Promise<T>;
};

/** Assignees of a new request: `assignee`, plus the quorum's users or group (they answer too). */
function assigneesOf(options: HumanRequestOptions): { users: string[]; groups: string[] } {
  const { users, groups } = parseAssignees(options.assignee);
  const quorum = options.required_approvers;
  if (Array.isArray(quorum)) {
    for (const u of parseAssignees(quorum).users) if (!users.includes(u)) users.push(u);
  } else if (quorum?.group && !groups.includes(quorum.group)) {
    groups.push(quorum.group);
  }
  return { users, groups };
}

/**
 * Durable human interaction: the `human_task` step type, `ctx.requestApproval` /
 * `ctx.requestInput`, answers with authorization and exactly-once outcomes, durable
 * timeouts, SLA warnings and breaches, escalation, auto-approve, quorum, and notification
 * routing. Nothing waits in memory: every request lives in the store.
 */
export class HumanManager {
  private readonly ajv = createAjv();
  /** Compiled input schemas by their JSON text (records read from a store are fresh objects). */
  private readonly validators = new Map<string, ValidateFunction>();
  /** Per handler invocation; lives exactly as long as its context object. */
  private readonly calls = new WeakMap<StepContext, CallState>();

  constructor(private readonly engine: HumanEngine) {
    const existing = engine.catalog.get('human_task');
    // The handler asks through ctx.requestApproval, so a catalog shared by two engines serves both.
    if (existing && !existing.handler)
      engine.catalog.register({ ...existing, handler: runHumanTask }, { replace: true });
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

    const now = ctx.clock.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    const interactionId = ctx.newId('int');
    // The parent is the answer before this one in the same invocation, or (first request of a
    // revision) the step's latest request; a first pass has none, so it reads nothing.
    const earlier = index > 0 ? state.answers[index - 1] : undefined;
    const previous: Pick<InteractionRecord, 'interactionId' | 'outcome'> | undefined = earlier
      ? {
          interactionId: earlier.interactionId,
          outcome: {
            action: earlier.action,
            subject: earlier.subject,
            value: earlier.value,
            comment: earlier.comment,
            at: '',
          },
        }
      : ctx.iteration > 0
        ? await this.previousOf(ctx.tenantId, ctx.runId, ctx.stepId)
        : undefined;
    const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
    const timers: TimerRecord[] = [];
    const addTimer = (kind: string, ms: number) => {
      timers.push({
        timerId: ctx.newId('tmr'),
        tenantId: ctx.tenantId,
        runId: ctx.runId,
        stepId: ctx.stepId,
        kind,
        dueAt: iso(ms),
        payload: { interactionId },
      });
    };
    if (timeoutMs !== undefined) addTimer('interaction.timeout', timeoutMs);
    const slaWarningMs =
      options.sla_warning === undefined ? undefined : parseDuration(options.sla_warning, 'sla_warning');
    const slaBreachMs =
      options.sla_breach === undefined ? undefined : parseDuration(options.sla_breach, 'sla_breach');
    if (slaWarningMs !== undefined) addTimer('interaction.sla_warning', slaWarningMs);
    if (slaBreachMs !== undefined) addTimer('interaction.sla_breach', slaBreachMs);
    if (options.auto_approve_after !== undefined)
      addTimer('interaction.auto_approve', parseDuration(options.auto_approve_after, 'auto_approve_after'));
    const revision = ctx.iteration;
    const interaction: InteractionRecord = {
      interactionId,
      tenantId: ctx.tenantId,
      runId: ctx.runId,
      stepId: ctx.stepId,
      type,
      status: 'pending',
      priority: options.priority ?? 'normal',
      title: options.title,
      description: options.description,
      assignees: assigneesOf(options),
      options: options.options,
      inputSchema: options.inputSchema,
      escalationLevel: 0,
      revision,
      parentId: previous?.interactionId,
      previousFeedback:
        previous?.outcome?.action === 'request_changes'
          ? String(previous.outcome.comment ?? previous.outcome.value ?? '')
          : undefined,
      responses: [],
      deadline: timeoutMs === undefined ? undefined : iso(timeoutMs),
      slaWarningAt: slaWarningMs === undefined ? undefined : iso(slaWarningMs),
      slaBreachAt: slaBreachMs === undefined ? undefined : iso(slaBreachMs),
      settings: {
        timerIds: timers.map((t) => t.timerId),
        timeoutMs,
        onTimeout: options.on_timeout ?? (options.escalation_chain?.length ? 'escalate' : undefined),
        escalationChain: options.escalation_chain ?? [],
        requiredApprovers: options.required_approvers,
        maxRevisions: options.max_revisions,
        context: options.context,
      },
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
    };
    const suspend: SuspendOptions = {
      kind: 'human',
      interactions: [interaction],
      timers,
      events: [
        {
          type: 'interaction.requested',
          data: {
            interaction_id: interactionId,
            type,
            priority: interaction.priority,
            assignees: interaction.assignees,
            revision,
            parent_id: interaction.parentId,
            previous_feedback: interaction.previousFeedback,
            deadline: interaction.deadline,
          },
        },
      ],
    };
    return ctx.suspend({ interactionId, answers: [...state.answers] } satisfies HumanPayload, suspend);
  }

  /** The step's latest earlier request: the parent of a revision. */
  private async previousOf(
    tenantId: string,
    runId: string,
    stepId: string,
  ): Promise<InteractionRecord | undefined> {
    const all = await this.engine.store.listInteractions(tenantId, { runId });
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

  // ---- hooks called by the driver ----

  async cancelOpen(driver: RunDriver, tx: Transaction): Promise<void> {
    const open = await this.engine.store.listInteractions(driver.tenantId, {
      runId: driver.runId,
      status: [...OPEN_INTERACTION_STATUSES],
    });
    for (const i of open) {
      if (tx.interactions.has(i.interactionId)) continue;
      tx.interactions.set(i.interactionId, { ...i, status: 'cancelled', updatedAt: this.engine.nowIso() });
    }
  }

  afterSuspend(driver: RunDriver, tx: Transaction, options: SuspendOptions): void {
    for (const interaction of options.interactions ?? [])
      tx.after.push(() => void this.notify(driver.tenantId, interaction, 'requested'));
  }

  // ---- answers ----

  async respond(interactionId: string, options: RespondOptions): Promise<InteractionRecord> {
    const tenantId = options.tenantId ?? DEFAULT_TENANT;
    const actor: Actor = options.actor ?? { subject: 'system', roles: ['admin'] };
    const found = await this.engine.store.getInteraction(tenantId, interactionId);
    if (!found)
      throw new LlmteamError(
        'LLMT_E_INTERACTION_NOT_FOUND',
        `interaction "${interactionId}" does not exist in tenant "${tenantId}"`,
      );
    return this.engine.withRun(tenantId, found.runId, async (driver, tx) => {
      const current =
        tx.interactions.get(interactionId) ??
        (await this.engine.store.getInteraction(tenantId, interactionId))!;
      if (CLOSED.has(current.status)) {
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
      this.checkAnswer(current, options);
      const response: InteractionResponse = {
        action: options.action,
        subject: actor.subject,
        value: options.value,
        comment: options.comment,
        at: this.engine.nowIso(),
      };
      const outcome = this.decide(current, response, actor);
      return this.apply(driver, tx, current, response, outcome, actor);
    });
  }

  private checkAnswer(i: InteractionRecord, o: RespondOptions): void {
    const invalid = (message: string, details?: Record<string, unknown>) =>
      new LlmteamError('LLMT_E_RESPONSE_INVALID', message, { details });
    const allowed: Record<InteractionType, string[]> = {
      approval: ['approve', 'reject'],
      review: ['approve', 'reject', 'request_changes'],
      choice: ['respond', 'reject'],
      input: ['respond', 'reject'],
      task: ['respond', 'approve', 'reject'],
      chat: ['message', 'close', 'reject'],
    };
    if (!allowed[i.type].includes(o.action)) {
      throw invalid(`a ${i.type} request takes ${allowed[i.type].join(', ')}, not "${o.action}"`);
    }
    if (o.action === 'request_changes') {
      const max = (i.settings.maxRevisions as number | undefined) ?? 3;
      if (i.revision >= max) {
        throw new LlmteamError(
          'LLMT_E_MAX_REVISIONS',
          `interaction "${i.interactionId}" is revision ${i.revision} of at most ${max}; approve or reject it`,
        );
      }
      if (!o.comment && (o.value === undefined || o.value === null || o.value === ''))
        throw invalid('request_changes needs feedback: say what should change');
    }
    if (i.type === 'choice' && o.action === 'respond') {
      const values = (i.options ?? []).map((opt) =>
        typeof opt === 'object' && opt !== null && 'value' in opt ? (opt as { value: unknown }).value : opt,
      );
      if (!values.some((v) => JSON.stringify(v) === JSON.stringify(o.value))) {
        throw invalid(`${JSON.stringify(o.value)} is not one of the options ${JSON.stringify(values)}`, {
          options: values,
        });
      }
    }
    if (i.type === 'input' && o.action === 'respond' && i.inputSchema) {
      const validate = this.validatorFor(i.inputSchema as object);
      if (!validate(o.value)) {
        const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(answer)'} ${e.message}`);
        throw invalid(`the answer does not match the input schema: ${errors.join('; ')}`, { errors });
      }
    }
    if (
      i.type === 'chat' &&
      o.action === 'message' &&
      typeof o.value !== 'string' &&
      typeof o.comment !== 'string'
    ) {
      throw invalid('a chat message needs text in `value` or `comment`');
    }
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

  /** The closing answer, or undefined while more answers are needed (quorum, chat). */
  private decide(
    i: InteractionRecord,
    response: InteractionResponse,
    actor: Actor,
  ): InteractionResponse | undefined {
    if (response.action === 'message') return undefined;
    const quorum = i.settings.requiredApprovers as Quorum | undefined;
    if (!quorum || response.action !== 'approve') return response;
    if (i.responses.some((r) => r.action === 'approve' && r.subject === actor.subject)) {
      throw new LlmteamError(
        'LLMT_E_RESPONSE_INVALID',
        `${actor.subject} already approved "${i.interactionId}"; another approver is needed`,
      );
    }
    const approvers = new Set([
      ...i.responses.filter((r) => r.action === 'approve').map((r) => r.subject),
      actor.subject,
    ]);
    if (Array.isArray(quorum)) {
      // `alice` and `user:alice` name the same approver.
      const required = parseAssignees(quorum).users;
      if (!required.includes(actor.subject) && !actor.roles?.includes('admin')) {
        throw new LlmteamError(
          'LLMT_E_NOT_ASSIGNEE',
          `${actor.subject} is not one of the required approvers ${required.join(', ')}`,
        );
      }
      return required.every((u) => approvers.has(u)) ? response : undefined;
    }
    if (quorum.group && !actor.groups?.includes(quorum.group) && !actor.roles?.includes('admin')) {
      throw new LlmteamError(
        'LLMT_E_NOT_ASSIGNEE',
        `${actor.subject} is not in group "${quorum.group}", whose approvals count towards the quorum`,
      );
    }
    return approvers.size >= quorum.count ? response : undefined;
  }

  private apply(
    driver: RunDriver,
    tx: Transaction,
    current: InteractionRecord,
    response: InteractionResponse,
    outcome: InteractionResponse | undefined,
    actor: Actor,
  ): InteractionRecord {
    const now = this.engine.nowIso();
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
    tx.interactions.set(updated.interactionId, updated);
    tx.emit(
      outcome?.action === 'timeout' ? 'interaction.timed_out' : 'interaction.responded',
      current.stepId,
      {
        interaction_id: current.interactionId,
        action: response.action,
        by: response.subject,
        final: outcome !== undefined,
      },
    );
    tx.audit.push({
      tenantId: current.tenantId,
      action: `interaction.${response.action}`,
      actor: actor.subject,
      runId: current.runId,
      target: current.interactionId,
      timestamp: now,
      data: { final: outcome !== undefined, comment: response.comment, groups: actor.groups ?? [] },
    });
    if (outcome) {
      for (const id of (current.settings.timerIds as string[] | undefined) ?? [])
        if (!tx.timersConsume.includes(id)) tx.timersRemove.push(id);
      const rec = driver.step(tx, current.stepId);
      const payload = rec.suspension?.payload as HumanPayload | undefined;
      if (rec.status === 'waiting' && rec.suspension && payload?.interactionId === current.interactionId) {
        const result: HumanOutcome = {
          interactionId: current.interactionId,
          action: outcome.action,
          subject: outcome.subject,
          value: outcome.value,
          comment: outcome.comment,
          responses: updated.responses,
        };
        if (tx.run.status !== 'paused') tx.run.status = 'running';
        const def = driver.graph.steps.get(current.stepId);
        // The built-in human_task needs no second call: its ports follow from the answer, so
        // the step completes in this very commit and the next step starts with it.
        if (
          tx.run.status === 'running' &&
          def?.step_type === 'human_task' &&
          this.engine.catalog.get('human_task')?.handler === runHumanTask &&
          (payload.answers?.length ?? 0) === 0
        ) {
          try {
            const all = driver.inputsOf(tx, current.stepId).inputs;
            const declared = def.inputs;
            const input = declared && declared.length > 1 ? all : all[declared?.[0]?.port_id ?? 'input'];
            const outputs = humanTaskOutputs(def.config ?? {}, input, rec.iteration, result);
            driver.completeStep(tx, rec, outputs);
            return updated;
          } catch {
            // The answer fails the step (on_timeout: fail): let the handler raise it.
          }
        }
        driver.setStep(tx, {
          ...rec,
          status: 'pending',
          suspension: {
            ...rec.suspension,
            resume: result,
            pending: true,
            resumes: rec.suspension.resumes + 1,
          },
        });
      }
    }
    return updated;
  }

  // ---- timers ----

  timerHandlers(): Array<
    [string, (driver: RunDriver, tx: Transaction, timer: TimerRecord) => Promise<void>]
  > {
    const open = async (tx: Transaction, timer: TimerRecord) => {
      const id = timer.payload?.interactionId as string;
      const i = tx.interactions.get(id) ?? (await this.engine.store.getInteraction(timer.tenantId, id));
      // A timer acts only on an interaction of its own run.
      return i && i.runId === timer.runId && !CLOSED.has(i.status) ? i : undefined;
    };
    const system: Actor = { subject: 'system', roles: ['admin'] };
    return [
      [
        'interaction.timeout',
        async (driver, tx, timer) => {
          const i = await open(tx, timer);
          if (!i) return;
          const chain = (i.settings.escalationChain as Array<string | string[]>) ?? [];
          const onTimeout = i.settings.onTimeout as string | undefined;
          if (onTimeout === 'escalate' && i.escalationLevel < chain.length) {
            const level = i.escalationLevel + 1;
            const assignees = parseAssignees(chain[level - 1]);
            const timeoutMs = i.settings.timeoutMs as number;
            const next: TimerRecord = {
              ...timer,
              timerId: this.engine.ids('tmr'),
              dueAt: new Date(this.engine.clock.now() + timeoutMs).toISOString(),
            };
            tx.timersAdd.push(next);
            const escalated: InteractionRecord = {
              ...i,
              status: 'escalated',
              escalationLevel: level,
              assignees,
              deadline: next.dueAt,
              settings: {
                ...i.settings,
                timerIds: [
                  ...((i.settings.timerIds as string[]) ?? []).filter((t) => t !== timer.timerId),
                  next.timerId,
                ],
              },
              updatedAt: this.engine.nowIso(),
            };
            tx.interactions.set(i.interactionId, escalated);
            tx.emit('interaction.escalated', i.stepId, { interaction_id: i.interactionId, level, assignees });
            tx.audit.push({
              tenantId: i.tenantId,
              action: 'interaction.escalated',
              actor: 'system',
              runId: i.runId,
              target: i.interactionId,
              timestamp: this.engine.nowIso(),
              data: { level },
            });
            tx.after.push(() => void this.notify(i.tenantId, escalated, 'escalated'));
            return;
          }
          const action = onTimeout === 'approve' ? 'approve' : onTimeout === 'reject' ? 'reject' : 'timeout';
          const response: InteractionResponse = {
            action,
            subject: 'system',
            at: this.engine.nowIso(),
            comment: 'timed out',
          };
          this.apply(driver, tx, i, response, response, system);
          if (action !== 'timeout')
            tx.emit('interaction.timed_out', i.stepId, {
              interaction_id: i.interactionId,
              resolved_as: action,
            });
        },
      ],
      [
        'interaction.auto_approve',
        async (driver, tx, timer) => {
          const i = await open(tx, timer);
          if (!i) return;
          const response: InteractionResponse = {
            action: 'approve',
            subject: 'system:auto-approve',
            at: this.engine.nowIso(),
            comment: 'approved automatically',
          };
          this.apply(driver, tx, i, response, response, { subject: 'system:auto-approve', roles: ['admin'] });
        },
      ],
      [
        'interaction.sla_warning',
        async (_driver, tx, timer) => {
          const i = await open(tx, timer);
          if (!i) return;
          tx.emit('interaction.sla_warning', i.stepId, {
            interaction_id: i.interactionId,
            breach_at: i.slaBreachAt ?? i.deadline,
          });
          tx.after.push(() => void this.notify(i.tenantId, i, 'sla_warning'));
        },
      ],
      [
        'interaction.sla_breach',
        async (_driver, tx, timer) => {
          const i = await open(tx, timer);
          if (!i) return;
          tx.emit('interaction.sla_breached', i.stepId, { interaction_id: i.interactionId });
          tx.audit.push({
            tenantId: i.tenantId,
            action: 'interaction.sla_breached',
            actor: 'system',
            runId: i.runId,
            target: i.interactionId,
            timestamp: this.engine.nowIso(),
          });
          tx.after.push(() => void this.notify(i.tenantId, i, 'sla_breached'));
        },
      ],
    ];
  }

  // ---- notifications ----

  /**
   * Tells every channel that takes this priority, all at once, without waiting for any of
   * them: a failing or slow channel never blocks the run or the other channels. Each
   * channel's result lands in its own `interaction.notified` event as soon as it is known.
   */
  notify(tenantId: string, interaction: InteractionRecord, reason: NotificationReason): Promise<void> {
    const channels = this.engine.channels.filter(
      (c) => !c.priorities?.length || c.priorities.includes(interaction.priority),
    );
    return Promise.all(
      channels.map((channel) =>
        this.deliver(channel, tenantId, interaction, reason).then((result) =>
          this.record(tenantId, interaction, reason, result),
        ),
      ),
    ).then(() => undefined);
  }

  private async deliver(
    channel: NotificationChannel,
    tenantId: string,
    interaction: InteractionRecord,
    reason: NotificationReason,
  ): Promise<Record<string, unknown>> {
    const { timerIds: _timers, ...visibleSettings } = interaction.settings;
    const visible: InteractionRecord = { ...interaction, settings: visibleSettings };
    const base = this.engine.publicUrl?.replace(/\/$/, '');
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new LlmteamError(
          'LLMT_E_CHANNEL',
          `channel "${channel.name}" did not answer within ${CHANNEL_TIMEOUT_MS} ms`,
        );
        controller.abort(error);
        reject(error);
      }, CHANNEL_TIMEOUT_MS);
      timer.unref?.();
    });
    try {
      const result = await Promise.race([
        channel.send(
          {
            tenantId,
            reason,
            interaction: visible,
            recipients: interaction.assignees,
            links: {
              baseUrl: base,
              respondUrl: base ? `${base}/respond` : undefined,
              viewUrl: base ? `${base}/runs/${interaction.runId}` : undefined,
            },
            signLink: this.signLink(tenantId, interaction),
          },
          { logger: this.engine.logger.child({ channel: channel.name }), signal: controller.signal },
        ),
        timedOut,
      ]);
      return {
        channel: channel.name,
        ok: result.ok,
        message_id: result.messageId,
        attempts: result.attempts ?? 1,
        error: result.error,
        to: result.to,
      };
    } catch (error) {
      return { channel: channel.name, ok: false, error: (error as Error)?.message ?? String(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async record(
    tenantId: string,
    interaction: InteractionRecord,
    reason: NotificationReason,
    result: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.engine.withRun(tenantId, interaction.runId, async (_driver, tx) => {
        const current =
          tx.interactions.get(interaction.interactionId) ??
          (await this.engine.store.getInteraction(tenantId, interaction.interactionId));
        if (current?.status === 'pending' && result.ok) {
          tx.interactions.set(current.interactionId, {
            ...current,
            status: 'notified',
            updatedAt: this.engine.nowIso(),
          });
        }
        tx.emit('interaction.notified', interaction.stepId, {
          interaction_id: interaction.interactionId,
          reason,
          ...result,
        });
      });
    } catch (error) {
      this.engine.logger.warn(
        { err: error, interactionId: interaction.interactionId },
        'could not record a notification result',
      );
    }
  }

  /** Signs one-time answer tokens with the engine's link secret, valid until the deadline (or 7 days). */
  private signLink(
    tenantId: string,
    interaction: InteractionRecord,
  ): (recipient: string, action: 'approve' | 'reject') => string {
    return (recipient, action) =>
      signResponseToken(
        {
          tenantId,
          interactionId: interaction.interactionId,
          recipient,
          action,
          expiresAt: interaction.deadline ?? new Date(this.engine.clock.now() + LINK_TTL_MS).toISOString(),
          nonce: randomBytes(16).toString('base64url'),
        },
        this.engine.linkSecret,
      );
  }

  // ---- queries ----

  async list(query: ListInteractionsQuery & CallScope): Promise<InteractionRecord[]> {
    const tenantId = query.tenantId ?? DEFAULT_TENANT;
    const all = await this.engine.store.listInteractions(tenantId, {
      status: query.status,
      runId: query.runId,
    });
    const filtered = query.assignee
      ? all.filter((i) =>
          isAssignedTo(
            i,
            query.assignee!,
            query.actor?.subject === query.assignee ? query.actor?.groups : [],
          ),
        )
      : all;
    const due = (i: InteractionRecord) => i.slaBreachAt ?? i.deadline ?? '9999';
    return filtered.sort((a, b) =>
      due(a) < due(b) ? -1 : due(a) > due(b) ? 1 : a.createdAt < b.createdAt ? -1 : 1,
    );
  }
}
