/** Process and file polling helpers shared by the runner, launch-mode and Slurm tests. */
import { existsSync, readFileSync } from 'node:fs';

/** True while a process with this PID exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (polling) until `file` has `count` non-empty lines; gives up after `limitMs` so a broken run cannot hang the suite. */
export async function waitForLines(file: string, count: number, limitMs = 120_000): Promise<string[]> {
  for (let waited = 0; ; waited += 50) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
    if (lines.length >= count) return lines;
    if (waited > limitMs) throw new Error(`${file} did not reach ${count} lines (has ${lines.length})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
