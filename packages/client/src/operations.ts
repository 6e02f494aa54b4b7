/** The GraphQL documents the client sends. Field lists match `types.ts`. */

const ERROR = 'code message retryable details';
const RESPONSE = 'action subject value comment at';
export const INTERACTION_FIELDS = `id runId stepId type status priority title description context assignees { users groups } options inputSchema escalationLevel revision previousFeedback feedbackHistory { revision feedback by at } responses { ${RESPONSE} } outcome { ${RESPONSE} } deadline slaWarningAt slaBreachAt createdAt updatedAt`;
export const RUN_SUMMARY_FIELDS = `id segmentId segmentVersion status input outputs error { ${ERROR} } lastSeq createdAt updatedAt completedAt`;
const STEP_FIELDS = `stepId status attempt iteration outputs error { ${ERROR} } startedAt finishedAt`;
const USAGE = 'inputTokens outputTokens cachedTokens calls cost';
export const RUN_FIELDS = `${RUN_SUMMARY_FIELDS} usage { ${USAGE} } steps { ${STEP_FIELDS} usage { ${USAGE} } } interactions { ${INTERACTION_FIELDS} } snapshots { id runId seq reason checksum createdAt } waitingOn { interactions { ${INTERACTION_FIELDS} } timers { id kind stepId dueAt } actions { ${STEP_FIELDS} } children { stepId runId segmentId status } }`;
export const EVENT_FIELDS = 'id runId seq type stepId timestamp data';

export const HEALTH = 'query Health { health { status version store uptimeSeconds } }';
export const RUN = `query Run($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`;
export const RUNS = `query Runs($status: RunStatus, $segmentId: ID, $first: Int, $after: String, $waitingOn: String) { runs(status: $status, segmentId: $segmentId, first: $first, after: $after, waitingOn: $waitingOn) { edges { cursor node { ${RUN_SUMMARY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
export const INTERACTIONS = `query Interactions($status: InteractionStatus, $assignee: String, $runId: ID, $first: Int) { interactions(status: $status, assignee: $assignee, runId: $runId, first: $first) { ${INTERACTION_FIELDS} } }`;
export const INBOX = `query Inbox($first: Int, $after: String, $assignee: String) { inbox(first: $first, after: $after, assignee: $assignee) { items { ${INTERACTION_FIELDS} } endCursor hasMore } }`;
export const INTERACTION = `query Interaction($id: ID!) { interaction(id: $id) { ${INTERACTION_FIELDS} } }`;
export const OPEN_INTERACTION_COUNT =
  'query OpenInteractionCount($assignee: String) { openInteractionCount(assignee: $assignee) }';
export const SEGMENTS = 'query Segments { segments { id version name definition createdAt } }';
export const UPSERT_SEGMENT =
  'mutation UpsertSegment($definition: JSON!) { upsertSegment(definition: $definition) { id version name definition createdAt } }';
export const START_RUN = `mutation StartRun($segmentId: ID!, $input: JSON, $idempotencyKey: String) { startRun(segmentId: $segmentId, input: $input, idempotencyKey: $idempotencyKey) { ${RUN_SUMMARY_FIELDS} } }`;
export const CANCEL_RUN = `mutation CancelRun($id: ID!, $reason: String) { cancelRun(id: $id, reason: $reason) { ${RUN_SUMMARY_FIELDS} } }`;
export const PAUSE_RUN = `mutation PauseRun($id: ID!) { pauseRun(id: $id) { ${RUN_SUMMARY_FIELDS} } }`;
export const RESUME_RUN = `mutation ResumeRun($id: ID!) { resumeRun(id: $id) { ${RUN_SUMMARY_FIELDS} } }`;
export const APPROVE = `mutation Approve($requestId: ID!, $comment: String) { approve(requestId: $requestId, comment: $comment) { ${INTERACTION_FIELDS} } }`;
export const APPROVE_WITH_EDITS = `mutation ApproveWithEdits($requestId: ID!, $edits: JSON!, $comment: String) { approveWithEdits(requestId: $requestId, edits: $edits, comment: $comment) { ${INTERACTION_FIELDS} } }`;
export const REJECT = `mutation Reject($requestId: ID!, $reason: String) { reject(requestId: $requestId, reason: $reason) { ${INTERACTION_FIELDS} } }`;
export const REQUEST_CHANGES = `mutation RequestChanges($requestId: ID!, $feedback: String!) { requestChanges(requestId: $requestId, feedback: $feedback) { ${INTERACTION_FIELDS} } }`;
export const RESPOND = `mutation Respond($requestId: ID!, $response: JSON!, $comment: String) { respond(requestId: $requestId, response: $response, comment: $comment) { ${INTERACTION_FIELDS} } }`;
export const SEND_MESSAGE = `mutation SendMessage($requestId: ID!, $text: String!) { sendMessage(requestId: $requestId, text: $text) { ${INTERACTION_FIELDS} } }`;
export const CLOSE_CHAT = `mutation CloseChat($requestId: ID!, $comment: String) { closeChat(requestId: $requestId, comment: $comment) { ${INTERACTION_FIELDS} } }`;
export const CREATE_API_KEY =
  'mutation CreateApiKey($tenantId: ID!, $roles: [Role!]!, $name: String, $subject: String, $groups: [String!]) { createApiKey(tenantId: $tenantId, roles: $roles, name: $name, subject: $subject, groups: $groups) { id secret tenantId roles subject groups } }';
export const CREATE_TENANT =
  'mutation CreateTenant($id: ID!, $name: String!, $tier: TenantTier) { createTenant(id: $id, name: $name, tier: $tier) { id name tier createdAt } }';
export const RUN_EVENTS = `subscription RunEvents($runId: ID!, $afterSeq: Int) { runEvents(runId: $runId, afterSeq: $afterSeq) { ${EVENT_FIELDS} } }`;
export const EVENTS = `subscription Events($types: [String!]) { events(types: $types) { ${EVENT_FIELDS} } }`;
export const INTERACTION_REQUESTED = `subscription InteractionRequested { interactionRequested { ${INTERACTION_FIELDS} } }`;
export const VIEWER = 'query Viewer { viewer { subject tenantId roles groups } }';
export const STEP_TYPES =
  'query StepTypes($category: StepCategory) { stepTypes(category: $category) { type displayName category description configSchema dynamicPorts inputs { portId dataType description } outputs { portId dataType description } } }';
export const SEGMENT =
  'query Segment($id: ID!, $version: String) { segment(id: $id, version: $version) { id version name definition createdAt } }';
export const RUN_EVENTS_PAGE = `query RunEventsPage($id: ID!, $afterSeq: Int, $limit: Int) { run(id: $id) { events(afterSeq: $afterSeq, limit: $limit) { ${EVENT_FIELDS} } } }`;
const SNAPSHOT_FIELDS = 'id runId segmentId seq reason label checksum createdAt';
export const CREATE_SNAPSHOT = `mutation CreateSnapshot($runId: ID!, $type: SnapshotType, $label: String) { createSnapshot(runId: $runId, type: $type, label: $label) { ${SNAPSHOT_FIELDS} } }`;
export const SNAPSHOTS = `query Snapshots($runId: ID, $segmentId: ID, $reason: SnapshotReason, $first: Int, $after: String) { snapshots(runId: $runId, segmentId: $segmentId, reason: $reason, first: $first, after: $after) { edges { node { ${SNAPSHOT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
export const DELETE_SNAPSHOT = `mutation DeleteSnapshot($id: ID!) { deleteSnapshot(id: $id) { ${SNAPSHOT_FIELDS} } }`;
export const RESTORE_SNAPSHOT = `mutation RestoreSnapshot($snapshotId: ID!) { restoreSnapshot(snapshotId: $snapshotId) { ${RUN_SUMMARY_FIELDS} } }`;
export const FORK_RUN = `mutation ForkRun($snapshotId: ID!) { forkRun(snapshotId: $snapshotId) { ${RUN_SUMMARY_FIELDS} } }`;
const DURATION = 'count meanMs p50Ms p90Ms p95Ms p99Ms maxMs';
export const PROCESS_MAP = `query ProcessMap($segmentId: ID!, $from: DateTime, $to: DateTime) { processMap(segmentId: $segmentId, from: $from, to: $to) { segmentId runs nodes { activity stepType count failed duration { ${DURATION} } } edges { source target count duration { ${DURATION} } } } }`;
