/**
 * Maps arbitrary group ids to dense indices 0..k-1 so per-group statistics live in typed arrays.
 *
 * Batches usually list each group's samples together, so the previous sample's id is checked
 * first: the Map is consulted once per run of equal ids, not once per sample.
 */
import { badPreferenceGroup } from './input';

/** Dense group index of every sample plus the original id of each dense group, in order of first appearance. */
export interface DenseGroups<Ids> {
  /** `groupOf[i]` is the dense index of sample i's group. */
  groupOf: Int32Array;
  /** `ids[g]` is the original id of dense group g. */
  ids: Ids;
}

/**
 * Dense indices for integer generation-group ids (any Int32 value, samples in any order).
 *
 * When the ids already are dense indices (0, 1, 2, ... in order of first appearance, as when a
 * batch numbers its prompts), `groupOf` is `generationGroups` itself, not a copy: callers only read it.
 */
export function denseGenerationGroups(generationGroups: Int32Array): DenseGroups<Int32Array> {
  const n = generationGroups.length;
  let min = 0;
  let max = -1;
  let dense = true;
  for (let i = 0; i < n; i++) {
    const id = generationGroups[i]!;
    if (id < min) min = id;
    if (id > max) {
      // A new largest id keeps the ids dense only if it is the next index.
      if (id !== max + 1) dense = false;
      max = id;
    }
  }
  if (dense && min === 0) {
    const ids = new Int32Array(max + 1);
    for (let g = 0; g <= max; g++) ids[g] = g;
    return { groupOf: generationGroups, ids };
  }
  // Ids are usually prompt indices (small non-negative integers): an array lookup then replaces the
  // Map, which dominated the estimators' time on large batches. Same dense order as `densifyWithMap`.
  if (min >= 0 && max < 4 * n + 64) return densifySmallInts(generationGroups, max + 1);
  return densifyWithMap(generationGroups);
}

function densifySmallInts(values: Int32Array, range: number): DenseGroups<Int32Array> {
  const n = values.length;
  const table = new Int32Array(range).fill(-1);
  const groupOf = new Int32Array(n);
  const ids = new Int32Array(Math.min(range, n));
  let k = 0;
  for (let i = 0; i < n; i++) {
    const id = values[i]!;
    let g = table[id]!;
    if (g < 0) {
      g = k++;
      table[id] = g;
      ids[g] = id;
    }
    groupOf[i] = g;
  }
  return { groupOf, ids: ids.subarray(0, k) };
}

/**
 * Dense indices for preference-group labels (samples in any order), checking each label on the way:
 * a label that is not a non-empty string is an error naming `estimator` and the first such index.
 */
export function densePreferenceGroups(estimator: string, labels: readonly unknown[]): DenseGroups<string[]> {
  const n = labels.length;
  const groupOf = new Int32Array(n);
  const index = new Map<string, number>();
  const ids: string[] = [];
  let previous: unknown = undefined;
  let group = -1;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    // Labels come in runs (a prompt's samples share one), so a label is checked and looked up only
    // when it differs from the previous one.
    if (i === 0 || label !== previous) {
      if (typeof label !== 'string' || label.length === 0) throw badPreferenceGroup(estimator, i, label);
      let g = index.get(label);
      if (g === undefined) {
        g = ids.length;
        index.set(label, g);
        ids.push(label);
      }
      previous = label;
      group = g;
    }
    groupOf[i] = group;
  }
  return { groupOf, ids };
}

function densifyWithMap(values: Int32Array): DenseGroups<Int32Array> {
  const n = values.length;
  const groupOf = new Int32Array(n);
  const index = new Map<number, number>();
  const ids = new Int32Array(n);
  let previousGroup = -1;
  for (let i = 0; i < n; i++) {
    const id = values[i]!;
    if (previousGroup < 0 || id !== ids[previousGroup]) {
      let g = index.get(id);
      if (g === undefined) {
        g = index.size;
        index.set(id, g);
        ids[g] = id;
      }
      previousGroup = g;
    }
    groupOf[i] = previousGroup;
  }
  return { groupOf, ids: ids.subarray(0, index.size) };
}
