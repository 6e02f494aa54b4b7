/**
 * The shared values (`run_values`, by content hash) this store instance knows a run holds,
 * because its own commits wrote them: a later commit of the run sends only the others, so
 * a 1 MB value that every step passes on crosses to the database once per run, not once
 * per step.
 *
 * Skipping is safe because a run's values are deleted only with the run itself (erasure,
 * retention): a run that is gone fails the next commit's version check, and nothing is
 * written. The set of a run starts empty when the run is created (a run id used again
 * starts over), is added to only after a commit succeeded, is dropped when a commit of the
 * run is refused (another writer moved it) and when this store deletes the run. At most
 * `maxRuns` runs are remembered, the least recently committed forgotten first.
 */
export class StoredValues {
  private readonly runs = new Map<string, Set<string>>();

  constructor(private readonly maxRuns = 1000) {}

  /** The hashes a run is known to hold, for a commit that continues it. */
  known(tenantId: string, runId: string): ReadonlySet<string> | undefined {
    return this.runs.get(key(tenantId, runId));
  }

  /** Records what a successful commit wrote; `created` starts the run's set over. */
  remember(tenantId: string, runId: string, hashes: readonly string[], created: boolean): void {
    const k = key(tenantId, runId);
    let set = created ? undefined : this.runs.get(k);
    this.runs.delete(k);
    if (!set) {
      if (!created && hashes.length === 0) return;
      set = new Set();
    }
    for (const hash of hashes) set.add(hash);
    this.runs.set(k, set);
    if (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value as string);
  }

  /** Forgets a run (refused commit, deleted run). */
  forget(tenantId: string, runId: string): void {
    this.runs.delete(key(tenantId, runId));
  }

  /** Forgets every run (the store closed). */
  clear(): void {
    this.runs.clear();
  }
}

function key(tenantId: string, runId: string): string {
  return `${tenantId}\u0000${runId}`;
}
