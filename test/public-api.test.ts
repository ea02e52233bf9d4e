/**
 * The public API stays curated: src/index.ts lists its exports by name, at most 200 values; every
 * value is documented and used outside src/ (README, a notebook, scripts/, bench/ or a test); every
 * `kit.NAME` a notebook or the README uses is exported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';
import * as kit from '../src';

const ROOT = resolve(__dirname, '..');
const INDEX = join(ROOT, 'src', 'index.ts');
const MAX_VALUES = 200;

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    return statSync(path).isDirectory() ? filesUnder(path, ext) : ext.test(name) ? [path] : [];
  });
}

/** The code of every cell of the kit's notebooks, one string. */
function notebookCode(): string {
  return filesUnder(join(ROOT, 'notebooks'), /\.ipynb$/)
    .map((file) => (JSON.parse(readFileSync(file, 'utf8')) as { cells: { source: string | string[] }[] }).cells.map((c) => [c.source].flat().join('')).join('\n'))
    .join('\n');
}

const exported = Object.keys(kit).sort();

/** The root's exports as the compiler sees them (values and types), with the symbols they stand for. */
function compilerExports(): { name: string; symbol: ts.Symbol; checker: ts.TypeChecker }[] {
  const program = ts.createProgram([INDEX], {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((s) => ({ name: s.name, symbol: s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s, checker }));
}
const allExports = compilerExports();

test('src/index.ts lists its exports by name, at most 200 values', () => {
  const source = readFileSync(INDEX, 'utf8');
  assert.doesNotMatch(source, /export\s*\*/, 'no `export *` in src/index.ts');
  assert.ok(exported.length > 50, `the root exports ${exported.length} values`);
  assert.ok(exported.length <= MAX_VALUES, `the root exports ${exported.length} values, more than ${MAX_VALUES}`);
});

test('every kit.NAME a notebook or the README uses is exported', () => {
  const used = new Set<string>();
  const text = notebookCode() + '\n' + readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const m of text.matchAll(/\bkit\.([A-Za-z_$][\w$]*)/g)) used.add(m[1]!);
  assert.ok(used.size > 40, `found ${used.size} kit names`);
  const names = new Set(allExports.map((e) => e.name));
  const missing = [...used].filter((name) => !names.has(name)).sort();
  assert.deepEqual(missing, [], 'used as kit.NAME but not exported from src/index.ts');
});

test('every exported value is used outside src/ (README, notebooks, scripts, bench or tests)', () => {
  const outside = [
    readFileSync(join(ROOT, 'README.md'), 'utf8'),
    notebookCode(),
    ...[join(ROOT, 'scripts'), join(ROOT, 'bench'), join(ROOT, 'test')].flatMap((dir) =>
      filesUnder(dir, /\.(ts|py)$/).filter((f) => !f.endsWith('public-api.test.ts')).map((f) => readFileSync(f, 'utf8')),
    ),
  ].join('\n');
  const unused = exported.filter((name) => !new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(outside));
  assert.deepEqual(unused, [], 'exported from the root but named nowhere outside src/');
});

test('every exported name (values and types) has a doc comment', () => {
  const undocumented = allExports
    .filter(({ symbol, checker }) => ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() === '')
    .map((e) => e.name)
    .sort();
  assert.deepEqual(undocumented, [], 'exported without a doc comment');
  const values = allExports.filter(({ symbol }) => (symbol.flags & ts.SymbolFlags.Value) !== 0).map((e) => e.name).sort();
  assert.deepEqual(values, exported, 'the compiler and the runtime agree on the value exports');
});
