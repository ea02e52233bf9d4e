/**
 * The advantage-estimator interface shared by GRPO, Dr. GRPO, RLOO, P-GRPO and custom estimators.
 *
 * An estimator sees one batch: a reward per sample, the generation group (prompt) each sample was
 * drawn for, and the preference group of the user it was scored for. It returns one advantage per
 * sample plus per-sample diagnostics that the trainer turns into per-preference-group metrics.
 */

/** One batch of scored samples. All arrays have one entry per sample. */
export interface AdvantageInput {
  /** Reward of each sample; must be finite. */
  rewards: Float64Array;
  /** Generation group (prompt instance) of each sample: the G samples drawn for one prompt share an id. */
  generationGroups: Int32Array;
  /** Preference group (user type) of each sample. */
  preferenceGroups: readonly string[];
}

/** Advantages plus what produced them, sample by sample. */
export interface AdvantageResult {
  advantages: Float64Array;
  /** The baseline subtracted from each reward. */
  baselines: Float64Array;
  /** The scale each centred reward was divided by (1 where no scaling applies). */
  scales: Float64Array;
  /**
   * 1 where the sample's generation group has zero reward spread, else 0: all G rewards equal, up to
   * `ZERO_SPREAD_ULPS` units in the last place (so 0.1 + 0.2 and 0.3 count as equal), else 0.
   */
  zeroStdGeneration: Uint8Array;
  /** 1 where an estimator fell back to another rule for this sample (e.g. P-GRPO warm-up), else 0. */
  fallback: Uint8Array;
}

/** Computes advantages for a batch. Stateful estimators (P-GRPO) update their statistics in `compute`. */
export interface AdvantageEstimator {
  /** Short name used in logs and figures, e.g. `grpo`, `pgrpo`. */
  readonly name: string;
  /** Computes advantages for one batch; throws a clear error on bad input. */
  compute(input: AdvantageInput): AdvantageResult;
  /** Serialisable state for checkpoints (stateless estimators return `null`). */
  getState(): unknown;
  /** Restores the state returned by {@link AdvantageEstimator.getState}. */
  setState(state: unknown): void;
}
