/**
 * Makes the built library importable by its package name (`import * as kit from 'hpa-kit'`).
 * tslab compiles notebook cells with the notebook's folder as TypeScript rootDir, so notebooks cannot
 * import '../src/...'; they import the package instead, which resolves through this link to dist/.
 */
import { lstatSync, mkdirSync, readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const { name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string };
const link = join(root, 'node_modules', name);
mkdirSync(dirname(link), { recursive: true });
const existing = lstatOrNull(link);
if (existing) {
  if (!existing.isSymbolicLink()) throw new Error(`${link} exists and is not a symbolic link; remove it so the kit can link itself`);
  unlinkSync(link);
}
symlinkSync('..', link, 'dir');

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
