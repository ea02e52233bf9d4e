/**
 * `npm run data -- polis [--if-missing] [--base-url URL] [--dir DIR]`
 *   Downloads the Polis open-data files the kit uses (the pinned upstream commit of
 *   data/polis-checksums.json), checks each file's sha256, and stores them in the download cache
 *   (`.cache/polis/<commit>/`, or `$HPA_DATA_DIR/polis/<commit>/`, or DIR) where the loaders find them.
 *   Files already present with the right checksum are not downloaded again.
 *   --if-missing (used by `npm run reproduce`): do nothing when the loaders already find Polis data
 *   (HPA_POLIS_DIR, ../shared/data/polis_opendata, or a complete download), and only warn (exit 0)
 *   when the network cannot be reached, so the run goes on and reports what it could not regenerate.
 *   Base URL: --base-url, else HPA_POLIS_BASE_URL, else GitHub's raw files.
 *
 * `npx tsx scripts/data.ts polis-checksums FOLDER [--commit SHA]`
 *   Rewrites data/polis-checksums.json from a folder known to be byte-identical to upstream
 *   (every `<conversation>/{summary,comments,participants-votes}.csv` in it).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listPolisConversations, polisDataDir, POLIS_DIR_ENV } from '../src/data/polis';
import {
  fetchPolisData,
  PolisDownloadError,
  polisManifestFromFolder,
  readPolisManifest,
  shippedPolisManifestPath,
} from '../src/data/polisFetch';

/** The files the loaders read in each conversation folder (see src/data/polis.ts). */
const CONVERSATION_FILES = ['summary.csv', 'comments.csv', 'participants-votes.csv'];

async function polis(args: string[]): Promise<number> {
  let ifMissing = false;
  let baseUrl: string | undefined;
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--if-missing') ifMissing = true;
    else if (a === '--base-url') baseUrl = valueOf(args, ++i, a);
    else if (a === '--dir') dir = valueOf(args, ++i, a);
    else throw new Error(`unknown option ${a} (polis takes --if-missing, --base-url URL, --dir DIR)`);
  }
  if (ifMissing) {
    const found = polisDataDir();
    if (existsSync(found) && listPolisConversations(found).length > 0) {
      console.log(`Polis data: ${found} (already there; nothing downloaded)`);
      return 0;
    }
    if (process.env[POLIS_DIR_ENV]) {
      console.warn(`WARNING: ${POLIS_DIR_ENV}=${process.env[POLIS_DIR_ENV]} holds no Polis conversations; it takes precedence, so nothing is downloaded. The Polis tables and figures will not be regenerated.`);
      return 0;
    }
  }
  const manifest = readPolisManifest();
  console.log(`Polis open data, commit ${manifest.commit}: ${manifest.files.length} files`);
  try {
    const result = await fetchPolisData({ manifest, baseUrl, dir, log: (line) => console.log(line) });
    console.log(`Polis data in ${result.dir}: ${result.downloaded.length} downloaded, ${result.present.length} already present (all checksums match)`);
    return 0;
  } catch (err) {
    if (ifMissing && err instanceof PolisDownloadError && err.failure === 'network') {
      console.warn(`WARNING: Polis data is missing and could not be downloaded: ${err.message}`);
      console.warn('The run goes on; the Polis tables and figures will not be regenerated (listed at the end).');
      return 0;
    }
    throw err;
  }
}

function polisChecksums(args: string[]): number {
  const folder = args[0];
  if (!folder || folder.startsWith('--')) throw new Error('polis-checksums needs the folder to read (a copy byte-identical to upstream)');
  let commit: string | undefined;
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--commit') commit = valueOf(args, ++i, '--commit');
    else throw new Error(`unknown option ${args[i]} (polis-checksums takes FOLDER [--commit SHA])`);
  }
  commit ??= readPolisManifest().commit;
  const conversations = readdirSync(folder)
    .filter((d) => statSync(join(folder, d)).isDirectory() && existsSync(join(folder, d, 'participants-votes.csv')))
    .sort();
  const paths = conversations.flatMap((c) => CONVERSATION_FILES.map((f) => `${c}/${f}`));
  const manifest = polisManifestFromFolder(folder, paths, commit);
  writeFileSync(shippedPolisManifestPath(), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${shippedPolisManifestPath()}: ${conversations.length} conversations, ${paths.length} files`);
  return 0;
}

function valueOf(args: string[], i: number, option: string): string {
  const v = args[i];
  if (v === undefined || v.startsWith('--')) throw new Error(`${option} needs a value`);
  return v;
}

async function main(): Promise<number> {
  const [what, ...rest] = process.argv.slice(2);
  if (what === 'polis') return polis(rest);
  if (what === 'polis-checksums') return polisChecksums(rest);
  throw new Error(`usage: npm run data -- polis [--if-missing] [--base-url URL] [--dir DIR]  |  npx tsx scripts/data.ts polis-checksums FOLDER (got ${JSON.stringify(what ?? '')})`);
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
