/** One commit as rows of the commit view: `(...)` tuples joined by `, `, and their values. */
export interface CommitRows {
  tuples: string;
  params: unknown[];
}

/** What {@link GroupCommit} runs its batches with. */
export interface GroupCommitHost {
  /** Queues `job` in the store's statement queue. */
  schedule(job: () => Promise<void>): Promise<void>;
  /** Runs one INSERT into the commit view (at the configured durability). */
  insert(tuples: string, params: unknown[]): Promise<void>;
}

interface Waiting extends CommitRows {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit: commits that arrive while the statement queue is busy are written together
 * by one INSERT into the commit view when their turn comes: one trip to the driver's thread
 * pool and one log write for all of them, each still checked against its own run's version
 * by the view's triggers. The statement is atomic: should any commit of a batch be refused
 * (a version conflict), nothing of the batch was written and each commit runs again on its
 * own, so only the refused one fails. A commit that arrives while the queue is idle runs at
 * once, alone: grouping never delays a commit.
 */
export class GroupCommit {
  private open?: Waiting[];

  constructor(
    private readonly host: GroupCommitHost,
    /** Most bound values in one statement. */
    private readonly maxParams: number,
  ) {}

  /** Resolves once the commit is written (alone or with others), rejects if it was refused. */
  submit(rows: CommitRows): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: Waiting = { ...rows, resolve, reject };
      if (this.open && this.open.length > 0 && this.fits(this.open, rows)) {
        this.open.push(entry);
        return;
      }
      const batch = [entry];
      this.open = batch;
      void this.host.schedule(() => this.flush(batch));
    });
  }

  private fits(batch: Waiting[], rows: CommitRows): boolean {
    let params = rows.params.length;
    for (const w of batch) params += w.params.length;
    return params <= this.maxParams;
  }

  private async flush(batch: Waiting[]): Promise<void> {
    // From here on, new commits start a batch of their own.
    if (this.open === batch) this.open = undefined;
    if (batch.length === 1) return this.one(batch[0]);
    const params: unknown[] = [];
    for (const w of batch) for (const p of w.params) params.push(p);
    try {
      await this.host.insert(batch.map((w) => w.tuples).join(', '), params);
    } catch {
      // Nothing of the batch was written: each commit on its own, so only a refused one fails.
      for (const w of batch) await this.one(w);
      return;
    }
    for (const w of batch) w.resolve();
  }

  private async one(w: Waiting): Promise<void> {
    try {
      await this.host.insert(w.tuples, w.params);
      w.resolve();
    } catch (error) {
      w.reject(error);
    }
  }
}
