/**
 * The experiment registry: maps names to definitions so that worker processes and the CLI can find
 * an experiment by name.
 *
 * Design: a worker process starts empty, so it re-creates the parent's registry by loading modules.
 * Experiments therefore live in module files that call {@link registerExperiment} when loaded:
 * - the kit's own library, `src/experiments/library/index.ts` (`dist/experiments/library/index.js`
 *   when built), which every worker and the CLI load when it exists;
 * - any other module loaded with {@link registerExperimentModule}; the parent tells its workers to
 *   load the same modules.
 * An experiment defined inline in a notebook cell runs in-process (`workers: 1`) only.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExperimentDefinition } from './types';

interface Entry {
  definition: ExperimentDefinition<any>;
  /** Absolute path of the module that registered it, when loaded through registerExperimentModule. */
  module?: string;
}

const entries = new Map<string, Entry>();
const loadedModules: string[] = [];
let loadingModule: string | undefined;

/**
 * Registers an experiment under its name and returns it. Registering a name again replaces the
 * definition (notebook cells get re-run), unless two different modules claim the same name.
 */
export function registerExperiment<C>(definition: ExperimentDefinition<C>): ExperimentDefinition<C> {
  if (definition?.kind !== 'hpa-experiment') throw new Error('registerExperiment takes the result of defineExperiment');
  const previous = entries.get(definition.name);
  if (previous?.module && loadingModule && previous.module !== loadingModule) {
    throw new Error(`experiment '${definition.name}' is registered by both ${previous.module} and ${loadingModule}; rename one`);
  }
  entries.set(definition.name, { definition, module: loadingModule ?? previous?.module });
  return definition;
}

/** The experiment registered under `name`; an unknown name is an error listing the known ones. */
export function getExperiment(name: string): ExperimentDefinition<any> {
  // The kit's own experiments are found by name without an explicit load.
  if (!entries.has(name)) loadExperimentLibrary();
  const entry = entries.get(name);
  if (entry) return entry.definition;
  const known = [...entries.keys()].sort();
  const list = known.length > 0 ? `known: ${known.join(', ')}` : 'none is registered';
  throw new Error(
    `unknown experiment '${name}' (${list}); define it in a module that calls registerExperiment and load that module with registerExperimentModule(path) (the CLI: --module path)`,
  );
}

/** Every registered experiment, sorted by name. */
export function listExperiments(): ExperimentDefinition<any>[] {
  return [...entries.values()].map((e) => e.definition).sort((a, b) => a.name.localeCompare(b.name));
}

/** Module that registered the experiment, when known. */
export function experimentModuleOf(name: string): string | undefined {
  return entries.get(name)?.module;
}

/**
 * Loads a module whose top level registers experiments (`.ts` modules work from the built package
 * too: tsx is registered on demand), remembers it so that worker processes load it as well, and
 * returns the names of the experiments it registered. Loading a module twice does nothing new.
 */
export function registerExperimentModule(path: string): string[] {
  const file = resolveModule(path);
  if (!loadedModules.includes(file)) {
    if (/\.[cm]?ts$/.test(file)) ensureTypeScriptLoader();
    const outer = loadingModule;
    loadingModule = file;
    try {
      require(file);
    } finally {
      loadingModule = outer;
    }
    loadedModules.push(file);
  }
  return [...entries.entries()].filter(([, e]) => e.module === file).map(([name]) => name);
}

/** Absolute paths of the modules loaded with {@link registerExperimentModule}, in load order. */
export function experimentModules(): string[] {
  return [...loadedModules];
}

/** The kit's experiment library module (`library/index` next to this file), or null when there is none yet. */
export function libraryModulePath(): string | null {
  const dir = join(__dirname, 'library');
  for (const ext of ['.ts', '.js']) {
    const file = join(dir, `index${ext}`);
    if (existsSync(file) && (ext === '.js' || /\.ts$/.test(__filename))) return file;
  }
  return null;
}

/** Loads the kit's experiment library when it exists; returns whether it did. */
export function loadExperimentLibrary(): boolean {
  const file = libraryModulePath();
  if (file === null) return false;
  registerExperimentModule(file);
  return true;
}

function resolveModule(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new Error('experiment module path must be a non-empty string');
  const absolute = resolve(path);
  try {
    return require.resolve(absolute);
  } catch (err) {
    if (/\.[cm]?ts$/.test(absolute) && existsSync(absolute)) return absolute; // resolvable once tsx is registered
    throw new Error(`experiment module not found: ${absolute} (${(err as Error).message.split('\n')[0]})`);
  }
}

let tsLoaderRegistered = false;

/** Lets `require` load TypeScript when the process was not started under tsx (e.g. a tslab kernel). */
function ensureTypeScriptLoader(): void {
  if (tsLoaderRegistered || require.extensions['.ts'] !== undefined) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('tsx/cjs/api') as { register: () => unknown }).register();
  tsLoaderRegistered = true;
}
