import { commitTests } from './run-journal-commit-tests.js';
import { inboxTests } from './run-journal-inbox-tests.js';
import { isolationTests } from './run-journal-isolation-tests.js';
import { readTests } from './run-journal-read-tests.js';
import { valueTests } from './run-journal-value-tests.js';
import { runStateTests } from './run-state-tests.js';
import { snapshotConformanceSuite } from './snapshot-suite.js';
import { type StoreConformanceOptions, storeSuiteSupport } from './suite-support.js';

/**
 * Conformance of a store's run journal: atomic commits, optimistic concurrency, gapless
 * event logs, tenant isolation on every read, snapshots, the audit chain, listing, the SLA-ordered inbox, values that share large parts, erasure
 * and (with `reopen`) durability.
 */
export function runJournalConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const context = {
    test,
    expect,
    ...storeSuiteSupport(options),
    concurrency: options.concurrency ?? 8,
    options,
  };

  describe(`${options.name} run journal`, () => {
    commitTests(context);
    isolationTests(context);
    readTests(context);
    inboxTests(context);
    valueTests(context);
    runStateTests(context);
  });
  snapshotConformanceSuite(options);
}
