import { AgentMemoryTable1767657600000 } from './agent-memory-table.js';
import { AuditCheckpointsTable1767750000000 } from './audit-checkpoints-table.js';
import { EventQueryIndexes1767312000000 } from './event-query-indexes.js';
import { InboxDueIndex1767484800000 } from './inbox-due-index.js';
import { InitialSchema1767225600000 } from './initial-schema.js';
import { SnapshotListing1767571200000 } from './snapshot-listing.js';

/**
 * The versioned migrations, oldest first. Listed explicitly (globs fail under ESM and
 * bundlers). Schema version N is the state after the N-th migration.
 */
export const SQL_MIGRATIONS = [
  InitialSchema1767225600000,
  EventQueryIndexes1767312000000,
  InboxDueIndex1767484800000,
  SnapshotListing1767571200000,
  AgentMemoryTable1767657600000,
  AuditCheckpointsTable1767750000000,
];

/** Schema version this plugin creates and understands. */
export const SQL_SCHEMA_VERSION = SQL_MIGRATIONS.length;
