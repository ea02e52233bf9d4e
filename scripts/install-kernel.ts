/**
 * `npm run kernel`: registers the tslab kernel in the project-local Jupyter path (`.jupyter/`, the
 * user's own Jupyter setup is not touched) and prints how to start a Jupyter front end that finds it.
 */
import { spawnSync } from 'node:child_process';
import { JUPYTER_DATA, writeKernelSpec } from './notebook-runner';

const spec = writeKernelSpec();
const asRoot = process.getuid?.() === 0;
const hasNotebook = spawnSync('jupyter', ['notebook', '--version'], { stdio: 'ignore' }).status === 0;
const lines = [
  `tslab kernel ("TypeScript") registered: ${spec}`,
  '',
  'Open the notebooks (from the repository root; pick the TypeScript kernel):',
  `  JUPYTER_PATH=${JUPYTER_DATA} jupyter notebook${asRoot ? ' --allow-root' : ''} --notebook-dir=notebooks`,
  '  (JupyterLab instead: the same with `jupyter lab`.)',
];
if (!hasNotebook) {
  lines.push(
    '',
    'No `jupyter notebook` found. On Debian 12: `apt-get install jupyter-notebook` (the classic Notebook; JupyterLab is',
    'not packaged in Debian 12). Elsewhere: `python3 -m pip install notebook` or `python3 -m pip install jupyterlab`.',
  );
}
lines.push(
  '',
  'Notebooks you create there are yours: `npm test` and `npm run reproduce` run only the kit\'s own notebooks, and',
  'figures saved from an interactive session go to out/figures/ (only `npm run reproduce` writes figures/).',
  'After changing src/, run `npm run build` and restart the kernel.',
);
console.log(lines.join('\n'));
