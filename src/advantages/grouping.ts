/**
 * Maps arbitrary group ids to dense indices 0..k-1 so per-group statistics live in typed arrays.
 *
 * Batches usually list each group's samples together, so the previous sample's id is checked
 * first: the Map is consulted once per run of equal ids, not once per sample.
 */

/** Dense group index of every sample plus the original id of each dense group, in order of first appearance. */
export interface DenseGroups<Id> {
  /** `groupOf[i]` is the dense index of sample i's group. */
  groupOf: Int32Array;
  /** `ids[g]` is the original id of dense group g. */
  ids: Id[];
}

/** Dense indices for integer generation-group ids (any Int32 value, samples in any order). */
export function denseGenerationGroups(generationGroups: Int32Array): DenseGroups<number> {
  const n = generationGroups.length;
  let min = 0;
  let max = -1;
  for (let i = 0; i < n; i++) {
    const id = generationGroups[i]!;
    if (id < min) min = id;
    if (id > max) max = id;
  }
  // Ids are usually prompt indices (small non-negative integers): an array lookup then replaces the
  // Map, which dominated the estimators' time on large batches. Same dense order as `densify`.
  if (min >= 0 && max < 4 * n + 64) return densifySmallInts(generationGroups, max + 1);
  return densify(generationGroups, n);
}

function densifySmallInts(values: Int32Array, range: number): DenseGroups<number> {
  const n = values.length;
  const table = new Int32Array(range).fill(-1);
  const groupOf = new Int32Array(n);
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = values[i]!;
    let g = table[id]!;
    if (g < 0) {
      g = ids.length;
      table[id] = g;
      ids.push(id);
    }
    groupOf[i] = g;
  }
  return { groupOf, ids };
}

/** Dense indices for preference-group labels (samples in any order). */
export function densePreferenceGroups(preferenceGroups: readonly string[]): DenseGroups<string> {
  return densify(preferenceGroups, preferenceGroups.length);
}

function densify<Id>(values: ArrayLike<Id>, n: number): DenseGroups<Id> {
  const groupOf = new Int32Array(n);
  const index = new Map<Id, number>();
  const ids: Id[] = [];
  let previousId: Id | undefined;
  let previousGroup = -1;
  for (let i = 0; i < n; i++) {
    const id = values[i]!;
    if (previousGroup < 0 || id !== previousId) {
      let g = index.get(id);
      if (g === undefined) {
        g = ids.length;
        index.set(id, g);
        ids.push(id);
      }
      previousId = id;
      previousGroup = g;
    }
    groupOf[i] = previousGroup;
  }
  return { groupOf, ids };
}
