import type { StoreConformanceOptions, StoreSuiteSupport } from './suite-support.js';

/** What each part of the run-journal suite gets: the runner's functions and the shared helpers. */
export type RunJournalSuiteContext = Pick<StoreConformanceOptions, 'test' | 'expect'> &
  StoreSuiteSupport & {
    /** Concurrent commits the race tests make. */
    concurrency: number;
    options: StoreConformanceOptions;
  };
