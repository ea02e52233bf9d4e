/**
 * Plugging a user-written advantage rule into the trainer.
 */
import { markZeroSpread } from './generation';
import { emptyResult, expectNullState, validateInput } from './input';
import type { AdvantageEstimator, AdvantageInput, AdvantageResult } from './types';

/**
 * What a custom advantage function may return: just the advantages (baselines are then reported
 * as `reward - advantage`, scales as 1, no fallback), or a complete {@link AdvantageResult}.
 */
export type CustomAdvantageOutput = Float64Array | AdvantageResult;

/**
 * Wraps a plain function as a stateless {@link AdvantageEstimator}.
 *
 * The input is validated before `fn` sees it (same checks as the built-in estimators), and the
 * output is checked: every array must have one entry per sample and advantages must be finite,
 * otherwise the error names the estimator. When `fn` returns only advantages, `zeroStdGeneration`
 * is filled from the generation groups. For a stateful rule, implement `AdvantageEstimator`
 * directly and pass the object to `createEstimator`.
 *
 * @param name - short name for logs and figures.
 * @param fn - computes advantages for one validated batch; must not modify its input.
 */
export function defineEstimator(name: string, fn: (input: AdvantageInput) => CustomAdvantageOutput): AdvantageEstimator {
  if (typeof name !== 'string' || name.length === 0) throw new Error('defineEstimator: name must be a non-empty string');
  if (typeof fn !== 'function') throw new Error(`defineEstimator: fn for '${name}' must be a function`);
  return {
    name,
    compute(input) {
      const n = validateInput(name, input);
      const output = fn(input);
      return output instanceof Float64Array ? fromAdvantages(name, input, n, output) : checkResult(name, n, output);
    },
    getState: () => null,
    setState: (state) => expectNullState(name, state),
  };
}

function fromAdvantages(name: string, input: AdvantageInput, n: number, advantages: Float64Array): AdvantageResult {
  checkArray(name, 'advantages', advantages, n, true);
  const result = emptyResult(n);
  result.advantages.set(advantages);
  for (let i = 0; i < n; i++) result.baselines[i] = input.rewards[i]! - advantages[i]!;
  markZeroSpread(input, result.zeroStdGeneration);
  return result;
}

function checkResult(name: string, n: number, result: AdvantageResult): AdvantageResult {
  if (result === null || typeof result !== 'object') {
    throw new Error(`${name}: the estimator function must return a Float64Array of advantages or an AdvantageResult`);
  }
  checkArray(name, 'advantages', result.advantages, n, true);
  checkArray(name, 'baselines', result.baselines, n, false);
  checkArray(name, 'scales', result.scales, n, false);
  checkArray(name, 'zeroStdGeneration', result.zeroStdGeneration, n, false);
  checkArray(name, 'fallback', result.fallback, n, false);
  return result;
}

function checkArray(name: string, field: string, values: ArrayLike<number> | undefined, n: number, finite: boolean): void {
  if (values === undefined || values === null || typeof values.length !== 'number') {
    throw new Error(`${name}: returned ${field} is missing`);
  }
  if (values.length !== n) throw new Error(`${name}: returned ${field} has length ${values.length} but rewards has length ${n}`);
  if (!finite) return;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v - v !== 0) throw new Error(`${name}: returned ${field}[${i}] is ${v}; advantages must be finite`);
  }
}
