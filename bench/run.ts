/**
 * `npm run bench [-- options]`: the kit's benchmarks against PyTorch and numpy.
 *
 *   --only=step,estimators,memory,kernels,lm,sweep   run a subset (default: all six)
 *   --steps=N                       timed GRPO steps per backend (default 50)
 *   --lm-steps=N                    timed steps of the sequence-policy benchmark on wasm and PyTorch (default 20; cpu a quarter)
 *   --memory-steps=N                training steps of the memory benchmark (default 2000)
 *   --sweep-runs=N --sweep-steps=N  size of the sweep benchmark (default 40 runs x 150 steps; bench/sweep.ts)
 *   --backends=wasm,cpu             backends of the step and lm benchmarks (default wasm,cpu)
 *   --wasm-threads=N                also time the step on the multi-threaded wasm build (experimental, in a child process)
 *   --compare=REF                   also time the step against the code at git revision REF, interleaved (bench/compare.ts)
 *   --reproduce[=smoke|full]        also time `npm run notebooks -- --smoke` (default) or `npm run reproduce` (long)
 *   --out=FILE                      JSON results (default bench/results/latest.json)
 *
 * HPA_BENCH_PYTHON names the Python with torch and numpy (default /usr/bin/python3); when it or a
 * module is missing, that column says why instead of failing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compareWithRef } from './compare';
import { benchEstimators } from './estimators';
import { kernelCosts } from './kernels';
import { LM_WORKLOAD, mergeTorchRuns, prepareLm, timeKitLmStep, timeTorchLmStep, type LmStepTiming, type TorchLmRun } from './lmStep';
import { measureMemory } from './memory';
import { medianOf, pythonPath } from './python';
import { profileStep, timeKitStep, timeTorchStep, type StepTiming } from './step';
import { benchSweep, SWEEP_DEFAULTS, type SweepResult } from './sweep';
import { STEP_WORKLOAD, type WorkloadSizes } from './workload';

interface Options {
  only: Set<string>;
  steps: number;
  lmSteps: number;
  memorySteps: number;
  sweepRuns: number;
  sweepSteps: number;
  backends: string[];
  wasmThreads: number;
  reproduce: 'smoke' | 'full' | null;
  compare: string | null;
  out: string;
  /** Internal: run as the threaded-wasm child and print its timing as JSON. */
  threadedChild: boolean;
}

const BENCHMARKS = ['step', 'estimators', 'memory', 'kernels', 'lm', 'sweep'];

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    only: new Set(BENCHMARKS),
    steps: 50,
    lmSteps: 20,
    memorySteps: 2000,
    sweepRuns: SWEEP_DEFAULTS.runs,
    sweepSteps: SWEEP_DEFAULTS.steps,
    backends: ['wasm', 'cpu'],
    wasmThreads: 0,
    reproduce: null,
    compare: null,
    out: join(__dirname, 'results', 'latest.json'),
    threadedChild: false,
  };
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
  for (const arg of argv) {
    const [key, value = ''] = arg.replace(/^--/, '').split('=', 2) as [string, string?];
    switch (key) {
      case 'only':
        o.only = new Set(value.split(',').filter(Boolean));
        for (const k of o.only) if (!BENCHMARKS.includes(k)) throw new Error(`--only: unknown benchmark '${k}'`);
        break;
      case 'steps':
        o.steps = Math.max(1, int(key, value));
        break;
      case 'lm-steps':
        o.lmSteps = Math.max(1, int(key, value));
        break;
      case 'memory-steps':
        o.memorySteps = int(key, value);
        break;
      case 'sweep-runs':
        o.sweepRuns = Math.max(2, int(key, value));
        break;
      case 'sweep-steps':
        o.sweepSteps = Math.max(1, int(key, value));
        break;
      case 'backends':
        o.backends = value.split(',').filter(Boolean);
        break;
      case 'wasm-threads':
        o.wasmThreads = int(key, value);
        break;
      case 'reproduce':
        if (value !== '' && value !== 'smoke' && value !== 'full') throw new Error(`--reproduce must be smoke or full, got '${value}'`);
        o.reproduce = value === 'full' ? 'full' : 'smoke';
        break;
      case 'out':
        o.out = resolve(value);
        break;
      case 'compare':
        if (value === '') throw new Error('--compare needs a git revision, e.g. --compare=HEAD~1');
        o.compare = value;
        break;
      case 'threaded-child':
        o.threadedChild = true;
        break;
      default:
        throw new Error(`unknown option ${arg} (see bench/run.ts for the list)`);
    }
  }
  return o;
}

/** Warm-up steps before the memory benchmark's first reading (JIT compilation and tfjs caches settle by then). */
const MEMORY_WARMUP = 250;

const fmt = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '-' : x.toFixed(digits));

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((x, c) => x.padEnd(widths[c]!)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** The threaded-wasm step timing, measured in a child process (the wasm binary is chosen once per process). */
function threadedWasmStep(threads: number, steps: number): { ok: true; timing: StepTiming & { threads: number } } | { ok: false; reason: string } {
  const res = spawnSync(process.execPath, [...process.execArgv, __filename, '--threaded-child', `--wasm-threads=${threads}`, `--steps=${steps}`], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const line = (res.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return { ok: true, timing: JSON.parse(line) };
  } catch {
    const err = (res.stderr ?? '').trim().split('\n').find((l) => /Error/.test(l)) ?? `exit ${res.status}`;
    return { ok: false, reason: err.slice(0, 160) };
  }
}

async function threadedChild(o: Options): Promise<void> {
  const { initThreadedWasm } = await import('./wasmThreads');
  const threads = await initThreadedWasm(o.wasmThreads);
  const timing = await timeKitStep('wasm', STEP_WORKLOAD, o.steps, 5);
  console.log(JSON.stringify({ ...timing, threads }));
  process.exit(0); // the pthread workers would keep the process alive
}

/**
 * Benchmark 3: the GRU language policy's GRPO step, kit per backend against PyTorch. PyTorch runs
 * before and after the kit and its medians are over both runs' steps (as for benchmark 1).
 */
async function lmBenchmark(o: Options, python: string): Promise<Record<string, unknown>> {
  const setup = await prepareLm('wasm');
  const half = Math.ceil(o.lmSteps / 2);
  const before = timeTorchLmStep(python, setup, half, 3);
  const kit: LmStepTiming[] = [];
  // The cpu backend takes seconds per step here, so it gets a quarter of the steps.
  for (const backend of o.backends) kit.push(await timeKitLmStep(backend, setup, backend === 'cpu' ? Math.max(3, Math.ceil(o.lmSteps / 4)) : o.lmSteps, backend === 'cpu' ? 1 : 3));
  const after = before.ok ? timeTorchLmStep(python, setup, Math.max(1, o.lmSteps - half), 3) : before;
  const torch = before.ok && after.ok ? mergeTorchRuns(before.value as TorchLmRun, after.value as TorchLmRun) : null;
  const unavailable = before.ok ? (after.ok ? '' : after.reason) : before.reason;
  const vs = (kitMs: number, torchMs: number | undefined) => (torchMs === undefined ? `${fmt(kitMs, 1)} / n/a` : `${fmt(kitMs, 1)} / ${fmt(torchMs, 1)} (${fmt(kitMs / torchMs)}x)`);
  const rows = kit.map((k) => [
    k.backend,
    k.steps,
    fmt(k.median_ms),
    fmt(k.min_ms),
    torch ? fmt(torch.median_ms) : 'unavailable',
    torch ? `${fmt(k.median_ms / torch.median_ms)}x` : 'n/a',
    vs(k.sample_median_ms, torch?.sample_median_ms),
    vs(k.update_median_ms, torch?.update_median_ms),
  ]);
  const w = LM_WORKLOAD;
  const c = w.config;
  const torchNote = torch ? `torch ${torch.torch}, ${torch.threads} thread(s), ${torch.ms.length} steps` : `PyTorch unavailable: ${unavailable}`;
  console.log(
    `\n3. Sequence policy (GRU LM) GRPO step: persona task, ${c.prompts_per_step} prompts x ${c.num_generations} generations, maxLength ${w.maxLength}, ` +
      `embedding ${w.embeddingDim}, group embedding ${w.groupEmbeddingDim}, GRU ${w.hiddenSize}, beta ${c.beta} (k3 KL, reference forward), loss ${c.loss_type}, Adam ${c.learning_rate}; ` +
      `from the notebook's pre-training (${w.pretrain_steps} updates, ${fmt(setup.pretrain_seconds, 1)} s on wasm, not timed); reward left out of every time (${torchNote})`,
  );
  console.log(table(['backend', 'steps', 'kit median ms', 'kit min ms', 'torch median ms', 'kit / torch', 'sampling kit / torch ms', 'update kit / torch ms'], rows));
  const lengths = (x: { mean_padded_length: number; mean_completion_length: number }) => `${fmt(x.mean_padded_length, 1)} padded, ${fmt(x.mean_completion_length, 1)} real`;
  console.log(
    `tokens per sequence: ${kit.map((k) => `kit ${k.backend} ${lengths(k)}`).join('; ')}${torch ? `; torch ${lengths(torch)}` : ''}. ` +
      `Reward per step (left out): kit persona reward ${kit.map((k) => `${fmt(k.reward_median_ms)} ms on ${k.backend}`).join(', ')}` +
      (torch ? `; torch stand-in ${fmt(torch.reward_median_ms, 3)} ms. Same model: largest log-prob difference on a kit-sampled batch ${torch.check_max_abs_diff.toExponential(1)}` : ''),
  );
  return { workload: w, pretrain_seconds: setup.pretrain_seconds, kit, torch: torch ?? { unavailable } };
}

/** Benchmark 6: the notebook-03 sweep shape, kit one by one and as a population, against PyTorch (bench/sweep.ts). */
async function sweepBenchmark(o: Options, python: string): Promise<SweepResult> {
  const r = await benchSweep(python, o.sweepRuns, o.sweepSteps);
  const w = r.workload;
  const loop = r.variants.torch_loop.seconds;
  const rows = (['kit_single', 'kit_population', 'torch_loop', 'torch_batched'] as const).map((name) => {
    const v = r.variants[name];
    if (v.seconds === null) return [name, 'n/a', 'n/a', 'n/a', 'n/a', `${fmt(v.loadavg_1min_before)} -> ${fmt(v.loadavg_1min_after)}`];
    return [
      name,
      fmt(v.seconds),
      fmt((v.seconds * 1000) / (r.runs * r.steps), 3),
      loop === null ? 'n/a' : `${fmt(v.seconds / loop)}x`,
      v.reward_mean ? v.reward_mean.map((x) => fmt(x, 3)).join(' / ') : '-',
      `${fmt(v.loadavg_1min_before)} -> ${fmt(v.loadavg_1min_after)}`,
    ];
  });
  const torchNote = r.torch ? `torch ${r.torch.version}, ${r.torch.threads} thread(s)` : 'PyTorch unavailable';
  console.log(
    `\n6. Sweep (notebook 03's shape): ${r.runs} runs (estimators ${w.methods.join(', ')} in turn x seeds) x ${r.steps} GRPO steps, batch ${r.batch} ` +
      `(${w.prompts_per_step} prompts x ${w.num_generations}), K ${w.num_responses}, minority share ${w.minority_share}, group embedding ${w.embedding}, hidden ${w.hidden}, ` +
      `Adam ${w.learning_rate}, beta ${w.beta}; no warm start; kit on wasm (${torchNote})`,
  );
  console.log(table(['variant', 'wall s', 'ms per run-step', 'vs torch loop', 'reward majority / minority', 'load 1 min'], rows));
  for (const [name, v] of Object.entries(r.variants)) if (v.unavailable) console.log(`${name}: unavailable (${v.unavailable})`);
  const ratio = r.ratio_population_vs_torch_loop;
  console.log(
    `kit population / torch loop: ${ratio === null ? 'n/a' : `${fmt(ratio)}x (target <= 0.5: ${ratio <= 0.5 ? 'met' : 'not met'})`}; ` +
      `population runs give the same metrics (bits) as the runs alone: ${String(r.population_same_metrics_as_single)}`,
  );
  return r;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.threadedChild) return threadedChild(o);
  const python = pythonPath();
  const started = Date.now();
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    loadavg_start: loadavg(),
    python,
  };
  console.log(`bench: ${results.cpu}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, python ${python}`);

  if (o.only.has('memory') && o.memorySteps > 0) {
    // Runs first, in a process that has allocated nothing else yet, so that RSS reflects training only.
    // A smaller batch than the step benchmark (16 prompts x 8, 64 hidden) so 2,000 steps take seconds.
    const sizes: WorkloadSizes = { ...STEP_WORKLOAD, prompts_per_step: 16, hidden: 64 };
    const m = await measureMemory('wasm', sizes, o.memorySteps, MEMORY_WARMUP);
    console.log(`\n5. Memory over ${m.steps} training steps on ${m.backend} (batch ${sizes.prompts_per_step * sizes.num_generations}, ${sizes.hidden} hidden; after ${MEMORY_WARMUP} warm-up steps, each reading after a full GC)`);
    console.log(
      table(
        ['measure', 'start', 'end', 'growth'],
        [
          ['rss MB', fmt(m.rss_start_mb, 1), fmt(m.rss_end_mb, 1), `${fmt(m.rss_growth_pct, 1)}% (first to last reading); ${fmt(m.rss_fitted_growth_pct, 1)}% (line through all ${m.readings.length} readings)`],
          ['heap used MB', fmt(m.heap_start_mb, 1), fmt(m.heap_end_mb, 1), `${fmt(m.heap_end_mb - m.heap_start_mb, 1)} MB (${m.records.toLocaleString('en')} metric records streamed through onStep, none kept)`],
          ['tf.memory().numTensors (end: the largest reading)', m.tensors_start, m.tensors_end, String(m.tensors_end - m.tensors_start)],
        ],
      ),
    );
    console.log(`rss MB every ${m.reading_every} steps: ${m.readings.map((r) => fmt(r.rss_mb, 1)).join(', ')}`);
    results.memory = m;
  }

  if (o.only.has('step')) {
    const sizes: WorkloadSizes = STEP_WORKLOAD;
    // PyTorch runs before and after the kit and its median is taken over both runs' steps, so a
    // change in the machine's load during the benchmark affects both columns alike.
    const torch = timeTorchStep(python, sizes, Math.ceil(o.steps / 2), 5);
    const torchNote = torch.ok ? `torch ${(torch.value as { torch: string; threads: number }).torch}, ${(torch.value as { threads: number }).threads} thread(s)` : `PyTorch unavailable: ${torch.reason}`;
    const kit: StepTiming[] = [];
    for (const backend of o.backends) kit.push(await timeKitStep(backend, sizes, o.steps, 5));
    const threaded = o.wasmThreads > 0 ? threadedWasmStep(o.wasmThreads, o.steps) : null;
    const torchAfter = torch.ok ? timeTorchStep(python, sizes, Math.floor(o.steps / 2), 5) : torch;
    const torchSteps = [torch, torchAfter].flatMap((r) => (r.ok ? (r.value as { ms: number[] }).ms : []));
    const torchMs = torchSteps.length > 0 ? medianOf(torchSteps) : null;
    const rows = kit.map((k) => [k.backend, fmt(k.median_ms), fmt(k.min_ms), torchMs === null ? 'n/a' : fmt(torchMs), torchMs === null ? 'n/a' : `${fmt(k.median_ms / torchMs)}x`]);
    if (threaded?.ok) rows.push([`wasm (${threaded.timing.threads} threads)`, fmt(threaded.timing.median_ms), fmt(threaded.timing.min_ms), torchMs === null ? 'n/a' : fmt(torchMs), torchMs === null ? 'n/a' : `${fmt(threaded.timing.median_ms / torchMs)}x`]);
    const profile = await profileStep(o.backends[0] ?? 'wasm', sizes);
    console.log(`\n1. GRPO step, batch ${sizes.prompts_per_step * sizes.num_generations} (${sizes.prompts_per_step} prompts x ${sizes.num_generations}), ${sizes.features} features, ${sizes.hidden} hidden, ${sizes.responses} responses, Adam; ${o.steps} timed steps (${torchNote})`);
    console.log(table(['backend', 'kit median ms', 'kit min ms', 'torch median ms', 'kit / torch'], rows));
    if (threaded && !threaded.ok) console.log(`threaded wasm: could not run (${threaded.reason})`);
    console.log(`${profile.kernels} kernels per step on ${o.backends[0] ?? 'wasm'}; hottest (min over 7 profiled steps; nested scopes count their inner kernels too): ${profile.top.slice(0, 6).map((t) => `${t.kernel} x${t.count} ${fmt(t.ms)} ms`).join(', ')}`);
    const torchResult = torch.ok && torchAfter.ok ? { ...(torch.value as object), median_ms: torchMs, ms: torchSteps } : { unavailable: torch.ok ? (torchAfter as { reason: string }).reason : torch.reason };
    results.step = { sizes, kit, torch: torchResult, threaded, profile: { kernels: profile.kernels, top: profile.top.slice(0, 10) } };
  }

  if (o.compare) {
    const rows: (string | number)[][] = [];
    const out = [];
    for (const backend of o.backends) {
      const c = await compareWithRef(o.compare, backend, STEP_WORKLOAD, o.steps);
      out.push(c);
      rows.push([backend, fmt(c.ref_median_ms), fmt(c.ref_p10_ms), fmt(c.tree_median_ms), fmt(c.tree_p10_ms), fmt(c.ratio, 3), String(c.same_metrics)]);
    }
    console.log(`\nStep time: working tree against ${o.compare}, ${o.steps} alternating steps each (same workload as 1.)`);
    console.log(table(['backend', `${o.compare} median`, `${o.compare} p10`, 'tree median', 'tree p10', 'tree / ref', 'same metrics'], rows));
    results.compare = out;
  }

  if (o.only.has('kernels')) {
    const rows: (string | number)[][] = [];
    const out: Record<string, unknown> = {};
    for (const backend of o.backends) {
      const k = await kernelCosts(backend);
      out[backend] = k;
      for (const p of k.products) rows.push([backend, p.product, fmt(p.flag_ms, 3), fmt(p.explicit_ms, 3)]);
      rows.push([backend, 'one scalar add (launch cost, us)', fmt(k.launch_us, 1), '']);
    }
    console.log('\nKernel costs behind the optimisations (median ms; the dense layer uses the faster form per backend)');
    console.log(table(['backend', 'product', 'transpose flag', 'explicit transpose'], rows));
    results.kernels = out;
  }

  if (o.only.has('estimators')) {
    const opts = { n: 1_000_000, G: 8, groups: 4, reps: 7 };
    const { rows, numpy } = benchEstimators(opts, python);
    const note = numpy.ok ? `numpy ${(numpy.value as { numpy: string }).numpy}` : `numpy unavailable: ${numpy.reason}`;
    console.log(`\n2. Advantage estimators on ${opts.n.toLocaleString('en')} rewards (${opts.G} per prompt, ${opts.groups} preference groups), median of ${opts.reps} (${note})`);
    console.log(table(['estimator', 'kit ms', 'numpy ms', 'kit / numpy', 'same result'], rows.map((r) => [r.estimator, fmt(r.kit_ms), r.numpy_ms === null ? 'n/a' : fmt(r.numpy_ms), r.ratio === null ? 'n/a' : `${fmt(r.ratio)}x`, r.agree === null ? 'n/a' : String(r.agree)])));
    results.estimators = { ...opts, rows, numpy: numpy.ok ? numpy.value : { unavailable: numpy.reason } };
  }

  if (o.only.has('lm')) results.lm = await lmBenchmark(o, python);

  if (o.only.has('sweep')) results.sweep = await sweepBenchmark(o, python);

  if (o.reproduce) {
    const args = o.reproduce === 'smoke' ? ['run', 'notebooks', '--', '--smoke'] : ['run', 'reproduce'];
    console.log(`\n4. npm ${args.join(' ')} (wall time) ...`);
    const t0 = Date.now();
    const res = spawnSync('npm', args, { cwd: resolve(__dirname, '..'), stdio: 'inherit' });
    const seconds = (Date.now() - t0) / 1000;
    console.log(`npm ${args.join(' ')}: ${fmt(seconds, 1)} s, exit ${res.status}`);
    results.reproduce = { mode: o.reproduce, seconds, exit: res.status };
  }

  results.loadavg_end = loadavg();
  results.seconds = (Date.now() - started) / 1000;
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; results in ${o.out}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
