/**
 * Curve smoothing applied to each seed's curve before any threshold or averaging.
 */

/**
 * How to smooth a curve. Smoothing works on logged points in step order, not on step units, so
 * logs with a regular logging interval are assumed.
 * - `none`: values as logged.
 * - `ema`: exponential moving average s_0 = x_0, s_t = alpha * x_t + (1 - alpha) * s_{t-1};
 *   alpha in (0, 1], larger alpha follows the data more closely (alpha = 1 is no smoothing).
 *   Causal: s_t uses only points up to t, so threshold crossings are never seen early.
 * - `window`: centred moving average over an odd `width` of points; near the ends the window
 *   shrinks to the points that exist (it is not padded), so the output has the input's length.
 */
export type Smoothing = { kind: 'none' } | { kind: 'ema'; alpha: number } | { kind: 'window'; width: number };

/** Smooths `values` as described in {@link Smoothing}; the output has the same length. */
export function smoothCurve(values: readonly number[], smoothing: Smoothing = { kind: 'none' }): number[] {
  switch (smoothing.kind) {
    case 'none':
      return values.slice();
    case 'ema': {
      const { alpha } = smoothing;
      if (!(alpha > 0 && alpha <= 1)) throw new Error(`smoothing.alpha must lie in (0, 1], got ${alpha}`);
      const out: number[] = [];
      values.forEach((v, i) => out.push(i === 0 ? v : alpha * v + (1 - alpha) * out[i - 1]!));
      return out;
    }
    case 'window': {
      const { width } = smoothing;
      if (!Number.isInteger(width) || width < 1 || width % 2 === 0) throw new Error(`smoothing.width must be an odd positive integer, got ${width}`);
      const half = (width - 1) / 2;
      return values.map((_, i) => {
        const from = Math.max(0, i - half);
        const to = Math.min(values.length - 1, i + half);
        let sum = 0;
        for (let j = from; j <= to; j++) sum += values[j]!;
        return sum / (to - from + 1);
      });
    }
    default:
      throw new Error(`smoothing.kind must be 'none', 'ema' or 'window', got ${(smoothing as { kind: unknown }).kind}`);
  }
}
