/**
 * Colours and dash styles shared by every figure: a method keeps its colour everywhere, and groups
 * within a method are told apart by dash style (and, where lines of one method overlap, lightness).
 */

/** Okabe-Ito-like colour-blind-safe palette (lower-case hex, as {@link groupShade} writes). */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#8c6d31'] as const;

/** Fixed colours for the kit's methods, keyed by name lower-cased with non-alphanumerics removed. */
const KNOWN_METHODS: Record<string, string> = {
  grpo: PALETTE[0],
  pgrpo: PALETTE[1],
  grdpo: PALETTE[2],
  gripo: PALETTE[3],
  drgrpo: PALETTE[4],
  rloo: PALETTE[5],
  dpo: PALETTE[6],
  ipo: PALETTE[7],
  // Variants get colours of their own outside the palette, so a hash never gives them a neighbour's.
  isdpo: '#117733',
  isipo: '#882255',
  pgrporandomgroups: '#7f7f7f',
};

/** Dash styles cycled over groups. */
export const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot'] as const;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Colour of a method. Known methods (GRPO, P-GRPO, GR-DPO, GR-IPO, Dr. GRPO, RLOO, DPO, IPO, any
 * spelling/case) have fixed colours; other names get a palette colour chosen by a hash of the name, so
 * the choice never depends on which other methods are in the figure.
 */
export function methodColor(method: string): string {
  const known = KNOWN_METHODS[normalise(method)];
  if (known) return known;
  let h = 2166136261;
  for (const ch of method) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/**
 * Dash style of a group: its position in the sorted list of the figure's groups, so that e.g. groups
 * `majority`/`minority` keep their dashes in every figure that shows both.
 */
export function groupDash(group: string, groups: readonly string[]): string {
  const sorted = [...new Set(groups)].sort();
  const i = sorted.indexOf(group);
  if (i < 0) throw new Error(`groupDash: group '${group}' is not in the figure's groups (${sorted.join(', ')})`);
  return DASHES[i % DASHES.length]!;
}

/** `#rrggbb` to `rgba(r, g, b, alpha)`, for translucent interval bands. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`withAlpha expects a #rrggbb colour, got ${hex}`);
  return `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${alpha})`;
}

/**
 * A lighter variant of `hex` for the i-th of n groups: i = 0 is the colour itself, later groups mix up
 * to 40% toward white, so groups of one method stay recognisably that method's colour.
 */
export function groupShade(hex: string, i: number, n: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`groupShade expects a #rrggbb colour, got ${hex}`);
  const t = n <= 1 ? 0 : (0.4 * i) / (n - 1);
  const mix = (c: string) => Math.round(parseInt(c, 16) + t * (255 - parseInt(c, 16))).toString(16).padStart(2, '0');
  return `#${mix(m[1]!)}${mix(m[2]!)}${mix(m[3]!)}`;
}
