/**
 * Group ids (prompt numbers, preference-group names) to dense indices 0..k-1, so per-group
 * statistics live in typed arrays.
 */

/** Dense group index of every sample plus the original id of each dense group, in order of first appearance. */
export interface DenseGroups<Id> {
  /** `groupOf[i]` is the dense index of sample i's group. */
  groupOf: Int32Array;
  /** `ids[g]` is the original id of dense group g. */
  ids: Id[];
}

/** Dense indices for any ids (samples in any order), numbered in order of first appearance. */
export function denseGroups<Id>(values: ArrayLike<Id>): DenseGroups<Id> {
  const groupOf = new Int32Array(values.length);
  const index = new Map<Id, number>();
  const ids: Id[] = [];
  for (let i = 0; i < values.length; i++) {
    const id = values[i]!;
    let g = index.get(id);
    if (g === undefined) {
      g = ids.length;
      index.set(id, g);
      ids.push(id);
    }
    groupOf[i] = g;
  }
  return { groupOf, ids };
}
