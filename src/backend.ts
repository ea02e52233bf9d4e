/**
 * TensorFlow.js backend selection.
 *
 * `auto` tries, in order, the native GPU binding (`@tensorflow/tfjs-node-gpu`), the native CPU
 * binding (`@tensorflow/tfjs-node`), WebAssembly (`@tensorflow/tfjs-backend-wasm`) and the plain
 * JavaScript `cpu` backend, and takes the first that loads. A native binding is recognised by the
 * backend name it registers (`tensorflow`), not by the module loading: this repository aliases
 * `@tensorflow/tfjs-node` to `@tensorflow/tfjs` so that danfojs installs offline, and that alias
 * loads fine while registering no native backend.
 */
import * as tf from '@tensorflow/tfjs';

/** A backend the kit can run on, or `auto` to take the fastest that loads. */
export type BackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

/** A concrete backend (what `auto` resolves to). */
export type BackendKind = Exclude<BackendChoice, 'auto'>;

/** The concrete backends, in the order `auto` tries them. */
export const BACKEND_ORDER: readonly BackendKind[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** Environment variable that forces a backend when no argument is given. */
export const BACKEND_ENV = 'HPA_BACKEND';

/** What {@link initBackend} chose and why. */
export interface BackendInfo {
  /** What was asked for (argument, then `HPA_BACKEND`, then `auto`). */
  requested: BackendChoice;
  /** The kit's name of the backend taken. */
  kind: BackendKind;
  /** The name TensorFlow.js registered it under (`tensorflow`, `wasm` or `cpu`). */
  tfBackend: string;
  /** Backends tried before it, with the reason each could not be used. */
  skipped: { kind: BackendKind; reason: string }[];
}

/** Raised when a requested backend cannot be loaded; the message names what to install. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly kind: BackendKind,
    readonly reason: string,
  ) {
    super(`backend '${kind}' cannot be used: ${reason}. ${INSTALL_HINT[kind]}`);
    this.name = 'BackendUnavailableError';
  }
}

const INSTALL_HINT: Record<BackendKind, string> = {
  'node-gpu':
    'Install it with `npm install @tensorflow/tfjs-node-gpu@4.22.0` on a Linux machine with CUDA 11.8 and cuDNN 8 ' +
    '(its install step downloads libtensorflow from storage.googleapis.com, so it needs that address reachable)',
  node:
    'Install it with `npm install @tensorflow/tfjs-node@4.22.0 --no-save` after removing the danfojs alias from ' +
    "package.json's overrides (its install step downloads libtensorflow from storage.googleapis.com)",
  wasm: 'Install it with `npm install @tensorflow/tfjs-backend-wasm@4.22.0` (it ships with the kit; run `npm ci`)',
  cpu: 'It ships with @tensorflow/tfjs; run `npm ci`',
};

const NATIVE_PACKAGE = { 'node-gpu': '@tensorflow/tfjs-node-gpu', node: '@tensorflow/tfjs-node' } as const;

function parseChoice(value: string, source: string): BackendChoice {
  if (value === 'auto' || (BACKEND_ORDER as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source} = '${value}' is not a backend; use one of: auto, ${BACKEND_ORDER.join(', ')}`);
}

/** Resolves the requested backend: the argument, else `HPA_BACKEND`, else `auto`. */
export function requestedBackend(choice?: string): BackendChoice {
  if (choice !== undefined) return parseChoice(choice, 'backend argument');
  const fromEnv = process.env[BACKEND_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseChoice(fromEnv, BACKEND_ENV);
  return 'auto';
}

async function activate(tfName: string): Promise<void> {
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`tf.setBackend('${tfName}') returned false`);
  await tf.ready();
}

async function tryBackend(kind: BackendKind): Promise<string> {
  switch (kind) {
    case 'node-gpu':
    case 'node': {
      if (tf.findBackendFactory('tensorflow') === null) {
        try {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          require(NATIVE_PACKAGE[kind]);
        } catch (err) {
          throw new BackendUnavailableError(kind, `${NATIVE_PACKAGE[kind]} did not load (${firstLine(err)})`);
        }
        if (tf.findBackendFactory('tensorflow') === null) {
          throw new BackendUnavailableError(
            kind,
            `${NATIVE_PACKAGE[kind]} loaded but registered no 'tensorflow' backend (here it is the plain ` +
              '@tensorflow/tfjs package that npm overrides put in its place for danfojs)',
          );
        }
      }
      await activate('tensorflow');
      return 'tensorflow';
    }
    case 'wasm': {
      try {
        // Registers the 'wasm' backend; the .wasm binaries are read from the package's dist folder.
        require('@tensorflow/tfjs-backend-wasm');
        await activate('wasm');
      } catch (err) {
        throw new BackendUnavailableError(kind, firstLine(err));
      }
      return 'wasm';
    }
    case 'cpu':
      await activate('cpu');
      return 'cpu';
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/**
 * Selects and initialises the TensorFlow.js backend.
 *
 * @param choice - a backend name, or `auto`; defaults to `HPA_BACKEND`, then `auto`.
 * @returns which backend was taken and which were skipped on the way.
 * @throws {@link BackendUnavailableError} when a forced backend (or, under `auto`, every backend) fails.
 */
export async function initBackend(choice?: string): Promise<BackendInfo> {
  const requested = requestedBackend(choice);
  const candidates = requested === 'auto' ? BACKEND_ORDER : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const kind of candidates) {
    try {
      const tfBackend = await tryBackend(kind);
      lastInitialised = { requested, kind, tfBackend, skipped };
      return lastInitialised;
    } catch (err) {
      if (requested !== 'auto') throw err;
      skipped.push({ kind, reason: firstLine(err) });
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.kind}: ${s.reason}`).join('; ')}`);
}

let lastInitialised: BackendInfo | null = null;

/**
 * The backend TensorFlow.js computes on in this process now, or null when none is initialised yet.
 * A backend chosen by {@link initBackend} is reported under the kit's name for it; one set by other
 * means (`tf.setBackend`, or tfjs's own default on the first operation) is reported when it is `cpu`
 * or `wasm`, and is an error when it is the native `tensorflow` backend, which serves both `node`
 * and `node-gpu`.
 */
export function activeBackend(): BackendKind | null {
  const name = (tf.engine() as { backendName?: string }).backendName;
  if (!name) return null;
  if (lastInitialised !== null && lastInitialised.tfBackend === name) return lastInitialised.kind;
  if (name === 'cpu' || name === 'wasm') return name;
  throw new Error(
    `TensorFlow.js runs on backend '${name}', which was not chosen through initBackend(); call initBackend('node') or initBackend('node-gpu') so the kit knows which one it is`,
  );
}

/**
 * The backend to compute on: the active one ({@link activeBackend}) when there is one, else the one
 * {@link initBackend} initialises now (`HPA_BACKEND`, else `auto`), exactly as the notebooks do.
 * The experiment runner calls it, so every launch mode computes on the same backend.
 */
export async function ensureBackend(): Promise<BackendKind> {
  return activeBackend() ?? (await initBackend()).kind;
}

/** One line for logs and notebooks, e.g. `backend wasm (auto; skipped node-gpu, node)`. */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.length > 0 ? `; skipped ${info.skipped.map((s) => s.kind).join(', ')}` : '';
  return `backend ${info.kind} (tfjs '${info.tfBackend}', requested ${info.requested}${skipped})`;
}

export { tf };
