import { eventBusConformanceSuite } from './store-suite/event-bus-suite.js';
import { registryConformanceSuite } from './store-suite/registry-suite.js';
import { runJournalConformanceSuite } from './store-suite/run-journal-suite.js';
import type { StoreConformanceOptions } from './store-suite/suite-support.js';
import { workQueueConformanceSuite } from './store-suite/work-queue-suite.js';

export { agentMemoryConformanceSuite } from './store-suite/agent-memory-suite.js';
export { eventBusConformanceSuite } from './store-suite/event-bus-suite.js';
export { registryConformanceSuite } from './store-suite/registry-suite.js';
export { runJournalConformanceSuite } from './store-suite/run-journal-suite.js';
export { snapshotConformanceSuite } from './store-suite/snapshot-suite.js';
export type {
  StoreConformanceOptions,
  StoreSuiteDescribe,
  StoreSuiteExpect,
  StoreSuiteMatchers,
  StoreSuiteTest,
} from './store-suite/suite-support.js';
export { workQueueConformanceSuite } from './store-suite/work-queue-suite.js';

/**
 * The conformance suite every store plugin runs, ours and third parties' alike, one suite
 * per role of the Store: the run journal (atomic commits, optimistic concurrency, gapless
 * event logs, tenant isolation, snapshots, the audit chain, erasure), the work queue
 * (timers that fire once, leases), the event bus and the registry (audited writes). It
 * takes the runner's `test`, `expect` and `describe`, so it runs under the plugin's own
 * vitest; a part that provides one role runs that role's suite alone:
 *
 * ```ts
 * import { describe, expect, test } from 'vitest';
 * import { storeConformanceSuite } from '@llmteam/testkit';
 * storeConformanceSuite({ name: 'my-store', create: async () => new MyStore(), test, expect, describe });
 * ```
 */
export function storeConformanceSuite(options: StoreConformanceOptions): void {
  options.describe(`${options.name} store conformance`, () => {
    runJournalConformanceSuite(options);
    workQueueConformanceSuite(options);
    eventBusConformanceSuite(options);
    registryConformanceSuite(options);
  });
}
