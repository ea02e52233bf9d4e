/**
 * Running the reference Python scripts (PyTorch, numpy) from the TypeScript harness.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Environment variable naming the Python interpreter (default `/usr/bin/python3`). */
export const PYTHON_ENV = 'HPA_BENCH_PYTHON';

/** The interpreter to use: `HPA_BENCH_PYTHON`, else Debian's `/usr/bin/python3` (which has torch and numpy). */
export function pythonPath(): string {
  return process.env[PYTHON_ENV] || '/usr/bin/python3';
}

/** A script's parsed JSON output, or why there is none (missing interpreter, missing module, bad output). */
export type PythonResult = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Runs `bench/<script>` with `config` as its JSON argument and parses the JSON line it prints.
 * Never throws: a missing interpreter or module becomes `{ ok: false, reason }` for the table.
 */
export function runPython(python: string, script: string, config: object, timeoutMs = 300_000): PythonResult {
  const res = spawnSync(python, [join(__dirname, script), JSON.stringify(config)], { encoding: 'utf8', timeout: timeoutMs });
  if (res.error) return { ok: false, reason: `${python} could not run (${(res.error as NodeJS.ErrnoException).code ?? res.error.message})` };
  if (res.status !== 0) {
    const lines = (res.stderr || '').trim().split('\n');
    const last = lines[lines.length - 1] ?? '';
    const missing = /No module named '([^']+)'/.exec(res.stderr ?? '');
    return { ok: false, reason: missing ? `${missing[1]} is not installed for ${python}` : `${script} exited ${res.status}: ${last}` };
  }
  const line = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch {
    return { ok: false, reason: `${script} printed no JSON (${line.slice(0, 80)})` };
  }
}

/** Median of a non-empty list. */
export function medianOf(values: readonly number[]): number {
  if (values.length === 0) throw new Error('medianOf: no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
