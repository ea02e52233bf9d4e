/**
 * Downloading the Polis open data the kit uses (compdemocracy/openData, CC BY 4.0) at one pinned
 * commit, checked file by file against the sha256 checksums shipped in `data/polis-checksums.json`.
 *
 * Files land in the download cache `<HPA_DATA_DIR or <repo>/.cache>/polis/<commit>/<conversation>/<file>`,
 * which {@link polisDataDir} uses when neither `HPA_POLIS_DIR` nor `../shared/data/polis_opendata`
 * exists. Each file is written to a temporary name and renamed only after its checksum matches, so
 * the cache never holds a file with the wrong content; a file already present with the right
 * checksum is not downloaded again. `SOURCE.md` (source, commit, licence and attribution) is written
 * last, after every file is in place: a cache folder without it is incomplete and is not used.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { dataCacheDirSetting, polisBaseUrlSetting } from '../runtime';

export { DATA_DIR_ENV, POLIS_BASE_URL_ENV } from '../runtime';
/** Raw-file base of the upstream repository; a file's URL is `<base>/<commit>/<conversation>/<file>`. */
export const POLIS_DEFAULT_BASE_URL = 'https://raw.githubusercontent.com/compdemocracy/openData';
/** Name of the note written into a complete download folder (its presence marks the folder complete). */
export const POLIS_SOURCE_NOTE = 'SOURCE.md';

/** One file of a checksum manifest. */
export interface PolisManifestFile {
  /** Path inside the upstream repository, `<conversation>/<file>`. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
}

/** A checksum manifest: which files of which upstream commit, and what each must hash to. */
export interface PolisManifest {
  /** Upstream repository (for the note written beside the data). */
  source: string;
  /** 40-hex-digit upstream commit. */
  commit: string;
  files: PolisManifestFile[];
}

/** Path of the shipped manifest, `data/polis-checksums.json`. */
export function shippedPolisManifestPath(): string {
  return resolve(__dirname, '..', '..', 'data', 'polis-checksums.json');
}

/** Reads and checks a manifest file; errors name the file and the bad entry. */
export function readPolisManifest(file: string = shippedPolisManifestPath()): PolisManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Polis checksum manifest ${file}: cannot read it as JSON: ${(err as Error).message}`);
  }
  const m = parsed as Partial<PolisManifest>;
  if (typeof m.source !== 'string') throw new Error(`Polis checksum manifest ${file}: 'source' must be a string`);
  if (typeof m.commit !== 'string' || !/^[0-9a-f]{40}$/.test(m.commit)) throw new Error(`Polis checksum manifest ${file}: 'commit' must be 40 lower-case hex digits, got ${JSON.stringify(m.commit)}`);
  if (!Array.isArray(m.files) || m.files.length === 0) throw new Error(`Polis checksum manifest ${file}: 'files' must be a non-empty list`);
  m.files.forEach((f, i) => {
    const where = `Polis checksum manifest ${file}, files[${i}]`;
    if (typeof f?.path !== 'string' || !/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/.test(f.path) || f.path.split('/').some((p) => p === '..' || p === '.')) {
      throw new Error(`${where}: 'path' must be <conversation>/<file>, got ${JSON.stringify(f?.path)}`);
    }
    if (!Number.isInteger(f.bytes) || f.bytes < 0) throw new Error(`${where} (${f.path}): 'bytes' must be a non-negative integer, got ${JSON.stringify(f.bytes)}`);
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) throw new Error(`${where} (${f.path}): 'sha256' must be 64 lower-case hex digits, got ${JSON.stringify(f.sha256)}`);
  });
  return m as PolisManifest;
}

let shippedManifest: PolisManifest | undefined;

/** The folder a download of `manifest` (default: the shipped one) goes to: `<HPA_DATA_DIR or <repo>/.cache>/polis/<commit>`. */
export function polisCacheDir(manifest?: PolisManifest): string {
  const m = manifest ?? (shippedManifest ??= readPolisManifest());
  const fromSetting = dataCacheDirSetting();
  const root = fromSetting ? resolve(fromSetting) : resolve(__dirname, '..', '..', '.cache');
  return join(root, 'polis', m.commit);
}

/** True when `dir` holds a complete download (its {@link POLIS_SOURCE_NOTE} is written only after every file was checked). */
export function isCompletePolisDownload(dir: string): boolean {
  return existsSync(join(dir, POLIS_SOURCE_NOTE));
}

/** Lower-case hex sha256 of some bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Why a download failed: `network` (the server could not be reached), `http` (it answered with an error status) or `checksum`. */
export type PolisDownloadFailure = 'network' | 'http' | 'checksum';

/** A failed download; the message names the URL or the file (and both checksums for `checksum`). */
export class PolisDownloadError extends Error {
  constructor(
    readonly failure: PolisDownloadFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PolisDownloadError';
  }
}

/** Options of {@link fetchPolisData}. */
export interface FetchPolisOptions {
  /** Which files and checksums (default: the shipped `data/polis-checksums.json`). */
  manifest?: PolisManifest;
  /** Raw-file base URL (default `HPA_POLIS_BASE_URL`, else {@link POLIS_DEFAULT_BASE_URL}). */
  baseUrl?: string;
  /** Destination folder (default {@link polisCacheDir} of the manifest). */
  dir?: string;
  /** Per-file time limit in milliseconds (default 60,000). */
  timeoutMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** What {@link fetchPolisData} did. */
export interface FetchPolisResult {
  /** The folder holding the files (pass it as `HPA_POLIS_DIR`, or let {@link polisDataDir} find it). */
  dir: string;
  /** Manifest paths downloaded in this call. */
  downloaded: string[];
  /** Manifest paths already present with the right checksum (not downloaded again). */
  present: string[];
}

/**
 * Downloads every file of the manifest that is not already in `dir` with the right checksum, checks
 * each against its sha256 before it takes its final name, then writes `SOURCE.md`. Throws a
 * {@link PolisDownloadError} at the first failure (files already checked stay; a rerun resumes).
 */
export async function fetchPolisData(options: FetchPolisOptions = {}): Promise<FetchPolisResult> {
  const manifest = options.manifest ?? readPolisManifest();
  const dir = resolve(options.dir ?? polisCacheDir(manifest));
  const base = (options.baseUrl ?? polisBaseUrlSetting() ?? POLIS_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  const result: FetchPolisResult = { dir, downloaded: [], present: [] };
  for (const file of manifest.files) {
    const target = join(dir, file.path);
    if (existsSync(target)) {
      const actual = sha256Hex(readFileSync(target));
      if (actual === file.sha256) {
        result.present.push(file.path);
        continue;
      }
      log(`${target}: checksum ${actual} differs from the manifest's ${file.sha256}; downloading it again`);
    }
    const url = `${base}/${manifest.commit}/${file.path}`;
    const bytes = await download(url, timeoutMs, dir);
    const actual = sha256Hex(bytes);
    mkdirSync(dirname(target), { recursive: true });
    const temporary = `${target}.download-${process.pid}`;
    writeFileSync(temporary, bytes);
    if (actual !== file.sha256) {
      rmSync(temporary, { force: true });
      throw new PolisDownloadError('checksum', `${file.path} (from ${url}): sha256 ${actual} does not match the expected ${file.sha256} (${bytes.length} bytes received, ${file.bytes} expected); the file was not stored`);
    }
    renameSync(temporary, target);
    result.downloaded.push(file.path);
    log(`downloaded ${file.path} (${bytes.length} bytes, sha256 ok)`);
  }
  writeFileSync(join(dir, POLIS_SOURCE_NOTE), polisSourceNote(manifest, base));
  return result;
}

async function download(url: string, timeoutMs: number, dir: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new PolisDownloadError('network', `could not download ${url} (${why}). Without network access, copy the Polis files by hand: `
      + `put each file of the checksum manifest (data/polis-checksums.json) as <conversation>/<file> into ${dir} and run the command again (it checks them and downloads nothing), `
      + `or point HPA_POLIS_DIR at a folder holding them, or place that folder at ../shared/data/polis_opendata beside the repository`);
  }
  if (!response.ok) {
    throw new PolisDownloadError('http', `${url} answered HTTP ${response.status} ${response.statusText}${response.status === 404 ? ' (no such file at this commit)' : ''}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** The note written beside downloaded data: source, commit, licence, the required attribution, and the files with their checksums. */
export function polisSourceNote(manifest: PolisManifest, baseUrl: string): string {
  return [
    '# Polis open data (downloaded by hpa-kit)',
    '',
    `- Source: ${manifest.source}, commit \`${manifest.commit}\` (raw files from ${baseUrl}), unchanged.`,
    '- Licence: Creative Commons Attribution 4.0 International (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/',
    '',
    '## Attribution',
    '',
    'Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed under CC BY 4.0',
    'with Attribution to The Computational Democracy Project. The data and more information about how the',
    'data was collected: https://compdemocracy.org/ (case studies of each conversation).',
    '',
    '## Files (each checked against its sha256 before it was stored)',
    '',
    '| path | bytes | sha256 |',
    '| --- | ---: | --- |',
    ...manifest.files.map((f) => `| ${f.path} | ${f.bytes} | ${f.sha256} |`),
    '',
  ].join('\n');
}

/** Builds a manifest from a folder of `<conversation>/<file>` files (how `data/polis-checksums.json` was made from a copy known to be byte-identical to upstream). */
export function polisManifestFromFolder(dir: string, paths: readonly string[], commit: string, source = 'https://github.com/compdemocracy/openData'): PolisManifest {
  return {
    source,
    commit,
    files: paths.map((path) => {
      const bytes = readFileSync(join(dir, path));
      return { path, bytes: bytes.length, sha256: sha256Hex(bytes) };
    }),
  };
}
