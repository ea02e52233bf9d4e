/**
 * System parts the kit needs outside npm: Jupyter's nbclient (to execute notebooks) and Chromium
 * (only for PNG export). Finds them, and on Debian as root installs what is missing with apt-get;
 * elsewhere it says exactly what to install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const JUPYTER_PACKAGES = ['jupyter-nbconvert', 'python3-nbclient'];
const CHROMIUM_PACKAGES = ['chromium'];

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

/** Python interpreters that may have Jupyter, in the order they are tried. */
function pythonCandidates(): string[] {
  const fromEnv = process.env.HPA_PYTHON;
  return [...(fromEnv ? [fromEnv] : []), '/usr/bin/python3', 'python3'];
}

function hasNbclient(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import nbclient, nbformat, jupyter_client'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Returns a Python that can import nbclient, installing Jupyter's packages with apt-get when that is
 * possible (Debian, root). Throws with the exact install command otherwise.
 */
export function ensureJupyterPython(): string {
  const found = pythonCandidates().find(hasNbclient);
  if (found) return found;
  if (canInstallWithApt()) {
    aptInstall(JUPYTER_PACKAGES);
    const after = pythonCandidates().find(hasNbclient);
    if (after) return after;
  }
  throw new Error(
    "Jupyter's nbclient was not found in any of: " +
      pythonCandidates().join(', ') +
      `. Install it: on Debian/Ubuntu \`sudo apt-get install ${JUPYTER_PACKAGES.join(' ')}\`; ` +
      'elsewhere `python3 -m pip install nbclient nbconvert` (then set HPA_PYTHON to that python if it is not python3).',
  );
}

/** Path of the Chromium executable used for PNG export (`HPA_CHROMIUM`, default /usr/bin/chromium). */
export function chromiumPath(): string {
  return process.env.HPA_CHROMIUM || '/usr/bin/chromium';
}

/**
 * Makes sure Chromium is present for PNG export, installing it with apt-get on Debian as root.
 * Returns false (with a printed note) when it is missing and cannot be installed: HTML figures still work.
 */
export function ensureChromium(): boolean {
  if (existsSync(chromiumPath())) return true;
  if (canInstallWithApt() && !process.env.HPA_CHROMIUM) {
    aptInstall(CHROMIUM_PACKAGES);
    if (existsSync(chromiumPath())) return true;
  }
  console.warn(
    `Chromium not found at ${chromiumPath()}: PNG figures cannot be written (HTML figures still are). ` +
      `Install it: on Debian \`sudo apt-get install ${CHROMIUM_PACKAGES.join(' ')}\`, or set HPA_CHROMIUM to a Chromium/Chrome binary.`,
  );
  return false;
}
