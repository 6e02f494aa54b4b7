import type { Logger } from '../catalog/types.js';
import { isLlmteamError, LlmteamError } from '../errors.js';
import {
  collectSealed,
  isSealedValue,
  mapSealed,
  type SealedValue,
  scrubbableStrings,
  scrubDeep,
  scrubText,
} from '../sealing/sealed-value.js';
import type { Sealer } from '../sealing/sealer.js';
import type { SealingPlan } from '../sealing/sealing-plan.js';
import type { StepStateRecord } from '../store/types.js';
import type { Outcome } from './step-execution.js';
import { InterruptSignal, SuspendSignal } from './suspend-signal.js';

type DataKey = Awaited<ReturnType<Sealer['dataKey']>>;

/**
 * Sealing around one handler invocation: opens the sealed values the step may see before
 * the handler runs, and on the way out seals its outputs at the sealed paths, seals any
 * other string that carries an opened plaintext (checkpoints, suspensions, requests), and
 * scrubs opened plaintexts from free text (errors, events, log lines, progress).
 */
export class StepSealing {
  /** Plaintexts opened for the handler, longest first, with the label each came with. */
  private readonly opened: Array<{ text: string; sealed: SealedValue }> = [];
  private texts: string[] = [];
  private key?: DataKey;

  constructor(
    private readonly sealer: Sealer,
    private readonly plan: SealingPlan,
    readonly tenantId: string,
    readonly runId: string,
    readonly stepId: string,
  ) {}

  /** `value` with every sealed value this step may open replaced by its plaintext. */
  async open<T>(value: T): Promise<T> {
    const found = collectSealed(value).filter((s) => this.plan.mayOpen(this.stepId, s));
    if (!found.length) return value;
    const plain = new Map<SealedValue, unknown>();
    for (const s of found) {
      const text = await this.sealer.open(s, this.tenantId);
      plain.set(s, text);
      for (const t of scrubbableStrings(text)) this.opened.push({ text: t, sealed: s });
    }
    this.opened.sort((a, b) => b.text.length - a.text.length);
    this.texts = this.opened.map((o) => o.text);
    return mapSealed(value, (s) => (plain.has(s) ? plain.get(s) : s)) as T;
  }

  /** The step record as its handler sees it: checkpoint and suspension opened. */
  async openRecord(rec: StepStateRecord): Promise<StepStateRecord> {
    if (rec.checkpoint === undefined && rec.suspension === undefined) return rec;
    const checkpoint = await this.open(rec.checkpoint);
    const suspension = rec.suspension && {
      ...rec.suspension,
      payload: await this.open(rec.suspension.payload),
      resume: await this.open(rec.suspension.resume),
    };
    return { ...rec, checkpoint, suspension };
  }

  private async dataKey(): Promise<DataKey> {
    this.key ??= await this.sealer.dataKey(this.tenantId, this.runId);
    return this.key;
  }

  /** Free text with every opened plaintext replaced by `"[sealed]"`. */
  scrub<T>(value: T): T {
    if (!this.texts.length) return value;
    return typeof value === 'string' ? (scrubText(value, this.texts) as T) : scrubDeep(value, this.texts);
  }

  /**
   * `value` with every string that carries an opened plaintext sealed whole (under the
   * label of the value it came from), so it can go to the store and come back to this step.
   */
  async sealCarried<T>(value: T): Promise<T> {
    if (!this.opened.length) return value;
    const key = await this.dataKey();
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') {
        const hit = this.opened.find((o) => v.includes(o.text));
        return hit
          ? this.sealer.sealWith(key, this.tenantId, v, {
              path: hit.sealed.$sealed.path,
              by: this.stepId,
              level: hit.sealed.$sealed.level,
            })
          : v;
      }
      if (typeof v !== 'object' || v === null || isSealedValue(v)) return v;
      if (Array.isArray(v)) {
        let copy: unknown[] | undefined;
        v.forEach((item, i) => {
          const next = walk(item);
          if (next !== item) {
            copy ??= v.slice();
            copy[i] = next;
          }
        });
        return copy ?? v;
      }
      let copy: Record<string, unknown> | undefined;
      for (const [k, item] of Object.entries(v)) {
        const next = walk(item);
        if (next !== item) {
          copy ??= { ...(v as Record<string, unknown>) };
          copy[k] = next;
        }
      }
      return copy ?? v;
    };
    return walk(value) as T;
  }

  /** The outputs as they are stored: sealed at each port's paths, plaintexts carried elsewhere sealed too. */
  async sealOutputs(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return outputs;
    const level = this.plan.level(this.stepId);
    let copy: Record<string, unknown> | undefined;
    for (const [port, value] of Object.entries(outputs)) {
      const paths = this.plan.outputPaths(this.stepId, port);
      let next = value;
      if (paths.length)
        next = this.sealer.sealPaths(value, paths, await this.dataKey(), this.tenantId, this.stepId, level);
      next = await this.sealCarried(next);
      if (next !== value) {
        copy ??= { ...outputs };
        copy[port] = next;
      }
    }
    return copy ?? outputs;
  }

  /** A thrown error with opened plaintexts scrubbed (a confidential step's message sealed whole). */
  async sealError(error: unknown): Promise<unknown> {
    const level = this.plan.level(this.stepId);
    if (level === 'confidential' || level === 'restricted') {
      const info = isLlmteamError(error)
        ? { code: error.code, retryable: error.retryable }
        : { code: 'LLMT_E_STEP_FAILED', retryable: true };
      const message = error instanceof Error ? error.message : String(error);
      const sealed = this.sealer.sealWith(await this.dataKey(), this.tenantId, message, {
        path: '/error/message',
        by: this.stepId,
        level,
      });
      return new LlmteamError(
        info.code,
        `step "${this.stepId}" failed; its message is sealed (sensitivity ${level})`,
        { retryable: info.retryable, details: { sealed_message: sealed } },
      );
    }
    if (!this.texts.length) return error;
    if (isLlmteamError(error)) {
      return new LlmteamError(error.code, this.scrub(error.message), {
        retryable: error.retryable,
        details: error.details ? this.scrub(error.details) : undefined,
      });
    }
    if (error instanceof Error) {
      const copy = new Error(this.scrub(error.message));
      copy.name = error.name;
      return copy;
    }
    return this.scrub(String(error));
  }

  /** The outcome as it is committed. */
  async sealOutcome(outcome: Outcome): Promise<Outcome> {
    let sealed: Outcome;
    if (outcome.kind === 'ok') sealed = { ...outcome, outputs: await this.sealOutputs(outcome.outputs) };
    else if (outcome.kind === 'error') sealed = { ...outcome, error: await this.sealError(outcome.error) };
    else if (outcome.kind === 'interrupt') {
      const progress = outcome.signal.progress;
      sealed = progress
        ? { ...outcome, signal: new InterruptSignal({ state: await this.sealCarried(progress.state) }) }
        : outcome;
    } else {
      const { payload, options } = outcome.signal;
      for (const i of options.interactions ?? []) i.settings = await this.sealCarried(i.settings);
      const signal = new SuspendSignal(await this.sealCarried(payload), {
        ...options,
        events: options.events && this.scrub(options.events),
      });
      sealed = { ...outcome, signal };
    }
    if (outcome.events) sealed.events = this.scrub(outcome.events);
    if (outcome.actions) sealed.actions = this.scrub(outcome.actions);
    return sealed;
  }

  /** A logger whose messages and fields never carry an opened plaintext. */
  logger(base: Logger): Logger {
    const wrap = (l: Logger): Logger => ({
      debug: (obj, msg) => l.debug(this.scrubLog(obj), msg && this.scrub(msg)),
      info: (obj, msg) => l.info(this.scrubLog(obj), msg && this.scrub(msg)),
      warn: (obj, msg) => l.warn(this.scrubLog(obj), msg && this.scrub(msg)),
      error: (obj, msg) => l.error(this.scrubLog(obj), msg && this.scrub(msg)),
      child: (bindings) => wrap(l.child(this.scrub(bindings))),
    });
    return wrap(base);
  }

  private scrubLog(obj: unknown): unknown {
    if (!this.texts.length) return obj;
    if (obj instanceof Error) return { err: { name: obj.name, message: this.scrub(obj.message) } };
    if (typeof obj === 'object' && obj !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj))
        out[k] = v instanceof Error ? { name: v.name, message: this.scrub(v.message) } : this.scrub(v);
      return out;
    }
    return this.scrub(obj);
  }
}
