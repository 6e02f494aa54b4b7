import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { CLIENT_ERROR_CODES, type GraphQLErrorPayload, LlmteamClientError } from './errors.js';
import * as ops from './operations.js';
import type {
  CreatedApiKey,
  Health,
  InboxPage,
  Interaction,
  InteractionStatus,
  Json,
  ProcessMap,
  Role,
  Run,
  RunConnection,
  RunStatus,
  RunSummary,
  Segment,
  Snapshot,
  SnapshotPage,
  StepCategory,
  StepType,
  TenantTier,
  Viewer,
  WorktrailEvent,
} from './types.js';
import { type WatchInteractionsOptions, watchInteractions } from './watch-interactions.js';
import { type WatchRunOptions, watchRun } from './watch-run.js';

/** Options of {@link createLlmteamClient}. */
export interface LlmteamClientOptions {
  /** HTTP endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** `llmt_...` key sent as `Authorization: Bearer` (HTTP) and `connectionParams.authorization` (graphql-ws). */
  apiKey?: string;
  /** WebSocket endpoint. @default `url` with `http` replaced by `ws` */
  wsUrl?: string;
  /** WebSocket constructor; Node 20 has none built in, pass `ws`. @default globalThis.WebSocket */
  webSocketImpl?: unknown;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Extra HTTP headers on every request. @default {} */
  headers?: Record<string, string>;
}

/** A raw GraphQL result. */
interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLErrorPayload[];
}

/** The typed client. Every method throws {@link LlmteamClientError}. */
export interface LlmteamClient {
  /** Sends any GraphQL operation over HTTP and returns `data`. */
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  health(): Promise<Health>;
  run(id: string): Promise<Run | null>;
  /**
   * A page of runs, newest first; `waitingOn` (a user, or `group:NAME`) keeps only runs with
   * an open request that one may answer, the most urgent first.
   */
  runs(args?: {
    status?: RunStatus;
    segmentId?: string;
    first?: number;
    after?: string;
    waitingOn?: string;
  }): Promise<RunConnection>;
  segments(): Promise<Segment[]>;
  upsertSegment(definition: unknown): Promise<Segment>;
  startRun(segmentId: string, input?: unknown, options?: { idempotencyKey?: string }): Promise<RunSummary>;
  cancelRun(id: string, reason?: string): Promise<RunSummary>;
  pauseRun(id: string): Promise<RunSummary>;
  resumeRun(id: string): Promise<RunSummary>;
  /** Requests in SLA order (open ones unless `status` says otherwise); `first`: only the first N. */
  interactions(args?: {
    status?: InteractionStatus;
    assignee?: string;
    runId?: string;
    first?: number;
  }): Promise<Interaction[]>;
  /**
   * A page of open requests, most urgent first (read from the gateway's SLA index): pass the
   * page's `endCursor` as `after` for the next one. `assignee`: a user or `group:NAME`.
   */
  inbox(args?: { first?: number; after?: string; assignee?: string }): Promise<InboxPage>;
  /** One request by id, open or closed, with all its fields; null when the tenant has none of that id. */
  interaction(id: string): Promise<Interaction | null>;
  /** How many requests are open (those `assignee` may answer, when given). */
  openInteractionCount(args?: { assignee?: string }): Promise<number>;
  /** Adds a message to an open chat request; it stays open until {@link LlmteamClient.closeChat}. */
  sendMessage(requestId: string, text: string): Promise<Interaction>;
  /** Ends a chat request; its step continues with the conversation's messages. */
  closeChat(requestId: string, comment?: string): Promise<Interaction>;
  approve(requestId: string, comment?: string): Promise<Interaction>;
  /**
   * Approves an edited version of a `review` (e.g. a tool call's changed arguments),
   * checked against the request's `inputSchema`.
   */
  approveWithEdits(requestId: string, edits: Json, comment?: string): Promise<Interaction>;
  reject(requestId: string, reason?: string): Promise<Interaction>;
  requestChanges(requestId: string, feedback: string): Promise<Interaction>;
  /** Answers a choice, input, review, task or chat request; `comment` is kept with the answer. */
  respond(requestId: string, response: Json, comment?: string): Promise<Interaction>;
  /** The caller, as its API key describes it (subject, tenant, roles, groups). */
  viewer(): Promise<Viewer>;
  /** The step catalog (built-in and plugin step types), optionally of one category. */
  stepTypes(category?: StepCategory): Promise<StepType[]>;
  /** One segment, its latest version unless `version` is given; null when there is none. */
  segment(id: string, version?: string): Promise<Segment | null>;
  /**
   * The directly-follows map of a segment's runs created within `from`..`to` (ISO 8601):
   * activities with frequencies and durations, and edges with counts and durations.
   */
  processMap(segmentId: string, args?: { from?: string; to?: string }): Promise<ProcessMap>;
  /** A page of a run's stored events after `afterSeq` (at most `limit`, 1..500). */
  runEvents(runId: string, args?: { afterSeq?: number; limit?: number }): Promise<WorktrailEvent[]>;
  /** Takes a snapshot now: `MANUAL` (default) or a `CHECKPOINT` kept by retention, optionally labelled. */
  createSnapshot(
    runId: string,
    options?: { type?: 'MANUAL' | 'CHECKPOINT'; label?: string },
  ): Promise<Snapshot>;
  /** Snapshots by run, segment or reason, newest first, one page (`first` 1..100, default 20). */
  snapshots(args?: {
    runId?: string;
    segmentId?: string;
    reason?: string;
    first?: number;
    after?: string;
  }): Promise<SnapshotPage>;
  /** Deletes a snapshot (audited); returns it. */
  deleteSnapshot(id: string): Promise<Snapshot>;
  /** Puts the snapshot's run back to the snapshot's state and continues it. */
  restoreSnapshot(snapshotId: string): Promise<RunSummary>;
  /** Starts a new run from a snapshot. */
  forkRun(snapshotId: string): Promise<RunSummary>;
  /**
   * New requests the caller may answer (and ones escalated to the caller) as an async
   * iterator over graphql-ws. A dropped socket is reconnected; `onReconnect` tells the
   * caller to refetch what it may have missed meanwhile. `break` (or `signal`) stops it.
   */
  watchInteractions(options?: WatchInteractionsOptions): AsyncIterableIterator<Interaction>;
  createApiKey(args: {
    tenantId: string;
    roles: Role[];
    name?: string;
    subject?: string;
    groups?: string[];
  }): Promise<CreatedApiKey>;
  createTenant(args: {
    id: string;
    name: string;
    tier?: TenantTier;
  }): Promise<{ id: string; name: string; tier: TenantTier; createdAt: string }>;
  /**
   * Events of a run as an async iterator over graphql-ws: the stored ones after `afterSeq`,
   * then live ones. A dropped socket is reconnected and the subscription resumed from the
   * last `seq` seen, so nothing is lost or repeated. Ends after the run's terminal event
   * unless `untilTerminal` is false; `break` (or `signal`) stops it.
   */
  watchRun(runId: string, options?: WatchRunOptions): AsyncIterableIterator<WorktrailEvent>;
  /** Closes every WebSocket the client opened; running and later `watchRun` iterators end. */
  close(): Promise<void>;
}

/** Creates a client for an llmteam gateway. */
export function createLlmteamClient(options: LlmteamClientOptions): LlmteamClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const wsUrl = options.wsUrl ?? options.url.replace(/^http/, 'ws');
  const sockets = new Set<WsClient>();
  let closed = false;

  async function request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch (cause) {
      throw new LlmteamClientError(
        'NETWORK_ERROR',
        `Cannot reach ${options.url}: ${(cause as Error).message}`,
        { cause },
      );
    }
    let body: GraphQLResponse<T>;
    try {
      body = (await response.json()) as GraphQLResponse<T>;
    } catch (cause) {
      throw new LlmteamClientError(
        'BAD_RESPONSE',
        `${options.url} answered HTTP ${response.status} without a GraphQL response`,
        {
          status: response.status,
          cause,
        },
      );
    }
    if (body.errors?.length) throw LlmteamClientError.fromGraphQL(body.errors, response.status);
    if (!body.data)
      throw new LlmteamClientError(
        'BAD_RESPONSE',
        `${options.url} answered HTTP ${response.status} with no data`,
        { status: response.status },
      );
    return body.data;
  }

  const openSocket = (): WsClient => {
    const socket = createWsClient({
      url: wsUrl,
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
      connectionParams: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      lazy: true,
      // watchRun resumes with a fresh afterSeq itself; graphql-ws' own retry would replay the old one.
      retryAttempts: 0,
    });
    sockets.add(socket);
    return socket;
  };

  return {
    request,
    health: async () => (await request<{ health: Health }>(ops.HEALTH)).health,
    run: async (id) => (await request<{ run: Run | null }>(ops.RUN, { id })).run,
    runs: async (args = {}) => (await request<{ runs: RunConnection }>(ops.RUNS, args)).runs,
    segments: async () => (await request<{ segments: Segment[] }>(ops.SEGMENTS)).segments,
    upsertSegment: async (definition) =>
      (await request<{ upsertSegment: Segment }>(ops.UPSERT_SEGMENT, { definition })).upsertSegment,
    startRun: async (segmentId, input, opts = {}) =>
      (
        await request<{ startRun: RunSummary }>(ops.START_RUN, {
          segmentId,
          input,
          idempotencyKey: opts.idempotencyKey,
        })
      ).startRun,
    cancelRun: async (id, reason) =>
      (await request<{ cancelRun: RunSummary }>(ops.CANCEL_RUN, { id, reason })).cancelRun,
    pauseRun: async (id) => (await request<{ pauseRun: RunSummary }>(ops.PAUSE_RUN, { id })).pauseRun,
    resumeRun: async (id) => (await request<{ resumeRun: RunSummary }>(ops.RESUME_RUN, { id })).resumeRun,
    interactions: async (args = {}) =>
      (await request<{ interactions: Interaction[] }>(ops.INTERACTIONS, args)).interactions,
    inbox: async (args = {}) => (await request<{ inbox: InboxPage }>(ops.INBOX, args)).inbox,
    interaction: async (id) =>
      (await request<{ interaction: Interaction | null }>(ops.INTERACTION, { id })).interaction,
    openInteractionCount: async (args = {}) =>
      (await request<{ openInteractionCount: number }>(ops.OPEN_INTERACTION_COUNT, args))
        .openInteractionCount,
    sendMessage: async (requestId, text) =>
      (await request<{ sendMessage: Interaction }>(ops.SEND_MESSAGE, { requestId, text })).sendMessage,
    closeChat: async (requestId, comment) =>
      (await request<{ closeChat: Interaction }>(ops.CLOSE_CHAT, { requestId, comment })).closeChat,
    approve: async (requestId, comment) =>
      (await request<{ approve: Interaction }>(ops.APPROVE, { requestId, comment })).approve,
    approveWithEdits: async (requestId, edits, comment) =>
      (
        await request<{ approveWithEdits: Interaction }>(ops.APPROVE_WITH_EDITS, {
          requestId,
          edits,
          comment,
        })
      ).approveWithEdits,
    reject: async (requestId, reason) =>
      (await request<{ reject: Interaction }>(ops.REJECT, { requestId, reason })).reject,
    requestChanges: async (requestId, feedback) =>
      (await request<{ requestChanges: Interaction }>(ops.REQUEST_CHANGES, { requestId, feedback }))
        .requestChanges,
    respond: async (requestId, response, comment) =>
      (await request<{ respond: Interaction }>(ops.RESPOND, { requestId, response, comment })).respond,
    viewer: async () => (await request<{ viewer: Viewer }>(ops.VIEWER)).viewer,
    stepTypes: async (category) =>
      (await request<{ stepTypes: StepType[] }>(ops.STEP_TYPES, { category })).stepTypes,
    segment: async (id, version) =>
      (await request<{ segment: Segment | null }>(ops.SEGMENT, { id, version })).segment,
    processMap: async (segmentId, args = {}) =>
      (await request<{ processMap: ProcessMap }>(ops.PROCESS_MAP, { segmentId, ...args })).processMap,
    runEvents: async (runId, args = {}) =>
      (
        await request<{ run: { events: WorktrailEvent[] } | null }>(ops.RUN_EVENTS_PAGE, {
          id: runId,
          ...args,
        })
      ).run?.events ?? [],
    createSnapshot: async (runId, options = {}) =>
      (await request<{ createSnapshot: Snapshot }>(ops.CREATE_SNAPSHOT, { runId, ...options }))
        .createSnapshot,
    snapshots: async (args = {}) => {
      const { snapshots } = await request<{
        snapshots: {
          edges: Array<{ node: Snapshot }>;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      }>(ops.SNAPSHOTS, args);
      return {
        snapshots: snapshots.edges.map((e) => e.node),
        hasNextPage: snapshots.pageInfo.hasNextPage,
        endCursor: snapshots.pageInfo.endCursor,
      };
    },
    deleteSnapshot: async (id) =>
      (await request<{ deleteSnapshot: Snapshot }>(ops.DELETE_SNAPSHOT, { id })).deleteSnapshot,
    restoreSnapshot: async (snapshotId) =>
      (await request<{ restoreSnapshot: RunSummary }>(ops.RESTORE_SNAPSHOT, { snapshotId })).restoreSnapshot,
    forkRun: async (snapshotId) =>
      (await request<{ forkRun: RunSummary }>(ops.FORK_RUN, { snapshotId })).forkRun,
    watchInteractions: (watchOptions = {}) =>
      watchInteractions(
        openSocket,
        watchOptions,
        (socket) => sockets.delete(socket),
        () => closed,
      ),
    createApiKey: async (args) =>
      (await request<{ createApiKey: CreatedApiKey }>(ops.CREATE_API_KEY, args)).createApiKey,
    createTenant: async (args) =>
      (
        await request<{ createTenant: { id: string; name: string; tier: TenantTier; createdAt: string } }>(
          ops.CREATE_TENANT,
          args,
        )
      ).createTenant,
    watchRun: (runId, watchOptions = {}) =>
      watchRun(
        openSocket,
        runId,
        watchOptions,
        (socket) => sockets.delete(socket),
        () => closed,
      ),
    async close() {
      closed = true;
      await Promise.all([...sockets].map((s) => s.dispose()));
      sockets.clear();
    },
  };
}

export { CLIENT_ERROR_CODES };
