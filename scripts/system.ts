/**
 * System parts the kit needs outside npm: a Python with Jupyter's notebook-execution modules (to run
 * notebooks) and Chromium (PNG figures). {@link ensureSystem} finds them and, on Debian as root,
 * installs whatever is missing with one apt-get call; elsewhere it stops with the exact command to run.
 * `npm test` and `npm run reproduce` call it first (scripts/ensure-system.ts), before any test or
 * notebook needs these parts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM_ENV, chromiumPath } from '../src/figures/exporter';

/** Debian packages that bring {@link JUPYTER_PYTHON_MODULES} to /usr/bin/python3. */
export const JUPYTER_PACKAGES = ['jupyter-nbconvert', 'python3-nbclient'];
/** Debian package that brings /usr/bin/chromium. */
export const CHROMIUM_PACKAGES = ['chromium'];
/** Environment variable naming the Python to use (it must have {@link JUPYTER_PYTHON_MODULES}). */
export const PYTHON_ENV = 'HPA_PYTHON';

/**
 * Every non-standard-library Python module the kit imports: scripts/*.py (notebook execution with
 * nbclient and nbformat, signing executed notebooks with nbformat's notary, HTML export with nbconvert)
 * and what starts and talks to the kernel (jupyter_client over zmq). The kernel spec itself is written
 * without Python (see installKernel), so IPython is not needed. test/notebook-runner.test.ts checks
 * that scripts/*.py import nothing outside this list and the standard library.
 */
export const JUPYTER_PYTHON_MODULES = ['nbformat', 'nbformat.sign', 'nbclient', 'jupyter_client', 'zmq', 'nbconvert'];

/** What a command needs: Jupyter's Python modules (notebooks) and/or Chromium (PNG figures). */
export interface SystemNeeds {
  jupyter: boolean;
  chromium: boolean;
}

/** What {@link ensureSystem} found. */
export interface SystemParts {
  /** The Python that has every module of {@link JUPYTER_PYTHON_MODULES}; absent when not needed. */
  python?: string;
  /** The Chromium binary; absent when not needed. */
  chromium?: string;
}

function canInstallWithApt(): boolean {
  return existsSync('/etc/debian_version') && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
}

function aptInstall(packages: string[]): void {
  console.log(`installing ${packages.join(' ')} with apt-get (Debian, running as root)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...packages]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
}

/**
 * Python interpreters tried in order: `HPA_PYTHON` alone when it is set; otherwise Debian's
 * /usr/bin/python3 first (where apt installs the modules), then whatever `python3` is on PATH.
 */
export function pythonCandidates(): string[] {
  const fromEnv = process.env[PYTHON_ENV];
  return fromEnv ? [fromEnv] : ['/usr/bin/python3', 'python3'];
}

/**
 * The modules of `modules` that `python` cannot import (all of them when `python` does not run).
 */
export function missingPythonModules(python: string, modules: readonly string[] = JUPYTER_PYTHON_MODULES): string[] {
  const probe =
    'import importlib, json, sys\n' +
    'missing = []\n' +
    'for name in sys.argv[1:]:\n' +
    '    try:\n' +
    '        importlib.import_module(name)\n' +
    '    except Exception:\n' +
    '        missing.append(name)\n' +
    'print(json.dumps(missing))\n';
  const r = spawnSync(python, ['-c', probe, ...modules], { encoding: 'utf8' });
  if (r.status !== 0) return [...modules];
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as string[];
  } catch {
    return [...modules];
  }
}

function findJupyterPython(): { python?: string; report: string[] } {
  const report: string[] = [];
  for (const python of pythonCandidates()) {
    if (spawnSync(python, ['--version'], { stdio: 'ignore' }).status !== 0) {
      report.push(`${python} does not run`);
      continue;
    }
    const missing = missingPythonModules(python);
    if (missing.length === 0) return { python, report };
    report.push(`${python} lacks ${missing.join(', ')}`);
  }
  return { report };
}

function installCommands(needs: { jupyter: boolean; chromium: boolean }): string {
  const debian = [...(needs.jupyter ? JUPYTER_PACKAGES : []), ...(needs.chromium ? CHROMIUM_PACKAGES : [])];
  const elsewhere: string[] = [];
  if (needs.jupyter) {
    elsewhere.push(
      `\`python3 -m pip install nbclient nbconvert\` (then \`export ${PYTHON_ENV}=<that python>\` if it is not python3)`,
    );
  }
  if (needs.chromium) elsewhere.push(`install Chromium or Chrome and \`export ${CHROMIUM_ENV}=<its binary>\``);
  const overrides = [PYTHON_ENV, CHROMIUM_ENV].filter((name) => process.env[name]);
  return (
    `On Debian/Ubuntu: \`sudo apt-get install --no-install-recommends ${debian.join(' ')}\` ` +
    `(as root on Debian the kit runs this itself). Elsewhere: ${elsewhere.join('; ')}.` +
    (overrides.length > 0 ? ` (${overrides.join(' and ')} set: the kit uses only that; unset it to use Debian's.)` : '')
  );
}

/**
 * Makes sure the system parts in `needs` are present: finds a Python with every module of
 * {@link JUPYTER_PYTHON_MODULES} and the Chromium binary ({@link chromiumPath}); on Debian as root
 * installs what is missing with one apt-get call. Throws, naming what is missing and the exact
 * install command, when something is still missing.
 */
export function ensureSystem(needs: SystemNeeds = { jupyter: true, chromium: true }): SystemParts {
  let jupyter = needs.jupyter ? findJupyterPython() : undefined;
  const chromiumMissing = () => needs.chromium && !existsSync(chromiumPath());
  const jupyterMissing = () => jupyter !== undefined && jupyter.python === undefined;
  if ((jupyterMissing() || chromiumMissing()) && canInstallWithApt()) {
    const packages = [
      ...(jupyterMissing() && !process.env[PYTHON_ENV] ? JUPYTER_PACKAGES : []),
      ...(chromiumMissing() && !process.env[CHROMIUM_ENV] ? CHROMIUM_PACKAGES : []),
    ];
    if (packages.length > 0) {
      aptInstall(packages);
      if (needs.jupyter) jupyter = findJupyterPython();
    }
  }
  const problems: string[] = [];
  if (jupyterMissing()) {
    problems.push(`no Python with Jupyter's notebook modules (${jupyter!.report.join('; ')})`);
  }
  if (chromiumMissing()) problems.push(`Chromium not found at ${chromiumPath()} (needed for PNG figures)`);
  if (problems.length > 0) {
    throw new Error(
      `Missing system parts: ${problems.join('; ')}. ` +
        installCommands({ jupyter: jupyterMissing(), chromium: chromiumMissing() }),
    );
  }
  return {
    ...(jupyter?.python ? { python: jupyter.python } : {}),
    ...(needs.chromium ? { chromium: chromiumPath() } : {}),
  };
}

/** A Python with every module of {@link JUPYTER_PYTHON_MODULES}, installing them if possible (see {@link ensureSystem}). */
export function ensureJupyterPython(): string {
  return ensureSystem({ jupyter: true, chromium: false }).python!;
}
