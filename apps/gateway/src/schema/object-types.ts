/**
 * GraphQL object types. Every field names its type explicitly: the gateway also runs under
 * transpilers that emit no decorator metadata (tsx, esbuild).
 */
import { DateTimeResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import { Extensions, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import {
  InteractionPriorityEnum,
  InteractionStatusEnum,
  InteractionTypeEnum,
  RoleEnum,
  RunStatusEnum,
  SnapshotReasonEnum,
  StepCategoryEnum,
  StepStatusEnum,
  TenantFeatureEnum,
  TenantLimitNameEnum,
  TenantStatusEnum,
  TenantTierEnum,
} from './enums.js';

@ObjectType({ description: 'Liveness of the gateway and its store' })
export class Health {
  @Field(() => String, { description: '`ok`, or `shutting_down` while draining' }) status!: string;
  @Field(() => String) version!: string;
  @Field(() => String, { description: 'Name of the store, e.g. `sqlite:./.llmteam/llmteam.sqlite`' })
  store!: string;
  @Field(() => Float) uptimeSeconds!: number;
}

@ObjectType()
export class Port {
  @Field(() => String) portId!: string;
  @Field(() => String, { nullable: true }) dataType?: string;
  @Field(() => String, { nullable: true }) description?: string;
}

@ObjectType({ description: 'An entry of the step catalog (built-in or from a plugin)' })
export class StepType {
  @Field(() => String) type!: string;
  @Field(() => String) displayName!: string;
  @Field(() => StepCategoryEnum) category!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => JSONResolver) configSchema!: unknown;
  @Field(() => [Port]) inputs!: Port[];
  @Field(() => [Port]) outputs!: Port[];
  @Field(() => Boolean) dynamicPorts!: boolean;
  @Field(() => JSONResolver) permissions!: unknown;
}

@ObjectType({ description: 'A named action (gateway config, plugin or code) with its limits and live state' })
export class Action {
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'webhook, rest_api, function, database, message_queue, grpc, ...' })
  type!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => String, { description: '`config`, `code` or the plugin that registered it' }) source!: string;
  @Field(() => Int) timeoutMs!: number;
  @Field(() => Int) retryCount!: number;
  @Field(() => JSONResolver, { nullable: true }) rateLimit?: unknown;
  @Field(() => JSONResolver, { nullable: true }) circuitBreaker?: unknown;
  @Field(() => Int, { nullable: true }) maxConcurrency?: number;
  @Field(() => String, { description: 'closed, open or half_open (on the node that answers)' })
  circuitState!: string;
  @Field(() => Int, { description: 'calls running now on the node that answers' }) inFlight!: number;
  @Field(() => [String], { nullable: true, description: 'why the config cannot be used, if it cannot' })
  problems?: string[];
}

@ObjectType()
export class Segment {
  @Field(() => ID) id!: string;
  @Field(() => String) version!: string;
  @Field(() => String) name!: string;
  @Field(() => JSONResolver) definition!: unknown;
  @Field(() => DateTimeResolver) createdAt!: string;
}

@ObjectType({ description: 'A serialisable error as kept on a run or step' })
export class ErrorInfo {
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
  @Field(() => Boolean, { nullable: true }) retryable?: boolean;
  @Field(() => JSONResolver, { nullable: true }) details?: unknown;
}

@ObjectType({
  description: "Token usage of model calls, summed from the run's stored `model.call.completed` events",
})
export class TokenUsage {
  @Field(() => Int) inputTokens!: number;
  @Field(() => Int) outputTokens!: number;
  @Field(() => Int, { description: 'Input tokens served from the prompt cache (part of inputTokens)' })
  cachedTokens!: number;
  @Field(() => Int, { description: 'Model calls counted' }) calls!: number;
  @Field(() => Float, {
    nullable: true,
    description:
      "Estimated cost from the config's `llm.prices` (per million tokens); null when a model has no price",
  })
  cost?: number;
}

@ObjectType()
export class StepState {
  @Field(() => String) stepId!: string;
  @Field(() => TokenUsage, {
    nullable: true,
    description: "Token usage of the step's model calls (on `Run.steps`; null for a step that made none)",
  })
  usage?: TokenUsage;
  @Field(() => StepStatusEnum) status!: string;
  @Field(() => Int) attempt!: number;
  @Field(() => Int) iteration!: number;
  @Field(() => JSONResolver, { nullable: true }) outputs?: unknown;
  @Field(() => ErrorInfo, { nullable: true }) error?: ErrorInfo;
  @Field(() => DateTimeResolver, { nullable: true }) startedAt?: string;
  @Field(() => DateTimeResolver, { nullable: true }) finishedAt?: string;
}

@ObjectType({ description: 'A worktrail event (ARCHITECTURE section 4)' })
export class WorktrailEvent {
  @Field(() => ID) id!: string;
  @Field(() => ID) runId!: string;
  @Field(() => Int, {
    description: 'Gapless per run, from 1; 0 for live `step.progress` events, which are not stored',
  })
  seq!: number;
  @Field(() => String, { description: 'Dotted type, e.g. `run.completed`' }) type!: string;
  @Field(() => String, { nullable: true }) stepId?: string;
  @Field(() => DateTimeResolver) timestamp!: string;
  @Field(() => JSONResolver) data!: unknown;
}

@ObjectType()
export class Assignees {
  @Field(() => [String]) users!: string[];
  @Field(() => [String]) groups!: string[];
}

@ObjectType()
export class InteractionResponse {
  @Field(() => String) action!: string;
  @Field(() => String) subject!: string;
  @Field(() => JSONResolver, { nullable: true }) value?: unknown;
  @Field(() => String, { nullable: true }) comment?: string;
  @Field(() => DateTimeResolver) at!: string;
}

@ObjectType({ description: 'One round of a revision loop: the feedback a request for changes gave' })
export class FeedbackRound {
  @Field(() => Int, { description: 'The revision that was sent back (0: the first pass)' }) revision!: number;
  @Field(() => String) feedback!: string;
  @Field(() => String, { description: 'Who asked for the changes' }) by!: string;
  @Field(() => DateTimeResolver) at!: string;
}

@ObjectType({ description: 'A request for a person (approval, choice, input, review, task, chat)' })
export class Interaction {
  @Field(() => ID) id!: string;
  @Field(() => ID) runId!: string;
  @Field(() => String) stepId!: string;
  @Field(() => InteractionTypeEnum) type!: string;
  @Field(() => InteractionStatusEnum) status!: string;
  @Field(() => InteractionPriorityEnum) priority!: string;
  @Field(() => String) title!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => Assignees) assignees!: Assignees;
  @Field(() => JSONResolver, { nullable: true }) options?: unknown;
  @Field(() => JSONResolver, { nullable: true }) inputSchema?: unknown;
  @Field(() => Int) escalationLevel!: number;
  @Field(() => Int) revision!: number;
  @Field(() => String, { nullable: true }) previousFeedback?: string;
  @Field(() => [FeedbackRound], {
    description: "Every earlier round's request for changes in this revision loop, oldest first",
  })
  // Held in the request's own record and bounded by `max_revisions`: costed as 3 rounds, not a page.
  @Extensions({ listSize: 3 })
  feedbackHistory!: FeedbackRound[];
  @Field(() => [InteractionResponse]) responses!: InteractionResponse[];
  @Field(() => InteractionResponse, { nullable: true }) outcome?: InteractionResponse;
  @Field(() => DateTimeResolver, { nullable: true }) deadline?: string;
  @Field(() => DateTimeResolver, { nullable: true }) slaWarningAt?: string;
  @Field(() => DateTimeResolver, { nullable: true }) slaBreachAt?: string;
  @Field(() => DateTimeResolver) createdAt!: string;
  @Field(() => DateTimeResolver) updatedAt!: string;
}

@ObjectType({ description: 'A durable timer a run waits for' })
export class Timer {
  @Field(() => ID) id!: string;
  @Field(() => String) kind!: string;
  @Field(() => String, { nullable: true }) stepId?: string;
  @Field(() => DateTimeResolver) dueAt!: string;
}

@ObjectType({ description: 'A child run a waiting step of the run waits on' })
export class WaitingChild {
  @Field(() => String, { description: 'The step that started the child run' }) stepId!: string;
  @Field(() => ID) runId!: string;
  @Field(() => String) segmentId!: string;
  @Field(() => RunStatusEnum) status!: string;
}

@ObjectType({ description: 'What a run is waiting on right now' })
export class WaitingOn {
  @Field(() => [Interaction], {
    description: 'Open requests of the run and of its child runs (each names its own runId)',
  })
  interactions!: Interaction[];
  @Field(() => [Timer]) timers!: Timer[];
  @Field(() => [StepState], { description: 'Steps suspended on something other than a person' })
  actions!: StepState[];
  @Field(() => [WaitingChild], {
    description: 'Unfinished child runs the waiting steps wait on, at any depth',
  })
  children!: WaitingChild[];
}

@ObjectType({ description: 'An immutable, checksummed copy of a run state' })
export class Snapshot {
  @Field(() => ID) id!: string;
  @Field(() => ID) runId!: string;
  @Field(() => Int) seq!: number;
  @Field(() => ID, { nullable: true }) segmentId?: string;
  @Field(() => SnapshotReasonEnum) reason!: string;
  @Field(() => String, { nullable: true, description: 'The name its taker gave it' }) label?: string;
  @Field(() => String) checksum!: string;
  @Field(() => DateTimeResolver) createdAt!: string;
}

@ObjectType()
export class Run {
  @Field(() => ID) id!: string;
  @Field(() => ID) segmentId!: string;
  @Field(() => String) segmentVersion!: string;
  @Field(() => RunStatusEnum) status!: string;
  @Field(() => JSONResolver, { nullable: true }) input?: unknown;
  @Field(() => JSONResolver, { nullable: true }) outputs?: unknown;
  @Field(() => ErrorInfo, { nullable: true }) error?: ErrorInfo;
  @Field(() => Int) lastSeq!: number;
  @Field(() => String, { nullable: true }) forkedFrom?: string;
  @Field(() => DateTimeResolver) createdAt!: string;
  @Field(() => DateTimeResolver) updatedAt!: string;
  @Field(() => DateTimeResolver, { nullable: true }) completedAt?: string;
  @Field(() => DateTimeResolver, {
    nullable: true,
    description: 'When the run times out (its `timeout`, from the segment or startRun); null without one',
  })
  deadline?: string;
  @Field(() => Int, {
    nullable: true,
    description: 'Retries after the first attempt for steps without a retry policy of their own',
  })
  maxRetries?: number;
  // steps, events, interactions, snapshots and waitingOn come from RunFieldsResolver.
}

@ObjectType()
export class RunEdge {
  @Field(() => Run) node!: Run;
  @Field(() => String) cursor!: string;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor?: string;
}

@ObjectType({ description: 'Runs, newest first (Relay connection)' })
export class RunConnection {
  @Field(() => [RunEdge]) edges!: RunEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ description: 'An entry of the tenant audit hash chain' })
export class AuditEvent {
  @Field(() => Int) seq!: number;
  @Field(() => String) action!: string;
  @Field(() => String) actor!: string;
  @Field(() => String, { nullable: true }) runId?: string;
  @Field(() => String, { nullable: true }) target?: string;
  @Field(() => JSONResolver, { nullable: true }) data?: unknown;
  @Field(() => DateTimeResolver) timestamp!: string;
  @Field(() => String) prevHash!: string;
  @Field(() => String) hash!: string;
}

@ObjectType()
export class BrokenLink {
  @Field(() => Int) seq!: number;
  @Field(() => String) reason!: string;
  @Field(() => String, {
    description:
      'altered, missing, inserted, out_of_place, truncated (a tail missing since the checkpoint), rewritten or bad_checkpoint',
  })
  kind!: string;
}

@ObjectType({ description: 'The signed checkpoint a verification was checked against' })
export class CheckedCheckpoint {
  @Field(() => Int) size!: number;
  @Field(() => String) headHash!: string;
  @Field(() => String) timestamp!: string;
  @Field(() => String) keyId!: string;
}

@ObjectType()
export class AuditVerification {
  @Field(() => Boolean) valid!: boolean;
  @Field(() => Int) checked!: number;
  @Field(() => BrokenLink, { nullable: true }) brokenAt?: BrokenLink;
  @Field(() => String, { nullable: true }) headHash?: string;
  @Field(() => CheckedCheckpoint, { nullable: true }) checkpoint?: CheckedCheckpoint;
}

@ObjectType({ description: "A tenant's retention policy, in seconds (null: kept forever)" })
export class TenantRetention {
  @Field(() => Float, { nullable: true, description: 'Finished runs are deleted this long after they end' })
  completedRunsSeconds?: number;
  @Field(() => Float, {
    nullable: true,
    description: 'Snapshots (checkpoints excepted) are deleted at this age',
  })
  snapshotsSeconds?: number;
}

@ObjectType({
  description:
    'One limit of a tenant: the value that applies (its override, else the tier default, capped by the licence) and what the tenant uses of it now',
})
export class TenantLimit {
  @Field(() => TenantLimitNameEnum) name!: string;
  @Field(() => SafeIntResolver, { nullable: true, description: 'The limit that applies; null: unlimited' })
  limit?: number;
  @Field(() => SafeIntResolver, {
    nullable: true,
    description: "The tenant's own override; null: the tier default applies",
  })
  override?: number;
  @Field(() => SafeIntResolver, {
    nullable: true,
    description: "The tier's default, capped by the licence; null: unlimited",
  })
  tierDefault?: number;
}

@ObjectType({
  description:
    'A tenant: the unit of isolation, with its tier, limits and usage. Admins read their own; admins of `default` every one',
})
export class Tenant {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => TenantTierEnum) tier!: string;
  @Field(() => TenantStatusEnum) status!: string;
  @Field(() => DateTimeResolver, { nullable: true }) suspendedAt?: string;
  @Field(() => String, { nullable: true, description: 'Why it was suspended, as given to suspendTenant' })
  suspensionReason?: string;
  @Field(() => String, { nullable: true, description: "Where the tenant's data is kept, e.g. eu-west-1" })
  dataRegion?: string;
  @Field(() => [TenantFeatureEnum], {
    description: "Feature flags that apply: its tier's, with the tenant's own overrides, within the licence",
  })
  features!: string[];
  @Field(() => [TenantLimit], { description: 'Every limit, in the order of TenantLimitName' })
  limits!: TenantLimit[];
  @Field(() => DateTimeResolver) createdAt!: string;
  @Field(() => TenantRetention, {
    nullable: true,
    description: 'What the retention sweep deletes; null keeps everything',
  })
  retention?: TenantRetention;
}

@ObjectType({ description: 'What deleteTenant removed' })
export class TenantDeletion {
  @Field(() => ID) id!: string;
  @Field(() => DateTimeResolver) deletedAt!: string;
  @Field(() => Int, { description: 'Runs erased with their steps, events, interactions and snapshots' })
  runsErased!: number;
  @Field(() => Int) keysRevoked!: number;
}

@ObjectType({ description: 'A new API key; `secret` is shown this once and never stored' })
export class CreatedApiKey {
  @Field(() => ID) id!: string;
  @Field(() => String) secret!: string;
  @Field(() => ID) tenantId!: string;
  @Field(() => [RoleEnum]) roles!: string[];
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String) subject!: string;
  @Field(() => [String]) groups!: string[];
  @Field(() => DateTimeResolver, { nullable: true, description: 'When the key stops working' })
  expiresAt?: string;
}

@ObjectType({ description: 'An API key as the store keeps it (never its secret)' })
export class ApiKey {
  @Field(() => ID) id!: string;
  @Field(() => ID) tenantId!: string;
  @Field(() => [RoleEnum]) roles!: string[];
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String) subject!: string;
  @Field(() => [String]) groups!: string[];
  @Field(() => DateTimeResolver) createdAt!: string;
  @Field(() => DateTimeResolver, { nullable: true }) revokedAt?: string;
  @Field(() => DateTimeResolver, { nullable: true }) expiresAt?: string;
}

@ObjectType({ description: 'The caller, as its API key describes it' })
export class Viewer {
  @Field(() => ID) tenantId!: string;
  @Field(() => String) subject!: string;
  @Field(() => [String]) groups!: string[];
  @Field(() => [RoleEnum]) roles!: string[];
}
