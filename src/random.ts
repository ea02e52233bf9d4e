/**
 * Seeded pseudo-random numbers (xoshiro128**), with a state that can be saved and restored so
 * that a resumed run draws exactly the numbers an uninterrupted run would.
 */

/** Serialisable generator state: four unsigned 32-bit words, not all zero. */
export type RngState = [number, number, number, number];

/** Seeds are integers in [0, SEED_LIMIT) = [0, 2^32): every value there gives its own stream. */
export const SEED_LIMIT = 2 ** 32;

/**
 * Returns `seed` when it is an integer in [0, 2^32); otherwise throws naming `parameter`. Outside
 * that range (or with a fraction) seeds would alias others: -1 and 2^32 - 1 would give one stream.
 */
export function checkSeed(seed: unknown, parameter = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= SEED_LIMIT) {
    const shown = typeof seed === 'number' ? String(seed) : `${typeof seed} ${JSON.stringify(seed) ?? String(seed)}`;
    throw new Error(`${parameter} must be an integer in [0, 2^32), got ${shown}`);
  }
  return seed;
}

/**
 * Throws unless `state` is a valid {@link RngState}: four integers in [0, 2^32), not all zero (an
 * all-zero xoshiro state draws 0 forever). `what` names the state in the message.
 */
export function checkRngState(state: unknown, what = 'rng state'): asserts state is RngState {
  if (!Array.isArray(state) || state.length !== 4) {
    throw new Error(`${what} must be an array of four unsigned 32-bit integers, got ${Array.isArray(state) ? `an array of length ${state.length}` : state === null ? 'null' : typeof state}`);
  }
  state.forEach((w: unknown, i) => {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w >= SEED_LIMIT) {
      throw new Error(`${what}[${i}] must be an unsigned 32-bit integer, got ${typeof w === 'number' ? w : `${w === null ? 'null' : typeof w}`}`);
    }
  });
  if (state.every((w) => w === 0)) throw new Error(`${what} is all zeros, which would draw 0 forever; it was not saved by Rng.getState()`);
}

/** A seeded random number generator. */
export class Rng {
  private s: Uint32Array;

  /**
   * @param seed - an integer in [0, 2^32); equal seeds give equal streams.
   * @param parameter - how the caller's error message names the seed (default `seed`).
   */
  constructor(seed: number, parameter = 'seed') {
    // splitmix32 spreads the seed over the four words so that nearby seeds give unrelated streams.
    let x = checkSeed(seed, parameter);
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = new Uint32Array([next(), next(), next(), next()]);
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** Restores a generator from {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** The current state, to save with a checkpoint. */
  getState(): RngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  /** Continues from a saved state (validated by {@link checkRngState}). */
  setState(state: RngState): void {
    checkRngState(state);
    this.s = new Uint32Array(state);
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`int(n) needs a positive integer n, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Box-Muller; one draw per call, so the stream has no hidden cache). */
  normal(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    if (!(total > 0) || !Number.isFinite(total)) throw new Error('categorical weights must be finite, non-negative and not all zero');
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** A new generator whose stream is independent of this one's continuation. */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
