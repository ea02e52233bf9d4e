/**
 * Experimental: the multi-threaded wasm build in Node.
 *
 * tfjs-backend-wasm 4.22 reports no thread support under Node (`WASM_HAS_MULTITHREAD_SUPPORT` is
 * hard-wired to false there, tfjs issue 3830), and forcing the flag fails because the pthread
 * worker script is handed to `new Worker` as a `blob:` URL, which Node's worker_threads refuse.
 * The worker script itself supports Node, so this writes it to a temporary file and, while the
 * backend initialises, answers `URL.createObjectURL` with that file's path.
 *
 * Call before the wasm backend is first initialised (it picks the binary once per process).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Initialises the threaded wasm backend with `threads` threads and returns the count the backend
 * reports. Throws (with the backend's reason) when it cannot start.
 */
export async function initThreadedWasm(threads: number): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
    wasmWorkerContents: string;
  };
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-wasm-'));
  const workerFile = join(dir, 'worker.js');
  const mainFile = join(dir, 'main.js');
  // The worker imports the backend's main script from a Blob (again a blob: URL); point it at a file
  // holding the same text, captured below when the backend builds that Blob.
  const prelude = `URL.createObjectURL = () => ${JSON.stringify(mainFile)};`;
  // As the backend does for its Blob: the template literal turned the script's \n escapes into newlines.
  writeFileSync(workerFile, prelude + wasmWorkerContents.replace(/\n/g, '\\n'));
  const OriginalBlob = globalThis.Blob;
  globalThis.Blob = class extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      const text = parts?.[0];
      if (typeof text === 'string' && text.startsWith('var WasmBackendModuleThreadedSimd')) {
        // The factory's source refers to the bundle's module variables for fs, path, perf_hooks and os.
        const requires = "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;";
        writeFileSync(mainFile, requires + text);
      }
    }
  };
  const original = URL.createObjectURL;
  URL.createObjectURL = () => workerFile;
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    if (!ok || tf.getBackend() !== 'wasm') throw new Error('the threaded wasm backend did not initialise');
    return wasm.getThreadsCount();
  } finally {
    URL.createObjectURL = original;
    globalThis.Blob = OriginalBlob;
  }
}
