/**
 * Executes notebooks headless with Jupyter's nbclient and the tslab kernel, registered in a
 * project-local Jupyter path (`.jupyter/`), so the user's own Jupyter setup is never changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ensureJupyterPython } from './system';

/** Repository root. */
export const ROOT = resolve(__dirname, '..');
/** Where the kernel spec is installed: `{JUPYTER_PREFIX}/share/jupyter/kernels/tslab`. */
export const JUPYTER_PREFIX = join(ROOT, '.jupyter');
/** The folder to put on JUPYTER_PATH so Jupyter finds the project's tslab kernel. */
export const JUPYTER_DATA = join(JUPYTER_PREFIX, 'share', 'jupyter');

/** The kit's own notebooks, in run order. Only these run when no name is given; add new ones here. */
export const KIT_NOTEBOOKS: readonly string[] = [
  '00_environment',
  '01_datasets',
  '02_quickstart',
  '03_minority_recovery',
  '04_advantage_anatomy',
  '05_polis',
  '06_persona_lm',
  '07_group_robust',
  '08_one_workflow',
];
/** Folder of the kit's notebooks. */
export const NOTEBOOKS_DIR = join(ROOT, 'notebooks');

/**
 * The kernel spec tslab's own `tslab install` would write (argv, display name, language), as an object.
 * `binary` is the tslab launcher the kernel starts with.
 */
export function tslabKernelSpec(binary: string): { argv: string[]; display_name: string; language: string } {
  // The connection file goes in its own argument after --config-path, as tslab's installer does.
  return { argv: [binary, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' };
}

/**
 * Writes the tslab kernel spec to `{JUPYTER_DATA}/kernels/tslab/kernel.json` (the project-local
 * Jupyter path; the user's own Jupyter setup is not touched). It writes the file itself instead of
 * running `tslab install`, whose Python installer needs IPython, which the kit does not otherwise use.
 * Returns the kernel spec's path. Safe to call from several processes at once.
 */
export function writeKernelSpec(): string {
  const tslab = join(ROOT, 'node_modules', '.bin', 'tslab');
  if (!existsSync(tslab)) throw new Error(`${tslab} is missing: run \`npm ci\` first`);
  const dir = join(JUPYTER_DATA, 'kernels', 'tslab');
  mkdirSync(dir, { recursive: true });
  const spec = join(dir, 'kernel.json');
  const partial = `${spec}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(tslabKernelSpec(tslab), null, 1) + '\n');
  renameSync(partial, spec);
  return spec;
}

/**
 * Makes the notebook runner ready: a Python with Jupyter's modules (installed on Debian as root, see
 * scripts/system.ts) and the tslab kernel spec under `.jupyter/`. Returns that Python.
 */
export function installKernel(): string {
  const python = ensureJupyterPython();
  writeKernelSpec();
  return python;
}

/**
 * Resolves notebook names (`00_environment`, `00_environment.ipynb` or a path) to files. No names
 * means the kit's own notebooks ({@link KIT_NOTEBOOKS}) in `dir`; any other notebook there (a
 * user's scratch notebook) runs only when named. A listed notebook that is missing is an error.
 */
export function resolveNotebooks(names: string[], dir: string = NOTEBOOKS_DIR): string[] {
  if (names.length === 0) {
    return KIT_NOTEBOOKS.map((name) => {
      const file = join(dir, `${name}.ipynb`);
      if (!existsSync(file)) throw new Error(`kit notebook ${file} is missing (listed in KIT_NOTEBOOKS, scripts/notebook-runner.ts)`);
      return file;
    });
  }
  return names.map((name) => {
    const candidates = [resolve(name), join(dir, name), join(dir, `${name}.ipynb`)];
    const found = candidates.find((c) => c.endsWith('.ipynb') && existsSync(c));
    if (!found) throw new Error(`notebook '${name}' not found (looked for ${candidates.join(', ')})`);
    return found;
  });
}

/** Outcome of executing one notebook. */
export interface NotebookResult {
  notebook: string;
  output: string;
  ok: boolean;
  seconds: number;
  /** When it failed: which cell and what error, in one line. */
  failure?: string;
}

interface FailureReport {
  cell_index: number | null;
  code_cell_number: number | null;
  first_line: string;
  error_name: string;
  error_value: string;
}

/**
 * Executes one notebook with the kernel's working directory set to the notebook's folder and writes
 * the executed copy to `outputDir` (or over the source when `inPlace`).
 */
export function executeNotebook(
  python: string,
  notebook: string,
  opts: { outputDir: string; inPlace?: boolean; timeoutSeconds?: number; env?: NodeJS.ProcessEnv },
): NotebookResult {
  const output = opts.inPlace ? notebook : join(opts.outputDir, basename(notebook));
  mkdirSync(dirname(output), { recursive: true });
  const started = Date.now();
  const r = spawnSync(
    python,
    [
      join(ROOT, 'scripts', 'execute_notebook.py'),
      notebook,
      output,
      '--kernel',
      'tslab',
      '--cwd',
      dirname(notebook),
      '--timeout',
      String(opts.timeoutSeconds ?? 1800),
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, ...opts.env, JUPYTER_PATH: [JUPYTER_DATA, process.env.JUPYTER_PATH].filter(Boolean).join(':') },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const seconds = (Date.now() - started) / 1000;
  if (r.status === 0) return { notebook, output, ok: true, seconds };
  const line = (r.stderr ?? '').split('\n').find((l) => l.startsWith('NOTEBOOK-FAILURE '));
  let failure: string;
  if (line) {
    const f = JSON.parse(line.slice('NOTEBOOK-FAILURE '.length)) as FailureReport;
    const where =
      f.cell_index === null ? 'before any cell ran' : `cell ${f.cell_index} (code cell ${f.code_cell_number}: \`${f.first_line}\`)`;
    const name = f.error_name.replace(/^<(.*)>$/, '$1');
    const message = f.error_value.startsWith(name) ? f.error_value : `${name}: ${f.error_value}`;
    failure = `${notebook} failed at ${where}: ${message}`;
  } else {
    failure = `${notebook} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-15).join('\n')}`;
  }
  return { notebook, output, ok: false, seconds, failure };
}
