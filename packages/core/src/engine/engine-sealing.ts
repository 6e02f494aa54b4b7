import type { Logger } from '../catalog/types.js';
import { isLlmteamError, LlmteamError } from '../errors.js';
import type { KeyProvider } from '../sealing/key-provider.js';
import { collectSealed, mapSealed, scrubbableStrings, scrubDeep } from '../sealing/sealed-value.js';
import { Sealer, valuesAtPaths } from '../sealing/sealer.js';
import { SealingPlan } from '../sealing/sealing-plan.js';
import type { SegmentDefinition } from '../segment/types.js';

/** Options of the engine's sealing (`sealing` of {@link EngineOptions}). */
export interface SealingOptions {
  /**
   * Wraps the data keys sealed values are encrypted with (`staticKeyProvider`, a key
   * management plugin, or `developmentKeyProvider()` for local use). A plugin's
   * `registerKeyProvider` takes precedence. @default none: a run of a segment that seals
   * fields fails to start with `LLMT_E_SEALING_KEY`
   */
  keys?: KeyProvider;
}

/**
 * The engine's sealing: the key providers (its option and those plugins register), one
 * {@link Sealer} over the first of them, and the sealing plan of each segment.
 */
export class EngineSealing {
  /** Key providers, the ones plugins register first. */
  readonly providers: KeyProvider[];
  private readonly plans = new WeakMap<SegmentDefinition, SealingPlan>();
  private current?: Sealer;
  private warned = false;

  constructor(
    options: SealingOptions | undefined,
    private readonly logger: Logger,
  ) {
    this.providers = options?.keys ? [options.keys] : [];
  }

  /** The sealing plan of a segment (cached per definition object). */
  planOf(segment: SegmentDefinition): SealingPlan {
    let plan = this.plans.get(segment);
    if (!plan) {
      plan = new SealingPlan(segment);
      this.plans.set(segment, plan);
    }
    return plan;
  }

  /** The sealer, or `LLMT_E_SEALING_KEY` naming the segment when no key provider is set. */
  sealer(segmentId?: string): Sealer {
    const provider = this.providers[0];
    if (!provider) {
      throw new LlmteamError(
        'LLMT_E_SEALING_KEY',
        `${segmentId ? `segment "${segmentId}" seals fields, but ` : ''}the engine has no sealing key provider; pass \`sealing: { keys: staticKeyProvider({ keys: { k1: "<base64 of 32 bytes>" } }) }\` to createEngine (gateway: the config's "sealing" section or LLMTEAM_SEALING_KEYS)`,
      );
    }
    if (!this.current || this.current.keys !== provider) this.current = new Sealer(provider);
    if (provider.development && !this.warned) {
      this.warned = true;
      this.logger.warn(
        { keyProvider: provider.name },
        'sealed values are encrypted with the DEVELOPMENT key, which anyone can read: configure a sealing key before storing real data',
      );
    }
    return this.current;
  }

  /**
   * The run input as it is stored: sealed at the plan's input paths. An input check that
   * fails on it (`check`) has the plaintexts scrubbed from its message.
   */
  async sealInput(
    segment: SegmentDefinition,
    tenantId: string,
    runId: string,
    input: unknown,
  ): Promise<unknown> {
    const plan = this.planOf(segment);
    if (!plan.inputPaths.length) return input;
    const sealer = this.sealer(segment.segment_id);
    const key = await sealer.dataKey(tenantId, runId);
    return sealer.sealPaths(input, plan.inputPaths, key, tenantId, '', 'confidential');
  }

  /** Runs `check` on the plaintext input; its error comes back with the sealed values scrubbed. */
  checkInput(segment: SegmentDefinition, input: unknown, check: () => void): void {
    try {
      check();
    } catch (error) {
      const plan = this.planOf(segment);
      if (!plan.inputPaths.length || !isLlmteamError(error)) throw error;
      const texts = scrubbableStrings(valuesAtPaths(input, plan.inputPaths));
      if (!texts.length) throw error;
      throw new LlmteamError(error.code, scrubDeep(error.message, texts), {
        retryable: error.retryable,
        details: error.details && scrubDeep(error.details, texts),
      });
    }
  }

  /** Every sealed value inside `value`, opened (for a caller allowed to unseal). */
  async openAll(value: unknown, tenantId: string): Promise<unknown> {
    const found = collectSealed(value);
    if (!found.length) return value;
    const sealer = this.sealer();
    const plain = new Map<unknown, unknown>();
    for (const s of found) plain.set(s, await sealer.open(s, tenantId));
    return mapSealed(value, (s) => plain.get(s));
  }
}
