import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricRecord } from '../src';
import { learningCurves, learningCurvesFrame, recoverySummary } from '../src/analysis';
import {
  FigureExporter,
  PALETTE,
  advantageDistributionFigure,
  alphaTrajectoriesFigure,
  figureHtml,
  groupDash,
  groupShade,
  methodColor,
  plotlyBundle,
  recoveryVsShareFigure,
  rewardCurvesFigure,
  saveFigure,
  saveTable,
  showFigure,
  inlineLayout,
  plotlyCarrier,
  PLOTLY_CARRIER_TYPE,
  withAlpha,
  zeroStdFractionFigure,
  type PlotlyFigure,
} from '../src/figures';

// Outputs go to a temp dir; set HPA_KEEP_TEST_FIGURES=1 to keep it for inspection.
const outDir = mkdtempSync(join(tmpdir(), 'hpa-figures-'));
after(() => {
  if (process.env.HPA_KEEP_TEST_FIGURES === '1') console.log(`figures kept in ${outDir}`);
  else rmSync(outDir, { recursive: true, force: true });
});

/** Synthetic logs: minority recovers slower under GRPO than under P-GRPO; deterministic, no randomness needed. */
function logs(shares = [0.2]): MetricRecord[] {
  const rows: MetricRecord[] = [];
  for (const share of shares) {
    for (const method of ['GRPO', 'P-GRPO']) {
      for (const seed of [1, 2, 3]) {
        const rate = (method === 'GRPO' ? 0.02 : 0.08) * (1 + share) * (1 + 0.1 * seed);
        for (let step = 0; step <= 60; step += 2) {
          const wobble = 0.03 * Math.sin(step * 0.7 + seed);
          const minority = 0.15 + 0.8 * (1 - Math.exp(-rate * step)) + wobble;
          const majority = 0.3 + 0.65 * (1 - Math.exp(-0.1 * step)) + wobble / 2;
          const base = { method, seed, share };
          rows.push({ step, group: 'minority', metric: 'reward_mean', value: minority, ...base });
          rows.push({ step, group: 'majority', metric: 'reward_mean', value: majority, ...base });
          rows.push({ step, group: 'minority', metric: 'frac_reward_zero_std', value: Math.exp(-rate * step), ...base });
          rows.push({ step, group: 'majority', metric: 'frac_reward_zero_std', value: 0.5 * Math.exp(-0.1 * step), ...base });
          rows.push({ step, group: 'minority', metric: 'advantage_mean', value: (method === 'GRPO' ? -0.4 : 0) + wobble * 5, ...base });
          rows.push({ step, group: 'majority', metric: 'advantage_mean', value: (method === 'GRPO' ? 0.2 : 0) + wobble * 3, ...base });
          if (method === 'GRPO') {
            const a = 0.5 + 0.3 * (1 - Math.exp(-0.05 * step)) + wobble / 3;
            rows.push({ step, group: 'minority', metric: 'alpha', value: a, method: 'GR-DPO', seed, share });
            rows.push({ step, group: 'majority', metric: 'alpha', value: 1 - a, method: 'GR-DPO', seed, share });
          }
        }
      }
    }
  }
  return rows;
}

const FAST = { resamples: 200, seed: 0 };

test('palette: a method keeps its colour whatever its spelling; groups differ by dash and shade', () => {
  assert.equal(methodColor('GRPO'), PALETTE[0]);
  assert.equal(methodColor('grpo'), PALETTE[0]);
  assert.equal(methodColor('P-GRPO'), methodColor('pgrpo'));
  assert.notEqual(methodColor('P-GRPO'), methodColor('GRPO'));
  assert.equal(methodColor('my-method'), methodColor('my-method'));
  assert.ok((PALETTE as readonly string[]).includes(methodColor('my-method')));
  assert.equal(groupDash('majority', ['minority', 'majority']), 'solid');
  assert.equal(groupDash('minority', ['minority', 'majority']), 'dash');
  assert.equal(groupShade('#000000', 0, 2), '#000000');
  assert.equal(groupShade('#000000', 1, 2), '#666666'); // 40% toward white: round(0.4 * 255) = 102
  assert.equal(withAlpha('#0072B2', 0.2), 'rgba(0, 114, 178, 0.2)');
  assert.throws(() => groupDash('x', ['a']), /not in the figure's groups/);
});

test('reward curves: mean line plus lower/upper band traces per method and group, labelled axes with units', () => {
  const fig = rewardCurvesFigure(learningCurves(logs(), FAST));
  assert.equal(fig.data.length, 2 * 2 * 3);
  const names = fig.data.filter((t) => t.showlegend !== false).map((t) => t.name);
  assert.deepEqual(names, ['GRPO · minority', 'GRPO · majority', 'P-GRPO · minority', 'P-GRPO · majority']);
  const upper = fig.data.find((t) => t.name === 'P-GRPO · minority (upper)')!;
  const lower = fig.data.find((t) => t.name === 'P-GRPO · minority (lower)')!;
  const mean = fig.data.find((t) => t.name === 'P-GRPO · minority')!;
  assert.equal(upper.fill, 'tonexty');
  assert.equal(fig.data.indexOf(upper), fig.data.indexOf(lower) + 1, 'the band fills down to the trace right before it');
  assert.equal(upper.showlegend, false);
  const minorityColor = groupShade(methodColor('P-GRPO'), 1, 2);
  assert.equal((mean.line as { color: string }).color, minorityColor);
  assert.equal((mean.line as { dash: string }).dash, 'dash');
  assert.equal(upper.fillcolor, withAlpha(minorityColor, 0.18));
  assert.equal((fig.data.find((t) => t.name === 'GRPO · majority')!.line as { color: string }).color, methodColor('GRPO'));
  assert.ok((upper.y as number[]).every((u, i) => u >= (mean.y as number[])[i]! && (mean.y as number[])[i]! >= (lower.y as number[])[i]!));
  assert.equal(fig.layout.xaxis!.title!.text, 'training step');
  assert.equal(fig.layout.yaxis!.title!.text, 'mean reward (0–1)');
  assert.match(fig.layout.title!.text, /^Reward per preference group/);
  assert.equal((fig.layout.legend as { orientation: string }).orientation, 'h');
  assert.ok((fig.layout.legend as { y: number }).y < 0, 'legend sits below the plot area');

  assert.deepEqual(rewardCurvesFigure(learningCurvesFrame(logs(), FAST)), fig, 'a DataFrame gives the same figure');
  assert.throws(() => rewardCurvesFigure(learningCurves(logs([0.1, 0.3]), FAST)), /mix 2 values of label 'share'/);
  assert.throws(() => rewardCurvesFigure([]), /curves is empty/);
});

test('recovery against share: error bars from the interval, lines dodged, censored seeds noted per share, all-censored cells named', () => {
  const summary = recoverySummary(logs([0.1, 0.5, 0.9]), { best: { minority: 1, majority: 1 }, fraction: 0.9, groups: ['minority'], ...FAST });
  const fig = recoveryVsShareFigure(summary);
  assert.deepEqual(fig.data.map((t) => t.name), ['GRPO · minority', 'P-GRPO · minority', 'GRPO · minority: not reached']);
  const grpo = fig.data[0]!;
  const rows = summary.filter((r) => r.method === 'GRPO').sort((a, b) => (a.share as number) - (b.share as number));
  // Two lines, closest shares 0.4 apart: offsets -/+ 0.25 * 0.4 / 2 / 2 = 0.025; the hover keeps the exact share.
  const p = fig.data[1]!;
  (grpo.x as number[]).forEach((x, i) => assert.ok(Math.abs(x - ([0.1, 0.5, 0.9][i]! - 0.025)) < 1e-12, `GRPO x ${x}`));
  (p.x as number[]).forEach((x, i) => assert.ok(Math.abs(x - ([0.1, 0.5, 0.9][i]! + 0.025)) < 1e-12, `P-GRPO x ${x}`));
  assert.deepEqual(grpo.customdata, [0.1, 0.5, 0.9]);
  const errors = grpo.error_y as { array: (number | null)[]; arrayminus: (number | null)[] };
  rows.forEach((r, i) => {
    if (Number.isFinite(r.mean)) {
      assert.equal(errors.array[i], r.upper - r.mean);
      assert.equal(errors.arrayminus[i], r.mean - r.lower);
    } else {
      assert.equal((grpo.y as unknown[])[i], null);
    }
  });
  // One note per share lists the partly censored series (all-censored cells are named in the title instead).
  const notes = fig.layout.annotations as { x: number; text: string; yref: string }[];
  const expected = [0.1, 0.5, 0.9]
    .map((share) => ({
      share,
      names: summary.filter((r) => r.share === share && r.n_censored > 0 && Number.isFinite(r.mean)).map((r) => `${r.method} ${r.n_censored}/${r.n_seeds}`),
    }))
    .filter((e) => e.names.length > 0);
  assert.ok(expected.length > 0);
  assert.deepEqual(
    notes.map((n) => [n.x, n.text, n.yref]),
    expected.map((e) => [e.share, `censored seeds:<br>${e.names.join('<br>')}`, 'paper']),
  );
  // GRPO at share 0.1 is slow (rate <= 0.02 * 1.1 * 1.3 = 0.0286/step): by step 60 the minority is at most
  // 0.15 + 0.8 (1 - e^{-1.716}) + 0.03 = 0.836 < 0.9, so every seed is censored.
  // At share 0.9 (rate 0.0418-0.0494) seeds 2 and 3 reach it (steps 54, 52) and seed 1 does not.
  assert.deepEqual(rows.map((r) => [r.share, r.n_censored]), [[0.1, 3], [0.5, 3], [0.9, 1]]);
  assert.equal(rows[2]!.mean, 53);
  assert.match(notes.find((n) => n.x === 0.9)!.text, /<br>GRPO 1\/3/);
  assert.match(fig.layout.title!.text, /never reached by any seed: GRPO · minority at share 0.1; GRPO · minority at share 0.5/);
  const marks = fig.data[2]!;
  assert.deepEqual([marks.x, marks.y, (marks.marker as { symbol: string }).symbol], [[0.1 - 0.025, 0.5 - 0.025], [60, 60], 'triangle-up-open']);
  assert.equal(fig.layout.yaxis!.title!.text, 'recovery time (training steps)');
  assert.equal(fig.layout.xaxis!.title!.text, 'minority share (fraction of users)');
  assert.throws(() => recoveryVsShareFigure(summary.map((r) => ({ ...r, share: 'x' }))), /summary\[0\]\.share must be a number/);
});

test('alpha, zero-std and advantage figures', () => {
  const alpha = alphaTrajectoriesFigure(learningCurves(logs(), { ...FAST, metric: 'alpha' }));
  assert.deepEqual(alpha.data.filter((t) => t.showlegend !== false).map((t) => t.name), ['GR-DPO · minority', 'GR-DPO · majority']);
  assert.deepEqual(alpha.layout.yaxis!.range, [0, 1]);
  assert.match(alpha.layout.yaxis!.title!.text, /α \(probability, 0–1\)/);

  const zero = zeroStdFractionFigure(learningCurves(logs(), { ...FAST, metric: 'frac_reward_zero_std' }));
  assert.equal(zero.data.filter((t) => t.fill === 'tonexty').length, 4);
  assert.match(zero.layout.yaxis!.title!.text, /fraction, 0–1/);

  const adv = advantageDistributionFigure(logs(), { methods: ['GRPO', 'P-GRPO'] });
  assert.deepEqual(adv.data.map((t) => [t.type, t.name]), [['box', 'GRPO'], ['box', 'P-GRPO']]);
  assert.equal((adv.data[0]!.y as number[]).length, 2 * 3 * 31, 'two groups x three seeds x 31 steps pooled');
  assert.equal((adv.data[1]!.marker as { color: string }).color, methodColor('P-GRPO'));
  assert.equal(adv.layout.boxmode, 'group');
  assert.throws(() => advantageDistributionFigure(logs(), { methods: ['PPO'] }), /methods: 'PPO'/);
});

test('HTML export embeds the local plotly bundle and loads nothing from the network', async () => {
  const fig = rewardCurvesFigure(learningCurves(logs(), FAST));
  const html = figureHtml(fig);
  const bundle = plotlyBundle();
  assert.ok(html.includes(bundle));
  assert.match(bundle, /plotly\.js v3\./);
  assert.doesNotMatch(html, /<script[^>]*\bsrc=/i);
  // The bundle itself mentions map-tile servers it never contacts for these plots; everything else must be CDN-free.
  assert.doesNotMatch(html.replace(bundle, ''), /cdn|https?:\/\//i);
  const saved = await saveFigure(fig, 'reward-curves', { dir: outDir, formats: ['html'] });
  assert.equal(saved.png, undefined);
  assert.equal(readFileSync(saved.html!, 'utf8'), html);
  assert.ok(statSync(saved.html!).size > 4_000_000);
  await assert.rejects(saveFigure(fig, '../escape', { dir: outDir, formats: ['html'] }), /name must be a file stem/);
  await assert.rejects(saveFigure(fig, 'x', { dir: outDir, formats: ['svg' as never] }), /unknown format 'svg'/);
});

test('missing Chromium: HTML still written, PNG error says how to install, or a warning when asked', async () => {
  const fig: PlotlyFigure = { data: [{ type: 'scatter', x: [0, 1], y: [0, 1] }], layout: { title: { text: 't' } } };
  const previous = process.env.HPA_CHROMIUM;
  process.env.HPA_CHROMIUM = join(outDir, 'no-such-chromium');
  try {
    await assert.rejects(saveFigure(fig, 'needs-browser', { dir: outDir }), /apt-get install chromium/);
    assert.ok(existsSync(join(outDir, 'needs-browser.html')));
    const warned = await saveFigure(fig, 'warned', { dir: outDir, onMissingChromium: 'warn' });
    assert.deepEqual(Object.keys(warned), ['html']);
  } finally {
    if (previous === undefined) delete process.env.HPA_CHROMIUM;
    else process.env.HPA_CHROMIUM = previous;
  }
});

test('showFigure: returns nothing; the bundle goes once as an inert carrier, every output has the loader; inline width follows the output', () => {
  const fig: PlotlyFigure = { data: [{ type: 'bar', x: ['a'], y: [1] }], layout: { title: { text: 'Bars' }, width: 1000, height: 420 } };
  assert.equal(showFigure(fig, { quiet: true }), undefined);
  const sent: string[] = [];
  const display = { html: (s: string) => void sent.push(s) };
  assert.equal(showFigure(fig, { display }), undefined, 'nothing for a notebook to print as the last expression');
  showFigure(fig, { display });
  showFigure(fig, { display, reloadPlotly: true });
  const bundle = plotlyBundle();
  const carrier = plotlyCarrier();
  assert.ok(carrier.startsWith(`<script type="${PLOTLY_CARRIER_TYPE}" data-plotly-version="3.7.0">`) && carrier.includes(bundle));
  assert.deepEqual(sent.map((s) => s.includes(bundle)), [true, false, true]);
  assert.deepEqual(sent.map((s) => s.split(bundle).length - 1), [1, 0, 1], 'at most one copy per output');
  // Only the carrier element holds the bundle, and it is not JavaScript the browser would run.
  assert.ok(sent.every((s) => !s.replace(carrier, '').includes('plotly.js v3')));
  assert.ok(sent[1]!.length < 10_000, `an output without the carrier is small, got ${sent[1]!.length} characters`);
  assert.ok(sent.every((s) => s.includes('window.hpaPlotlyReady') && /P\.newPlot/.test(s) && !/<script[^>]*\bsrc=/i.test(s)));
  const ids = sent.map((s) => /<div id="([^"]+)"/.exec(s)![1]);
  assert.equal(new Set(ids).size, 3, 'every output gets its own div id');
  // Fills the output's width at the layout's height; the fixed 1000 px width is dropped inline only.
  assert.match(sent[1]!, /<div id="[^"]+" class="hpa-figure" style="width:100%;height:420px">/);
  const drawn = JSON.parse(/var fig=(\{.*?\});var id=/s.exec(sent[1]!)![1]!) as PlotlyFigure;
  assert.equal(drawn.layout.width, undefined);
  assert.equal(drawn.layout.autosize, true);
  assert.equal(drawn.layout.height, 420);
  assert.deepEqual(inlineLayout(fig.layout), { title: { text: 'Bars' }, height: 420, autosize: true });
  assert.equal(fig.layout.width, 1000, 'the caller\'s figure is not changed');
  assert.match(figureHtml(fig), /<div id="figure" style="width:1000px;height:420px">/);
});

test('saveTable writes CSV (full precision, quoted) and Markdown (rounded)', () => {
  const rows = [
    { method: 'GRPO', group: 'a,b', mean: 1 / 3, n_censored: 0 },
    { method: 'P|GRPO', group: 'say "hi"', mean: Infinity, n_censored: 2 },
  ];
  const paths = saveTable(rows, 'summary', { dir: outDir, digits: 3 });
  assert.equal(
    readFileSync(paths.csv, 'utf8'),
    `method,group,mean,n_censored\nGRPO,"a,b",${1 / 3},0\nP|GRPO,"say ""hi""",Infinity,2\n`,
  );
  assert.equal(
    readFileSync(paths.md, 'utf8'),
    '| method | group | mean | n_censored |\n| :--- | :--- | ---: | ---: |\n| GRPO | a,b | 0.333 | 0 |\n| P\\|GRPO | say "hi" | Infinity | 2 |\n',
  );
  assert.throws(() => saveTable([], 'empty', { dir: outDir }), /rows is empty/);
});

const chromium = process.env.HPA_CHROMIUM || '/usr/bin/chromium';
test('PNG export through headless Chromium', { skip: existsSync(chromium) ? false : `Chromium not found at ${chromium}; install it (apt-get install chromium) to run this test`, timeout: 120_000 }, async () => {
  const exporter = new FigureExporter();
  try {
    const figures: [string, PlotlyFigure][] = [
      ['reward-curves', rewardCurvesFigure(learningCurves(logs(), FAST))],
      ['recovery-vs-share', recoveryVsShareFigure(recoverySummary(logs([0.1, 0.5, 0.9]), { best: { minority: 1, majority: 1 }, fraction: 0.9, groups: ['minority'], ...FAST }))],
      ['alpha', alphaTrajectoriesFigure(learningCurves(logs(), { ...FAST, metric: 'alpha' }))],
      ['advantages', advantageDistributionFigure(logs())],
      ['zero-std', zeroStdFractionFigure(learningCurves(logs(), { ...FAST, metric: 'frac_reward_zero_std' }))],
    ];
    for (const [name, fig] of figures) {
      const saved = await saveFigure(fig, name, { dir: outDir, exporter });
      const png = readFileSync(saved.png!);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${name}: PNG signature`);
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1000, 600], `${name}: IHDR size`);
      assert.ok(png.length > 20_000, `${name}: ${png.length} bytes is too small for a drawn figure`);
    }
    assert.ok(exporter.running, 'one browser served every figure');
    const big = await exporter.toPng(figures[0]![1], { scale: 2 });
    assert.deepEqual([big.readUInt32BE(16), big.readUInt32BE(20)], [2000, 1200]);
  } finally {
    await exporter.close();
  }
  assert.equal(exporter.running, false);

  // The standalone HTML draws offline: plotly comes from the page itself and no request leaves file://.
  const { chromium: browserType } = await import('playwright-core');
  const { CHROMIUM_ARGS } = await import('../src/figures');
  const browser = await browserType.launch({ executablePath: chromium, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => void requests.push(r.url()));
    await page.goto(`file://${join(outDir, 'reward-curves.html')}`);
    await page.waitForSelector('#figure .main-svg');
    assert.equal(await page.locator('#figure .scatterlayer .trace').count(), 12);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')), []);
  } finally {
    await browser.close();
  }
});
