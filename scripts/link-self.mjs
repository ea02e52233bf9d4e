// Makes the built library importable by its package name (`import ... from 'hpa-kit'`).
// tslab compiles notebook cells with the notebook's folder as rootDir, so notebooks cannot
// import '../src/...'; they import the package instead, which resolves here to dist/.
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const link = join(root, 'node_modules', name);
mkdirSync(dirname(link), { recursive: true });
if (existsSync(link) || isDanglingLink(link)) {
  if (!lstatSync(link).isSymbolicLink()) {
    throw new Error(`${link} exists and is not a symbolic link; remove it so the kit can link itself`);
  }
  unlinkSync(link);
}
symlinkSync('..', link, 'dir');

function isDanglingLink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
