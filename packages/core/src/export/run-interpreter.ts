/**
 * Interprets one run's worktrail events as process-mining lifecycle events, with the
 * resource that acted. Only attributes the engine itself defines are carried over.
 */
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { StepCategory } from '../catalog/types.js';
import type { StepDefinition } from '../segment/types.js';
import type { RunRecord, WorktrailEvent } from '../store/types.js';
import {
  type ProcessAttribute,
  type ProcessEvent,
  type ResourceRole,
  SYSTEM_RESOURCE,
} from './process-log-types.js';

/** Events that say nothing about the process (streamed partial output). */
const IGNORED = new Set(['step.progress']);

interface Performer {
  resource: string;
  role: ResourceRole;
  group?: string;
}

interface OpenStep {
  attempt: number;
  instance: string;
  startedAt: number;
  suspendedAt?: number;
  waitingMs: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  responder?: string;
  slaBreached: boolean;
  escalations: number;
  revision?: number;
}

/** Categories of contract step types a catalog may not hold (yet). */
const CONTRACT_CATEGORIES: Record<string, StepCategory> = {
  llm_agent: 'AI',
  router: 'AI',
  http_action: 'INTEGRATION',
  action: 'INTEGRATION',
  human_task: 'HUMAN',
};

const ROLE_OF: Record<StepCategory, ResourceRole> = {
  AI: 'agent',
  INTEGRATION: 'service',
  HUMAN: 'person',
  CONTROL: 'system',
  UTILITY: 'system',
};

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

/** Who performs a step of this definition, before anyone has answered. */
function performerOf(def: StepDefinition | undefined, catalog: StepCatalog): Performer {
  if (!def) return { resource: SYSTEM_RESOURCE, role: 'system' };
  const category = catalog.get(def.step_type)?.category ?? CONTRACT_CATEGORIES[def.step_type];
  const role = category ? ROLE_OF[category] : 'system';
  const config = (def.config ?? {}) as Record<string, unknown>;
  switch (role) {
    case 'agent': {
      const name = [str(config.provider), str(config.model)].filter(Boolean).join('/');
      return { resource: name || def.step_type, role };
    }
    case 'service':
      return { resource: str(config.action) ?? hostOf(config.url) ?? def.step_type, role };
    case 'person': {
      // Until someone answers, the resource is whom the step is assigned to.
      const ref = config.assignee_ref;
      const first = Array.isArray(ref) ? str(ref[0]) : str(ref);
      if (first?.startsWith('group:')) return { resource: first, role, group: first.slice(6) };
      return { resource: first?.replace(/^user:/, '') ?? 'unassigned', role };
    }
    default:
      return { resource: SYSTEM_RESOURCE, role };
  }
}

/** Token counts and cost an event reports, under the names model calls use. */
export function usageOf(data: Record<string, unknown>): { input?: number; output?: number; cost?: number } {
  const usage = (typeof data.usage === 'object' && data.usage !== null ? data.usage : data) as Record<
    string,
    unknown
  >;
  return {
    input: num(usage.input_tokens) ?? num(usage.inputTokens) ?? num(usage.prompt_tokens),
    output: num(usage.output_tokens) ?? num(usage.outputTokens) ?? num(usage.completion_tokens),
    cost: num(usage.cost) ?? num(data.cost) ?? num(usage.cost_usd) ?? num(data.cost_usd),
  };
}

/** Turns one run's worktrail events into process events, keeping per-step state. */
export class RunInterpreter {
  private readonly open = new Map<string, OpenStep>();
  private readonly performers = new Map<string, Performer>();

  constructor(
    readonly run: RunRecord,
    readonly steps: ReadonlyMap<string, StepDefinition>,
    readonly catalog: StepCatalog,
  ) {}

  private performer(stepId: string): Performer {
    let p = this.performers.get(stepId);
    if (!p) {
      p = performerOf(this.steps.get(stepId), this.catalog);
      this.performers.set(stepId, p);
    }
    return p;
  }

  private base(event: WorktrailEvent, stepId: string | undefined): ProcessEvent {
    const def = stepId === undefined ? undefined : this.steps.get(stepId);
    const p: Performer =
      stepId === undefined ? { resource: SYSTEM_RESOURCE, role: 'system' } : this.performer(stepId);
    const out: ProcessEvent = {
      eventId: event.event_id,
      runId: event.run_id,
      seq: event.seq,
      type: event.type,
      timestamp: event.timestamp,
      activity: stepId === undefined || event.type.startsWith('run.') ? 'run' : stepId,
      resource: p.resource,
      role: p.role,
      attributes: {},
    };
    if (stepId !== undefined) out.stepId = stepId;
    if (def) out.stepType = def.step_type;
    if (p.group) out.group = p.group;
    return out;
  }

  /** The process events of one worktrail event (none, one, or the aborts of open steps). */
  *interpret(event: WorktrailEvent): Generator<ProcessEvent> {
    if (IGNORED.has(event.type)) return;
    const data = (event.data ?? {}) as Record<string, unknown>;
    const stepId = event.step_id;
    const at = Date.parse(event.timestamp);
    const out = this.base(event, stepId);
    const a = out.attributes;
    const open = stepId === undefined ? undefined : this.open.get(stepId);
    if (open) out.instance = open.instance;
    const usage = usageOf(data);
    if (open) {
      if (usage.input !== undefined) open.inputTokens += usage.input;
      if (usage.output !== undefined) open.outputTokens += usage.output;
      if (usage.cost !== undefined) open.cost += usage.cost;
    }
    if (usage.input !== undefined) a.input_tokens = usage.input;
    if (usage.output !== undefined) a.output_tokens = usage.output;
    if (usage.cost !== undefined) a.cost = usage.cost;
    const interactionId = str(data.interaction_id);
    if (interactionId) out.interactionId = interactionId;

    switch (event.type) {
      case 'step.started': {
        if (stepId === undefined) break;
        const attempt = num(data.attempt) ?? 1;
        const state: OpenStep = {
          attempt,
          instance: `${stepId}#${attempt}`,
          startedAt: at,
          waitingMs: 0,
          inputTokens: 0,
          outputTokens: 0,
          cost: 0,
          slaBreached: false,
          escalations: 0,
        };
        this.open.set(stepId, state);
        out.instance = state.instance;
        out.lifecycle = 'start';
        a.attempt = attempt;
        const iteration = num(data.iteration);
        if (iteration) a.iteration = iteration;
        break;
      }
      case 'step.suspended':
        out.lifecycle = 'suspend';
        if (str(data.kind)) a.wait_kind = data.kind as string;
        if (open) open.suspendedAt = at;
        break;
      case 'step.resumed':
        out.lifecycle = 'resume';
        if (open?.suspendedAt !== undefined) {
          const waited = Math.max(0, at - open.suspendedAt);
          open.waitingMs += waited;
          open.suspendedAt = undefined;
          a.waiting_ms = waited;
        }
        break;
      case 'step.completed': {
        // Completed straight from its resume data: the standard lifecycle resumes first.
        if (open?.suspendedAt !== undefined) yield this.resumeOf(event, open, at);
        out.lifecycle = 'complete';
        const ports = Array.isArray(data.ports)
          ? (data.ports as unknown[]).filter((p) => typeof p === 'string')
          : [];
        if (ports.length) a.outcome = ports.filter((p) => p !== 'output').join(',') || 'output';
        this.finish(out, open, at, data);
        break;
      }
      case 'step.failed':
        out.lifecycle = 'ate_abort';
        this.errorAttributes(a, data);
        this.finish(out, open, at, data);
        break;
      case 'step.retrying':
        out.lifecycle = 'ate_abort';
        a.retry = true;
        this.errorAttributes(a, data);
        this.finish(out, open, at, data);
        break;
      case 'step.skipped':
        out.lifecycle = 'autoskip';
        break;
      case 'step.revision': {
        const iteration = num(data.iteration);
        if (iteration !== undefined) a.iteration = iteration;
        if (str(data.from)) a.from_step = data.from as string;
        break;
      }
      case 'interaction.requested': {
        const revision = num(data.revision);
        if (revision !== undefined) a.revision = revision;
        if (open && revision !== undefined) open.revision = revision;
        if (str(data.type)) a.interaction_type = data.type as string;
        if (str(data.priority)) a.priority = data.priority as string;
        break;
      }
      case 'interaction.responded':
      case 'interaction.timed_out': {
        const by = str(data.by);
        if (by && event.type === 'interaction.responded') {
          out.resource = by;
          out.role = 'person';
          if (open && data.final === true) open.responder = by;
        }
        if (str(data.action)) a.action = data.action as string;
        if (typeof data.final === 'boolean') a.final = data.final;
        break;
      }
      case 'interaction.escalated': {
        const level = num(data.level);
        if (level !== undefined) a.level = level;
        if (open) open.escalations++;
        break;
      }
      case 'interaction.sla_breached':
        if (open) open.slaBreached = true;
        break;
      case 'run.cancelled':
      case 'run.failed':
        yield out;
        yield* this.abortOpen(event, data);
        return;
      case 'run.waiting':
        if (str(data.status)) a.status = data.status as string;
        break;
      case 'run.paused':
      case 'run.resumed':
        if (str(data.actor)) {
          out.resource = data.actor as string;
          out.role = 'person';
        }
        break;
      case 'action.completed':
      case 'action.failed':
        this.actionCall(out, data);
        a.status = event.type === 'action.completed' ? 'completed' : 'failed';
        if (event.type === 'action.failed') this.errorAttributes(a, data);
        break;
      default:
        if (data.call_id !== undefined || data.tool !== undefined) this.actionCall(out, data);
    }
    yield out;
  }

  private resumeOf(event: WorktrailEvent, open: OpenStep, at: number): ProcessEvent {
    const out = this.base(event, event.step_id);
    out.eventId = `${event.event_id}:resume`;
    out.lifecycle = 'resume';
    out.instance = open.instance;
    const waited = Math.max(0, at - (open.suspendedAt ?? at));
    open.waitingMs += waited;
    open.suspendedAt = undefined;
    out.attributes.waiting_ms = waited;
    if (open.responder) {
      out.resource = open.responder;
      out.role = 'person';
      delete out.group;
    }
    return out;
  }

  private actionCall(out: ProcessEvent, data: Record<string, unknown>): void {
    const name = str(data.action) ?? str(data.tool) ?? str(data.name);
    const callId = str(data.call_id) ?? (typeof data.call_id === 'number' ? String(data.call_id) : undefined);
    if (out.stepId === undefined) return;
    out.actionCall = `${out.runId}/${out.stepId}/${callId ?? out.seq}`;
    if (name) out.actionName = name;
    const duration = num(data.duration_ms);
    if (duration !== undefined) out.attributes.duration_ms = duration;
  }

  private errorAttributes(a: Record<string, ProcessAttribute>, data: Record<string, unknown>): void {
    const error = (typeof data.error === 'object' && data.error !== null ? data.error : {}) as Record<
      string,
      unknown
    >;
    if (str(error.code)) a.error_code = error.code as string;
    const attempt = num(data.attempt);
    if (attempt !== undefined) a.attempt = attempt;
  }

  /** Closes an activity instance: durations, waiting time, usage totals, the person who answered. */
  private finish(
    out: ProcessEvent,
    open: OpenStep | undefined,
    at: number,
    data: Record<string, unknown>,
  ): void {
    const a = out.attributes;
    const attempt = num(data.attempt);
    if (attempt !== undefined) a.attempt = attempt;
    if (!open || out.stepId === undefined) return;
    if (open.suspendedAt !== undefined) {
      // Completed straight from its resume data: the wait ended now.
      open.waitingMs += Math.max(0, at - open.suspendedAt);
      open.suspendedAt = undefined;
    }
    a.duration_ms = num(data.duration_ms) ?? Math.max(0, at - open.startedAt);
    if (open.waitingMs > 0 || out.role === 'person') a.waiting_ms = open.waitingMs;
    if (open.inputTokens) a.input_tokens = open.inputTokens;
    if (open.outputTokens) a.output_tokens = open.outputTokens;
    if (open.cost) a.cost = open.cost;
    if (open.responder) {
      out.resource = open.responder;
      out.role = 'person';
      delete out.group;
    }
    if (open.revision !== undefined) a.revision = open.revision;
    if (open.slaBreached) a.sla_breached = true;
    if (open.escalations) a.escalations = open.escalations;
    this.open.delete(out.stepId);
  }

  /** A failed or cancelled run aborts the activity instances still open. */
  private *abortOpen(event: WorktrailEvent, data: Record<string, unknown>): Generator<ProcessEvent> {
    const actor = str(data.actor);
    for (const [stepId, open] of this.open) {
      const out = this.base(event, stepId);
      out.eventId = `${event.event_id}:${stepId}`;
      out.activity = stepId;
      out.lifecycle = 'pi_abort';
      out.instance = open.instance;
      out.attributes.attempt = open.attempt;
      if (actor) {
        out.resource = actor;
        out.role = 'person';
        delete out.group;
      }
      if (open.suspendedAt !== undefined) {
        open.waitingMs += Math.max(0, Date.parse(event.timestamp) - open.suspendedAt);
      }
      if (open.waitingMs > 0) out.attributes.waiting_ms = open.waitingMs;
      yield out;
    }
    this.open.clear();
  }
}
