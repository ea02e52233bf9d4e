/**
 * The Polis download (src/data/polisFetch.ts, scripts/data.ts) against a local HTTP server on
 * 127.0.0.1 serving fixture files: good files, a corrupt file, a missing file, an unreachable server.
 * No real network is used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DATA_DIR_ENV,
  fetchPolisData,
  isCompletePolisDownload,
  loadPolisConversation,
  polisCacheDir,
  PolisDownloadError,
  readPolisManifest,
  sha256Hex,
  type PolisManifest,
} from '../src/data';

const COMMIT = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
/** A conversation small enough to check by hand: 2 statements, 3 participants in 2 groups. */
const FIXTURE: Record<string, string> = {
  'mini/summary.csv': 'topic,Bike lanes\ngroups,2\n',
  'mini/comments.csv': 'timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1,d,0,0,2,1,1,More lanes\n2,d,1,1,1,1,1,Fewer cars\n',
  'mini/participants-votes.csv': 'participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1\n0,0,1,2,2,0,1,1\n1,0,0,2,1,1,1,-1\n2,1,1,1,0,1,-1,\n',
};

function manifestOf(files: Record<string, string>, commit = COMMIT): PolisManifest {
  return {
    source: 'fixture',
    commit,
    files: Object.entries(files).map(([path, text]) => ({ path, bytes: Buffer.byteLength(text), sha256: sha256Hex(Buffer.from(text)) })),
  };
}

/** Serves `files` at `/<commit>/<path>` on an ephemeral loopback port; counts requests per URL path. */
async function serve(files: Record<string, string | Buffer>, commit = COMMIT): Promise<{ server: Server; base: string; requests: Map<string, number> }> {
  const requests = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '');
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const prefix = `/${commit}/`;
    const body = path.startsWith(prefix) ? files[path.slice(prefix.length)] : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));
const total = (requests: Map<string, number>) => [...requests.values()].reduce((a, b) => a + b, 0);

test('sha256Hex: the FIPS 180-2 test vector for "abc"', () => {
  assert.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('good files: downloaded, checked, stored under their paths with SOURCE.md, and the loader reads them', async () => {
  const { server, base, requests } = await serve(FIXTURE);
  try {
    const dir = join(mkdtempSync(join(tmpdir(), 'hpa-fetch-')), 'polis');
    const result = await fetchPolisData({ manifest: manifestOf(FIXTURE), baseUrl: base, dir });
    assert.equal(result.dir, dir);
    assert.deepEqual(result.downloaded, Object.keys(FIXTURE));
    assert.deepEqual(result.present, []);
    assert.equal(total(requests), 3);
    assert.equal(requests.get(`/${COMMIT}/mini/comments.csv`), 1);
    for (const [path, text] of Object.entries(FIXTURE)) assert.equal(readFileSync(join(dir, path), 'utf8'), text);
    assert.deepEqual(readdirSync(join(dir, 'mini')).sort(), ['comments.csv', 'participants-votes.csv', 'summary.csv'], 'no temporary files left');
    assert.ok(isCompletePolisDownload(dir));
    const note = readFileSync(join(dir, 'SOURCE.md'), 'utf8');
    assert.match(note, new RegExp(`commit \`${COMMIT}\``));
    assert.match(note, /sub-licensed under CC BY 4\.0\s+with Attribution to The Computational Democracy Project/);
    assert.match(note, new RegExp(`\\| mini/summary\\.csv \\| 26 \\| ${sha256Hex(Buffer.from(FIXTURE['mini/summary.csv']!))} \\|`));
    // The downloaded folder is a Polis folder: group 0 agreed 2 of 2 on statement 0, group 1 disagreed.
    const c = loadPolisConversation('mini', { dir });
    assert.equal(c.report.topic, 'Bike lanes');
    assert.equal(c.report.participants, 3);
    assert.equal(c.report.votes, 5);
    assert.deepEqual(c.scored_rows.map((r) => [r.group, r.response_id, r.reward]), [['0', '0', 1], ['0', '1', 0.5], ['1', '0', 0]]);
  } finally {
    await close(server);
  }
});

test('files already present with the right checksum are not downloaded again; a damaged one is', async () => {
  const { server, base, requests } = await serve(FIXTURE);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hpa-fetch-'));
    const manifest = manifestOf(FIXTURE);
    await fetchPolisData({ manifest, baseUrl: base, dir });
    assert.equal(total(requests), 3);
    const again = await fetchPolisData({ manifest, baseUrl: base, dir });
    assert.deepEqual(again.downloaded, []);
    assert.deepEqual(again.present, Object.keys(FIXTURE));
    assert.equal(total(requests), 3, 'no request the second time');
    writeFileSync(join(dir, 'mini/comments.csv'), 'damaged');
    const repaired = await fetchPolisData({ manifest, baseUrl: base, dir });
    assert.deepEqual(repaired.downloaded, ['mini/comments.csv']);
    assert.equal(requests.get(`/${COMMIT}/mini/comments.csv`), 2);
    assert.equal(total(requests), 4);
    assert.equal(readFileSync(join(dir, 'mini/comments.csv'), 'utf8'), FIXTURE['mini/comments.csv']);
  } finally {
    await close(server);
  }
});

test('corrupt file: the error names the file and both checksums, and nothing is left in the cache', async () => {
  const served = { ...FIXTURE, 'mini/comments.csv': 'abc' };
  const { server, base } = await serve(served);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hpa-fetch-'));
    const manifest = manifestOf(FIXTURE);
    const expected = manifest.files[1]!.sha256;
    await assert.rejects(fetchPolisData({ manifest, baseUrl: base, dir }), (err: unknown) => {
      assert.ok(err instanceof PolisDownloadError);
      assert.equal(err.failure, 'checksum');
      assert.match(err.message, /^mini\/comments\.csv \(from http:\/\/127\.0\.0\.1:\d+\/a{40}\/mini\/comments\.csv\)/);
      assert.ok(err.message.includes(`sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad does not match the expected ${expected}`), err.message);
      assert.match(err.message, /3 bytes received, 130 expected/);
      return true;
    });
    // The file checked before it stays; the corrupt one and its temporary file do not; no SOURCE.md.
    assert.deepEqual(readdirSync(join(dir, 'mini')), ['summary.csv']);
    assert.equal(isCompletePolisDownload(dir), false);
  } finally {
    await close(server);
  }
});

test('missing file (HTTP 404): the error names the URL', async () => {
  const { server, base } = await serve(FIXTURE);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hpa-fetch-'));
    const manifest = manifestOf({ ...FIXTURE, 'mini/votes.csv': 'x' });
    await assert.rejects(fetchPolisData({ manifest, baseUrl: `${base}/`, dir }), (err: unknown) => {
      assert.ok(err instanceof PolisDownloadError);
      assert.equal(err.failure, 'http');
      assert.equal(err.message, `${base}/${COMMIT}/mini/votes.csv answered HTTP 404 Not Found (no such file at this commit)`);
      return true;
    });
    assert.equal(existsSync(join(dir, 'mini/votes.csv')), false);
    assert.equal(isCompletePolisDownload(dir), false);
  } finally {
    await close(server);
  }
});

test('unreachable server: the error names the URL and how to place the data by hand', async () => {
  const { server, base } = await serve({});
  await close(server); // the port is now closed: connections are refused
  const dir = mkdtempSync(join(tmpdir(), 'hpa-fetch-'));
  await assert.rejects(fetchPolisData({ manifest: manifestOf(FIXTURE), baseUrl: base, dir }), (err: unknown) => {
    assert.ok(err instanceof PolisDownloadError);
    assert.equal(err.failure, 'network');
    assert.ok(err.message.startsWith(`could not download ${base}/${COMMIT}/mini/summary.csv (ECONNREFUSED)`), err.message);
    assert.ok(err.message.includes(`put each file of the checksum manifest (data/polis-checksums.json) as <conversation>/<file> into ${dir}`), err.message);
    assert.match(err.message, /HPA_POLIS_DIR/);
    return true;
  });
  assert.deepEqual(readdirSync(dir), []);
});

test('HPA_POLIS_BASE_URL sets the base URL when no option does', async () => {
  const { server, base, requests } = await serve(FIXTURE);
  const saved = process.env.HPA_POLIS_BASE_URL;
  try {
    process.env.HPA_POLIS_BASE_URL = base;
    const dir = mkdtempSync(join(tmpdir(), 'hpa-fetch-'));
    const result = await fetchPolisData({ manifest: manifestOf(FIXTURE), dir });
    assert.equal(result.downloaded.length, 3);
    assert.equal(total(requests), 3);
  } finally {
    if (saved === undefined) delete process.env.HPA_POLIS_BASE_URL;
    else process.env.HPA_POLIS_BASE_URL = saved;
    await close(server);
  }
});

test('shipped manifest: the pinned commit, 17 conversations x 3 files, and the cache folder keyed by the commit', () => {
  const manifest = readPolisManifest();
  assert.equal(manifest.commit, '0bc2ce0f32c673f68da20b57bce15c457aa787b5');
  assert.equal(manifest.files.length, 51);
  assert.equal(new Set(manifest.files.map((f) => f.path.split('/')[0])).size, 17);
  // Values recorded in the shared copy's SOURCE.md (checked there against upstream's git blob ids).
  const seattle = manifest.files.find((f) => f.path === '15-per-hour-seattle/summary.csv')!;
  assert.deepEqual(seattle, { path: '15-per-hour-seattle/summary.csv', bytes: 253, sha256: '7d7c5cb5baf3a4e2f81e041fd53eb12eac5837abf2a9c7b98c1cb0e03a4b2921' });
  assert.equal(manifest.files.reduce((s, f) => s + f.bytes, 0), 8_474_674);
  const saved = process.env[DATA_DIR_ENV];
  try {
    process.env[DATA_DIR_ENV] = '/tmp/hpa-data-root';
    assert.equal(polisCacheDir(), `/tmp/hpa-data-root/polis/${manifest.commit}`);
    delete process.env[DATA_DIR_ENV];
    assert.equal(polisCacheDir(), join(__dirname, '..', '.cache', 'polis', manifest.commit));
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = saved;
  }
});

test('a bad manifest is an error naming the file and the entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hpa-manifest-'));
  const file = join(dir, 'm.json');
  const good = manifestOf(FIXTURE);
  writeFileSync(file, JSON.stringify({ ...good, files: [good.files[0], { ...good.files[1], sha256: 'XYZ' }] }));
  assert.throws(() => readPolisManifest(file), new RegExp(`^Error: Polis checksum manifest ${file.replace(/[.]/g, '\\.')}, files\\[1\\] \\(mini/comments\\.csv\\): 'sha256' must be 64 lower-case hex digits, got "XYZ"$`));
  writeFileSync(file, JSON.stringify({ ...good, files: [{ ...good.files[0], path: '../etc/passwd' }] }));
  assert.throws(() => readPolisManifest(file), /files\[0\]: 'path' must be <conversation>\/<file>, got "\.\.\/etc\/passwd"/);
  writeFileSync(file, '{');
  assert.throws(() => readPolisManifest(file), /m\.json: cannot read it as JSON/);
});

const shared = join(__dirname, '..', '..', 'shared', 'data', 'polis_opendata');
test('npm run data -- polis: the real manifest served from the shared copy downloads all 51 files and the loader agrees with the copy', { skip: existsSync(shared) ? false : `${shared} not present` }, async () => {
  const manifest = readPolisManifest();
  const files = Object.fromEntries(manifest.files.map((f) => [f.path, readFileSync(join(shared, f.path))]));
  const { server, base, requests } = await serve(files, manifest.commit);
  try {
    const dir = join(mkdtempSync(join(tmpdir(), 'hpa-fetch-')), 'cache');
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'scripts', 'data.ts'), 'polis', '--base-url', base, '--dir', dir], { encoding: 'utf8' });
    assert.match(run.stdout, /51 downloaded, 0 already present \(all checksums match\)/);
    assert.equal(total(requests), 51);
    for (const f of manifest.files) assert.ok(readFileSync(join(dir, f.path)).equals(readFileSync(join(shared, f.path))), f.path);
    assert.deepEqual(loadPolisConversation('15-per-hour-seattle', { dir }).report, loadPolisConversation('15-per-hour-seattle', { dir: shared }).report);
  } finally {
    await close(server);
  }
});

/**
 * A checkout without ../shared: a copy of the kit's sources in a temporary folder whose shipped
 * manifest is the fixture's, so the data step and the loaders' third choice (the download) are
 * exercised as `npm run reproduce` and a fresh clone would use them.
 */
test('data step in a checkout without ../shared: --if-missing warns and goes on offline, otherwise fails; after a download the loaders use the cache', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hpa-checkout-'));
  if (existsSync(join(root, '..', 'shared', 'data', 'polis_opendata'))) {
    t.skip(`${join(root, '..', 'shared')} exists beside the temporary checkout`);
    return;
  }
  const repo = join(__dirname, '..');
  for (const item of ['src', 'scripts', 'data', 'package.json', 'tsconfig.json']) cpSync(join(repo, item), join(root, item), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  const manifest = manifestOf(FIXTURE);
  writeFileSync(join(root, 'data', 'polis-checksums.json'), JSON.stringify(manifest));
  const env = { ...process.env };
  delete env.HPA_POLIS_DIR;
  delete env.HPA_DATA_DIR;
  const dataStep = (base: string, ...flags: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'data.ts'), 'polis', ...flags], { cwd: root, env: { ...env, HPA_POLIS_BASE_URL: base }, encoding: 'utf8' }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
  const cache = join(root, '.cache', 'polis', COMMIT);

  const offline = await serve({});
  await close(offline.server);
  const warned = await dataStep(offline.base, '--if-missing');
  assert.equal(warned.code, 0, warned.stderr);
  assert.ok(warned.stderr.includes(`WARNING: Polis data is missing and could not be downloaded: could not download ${offline.base}/${COMMIT}/mini/summary.csv (ECONNREFUSED)`), warned.stderr);
  const failed = await dataStep(offline.base);
  assert.equal(failed.code, 1);
  assert.ok(failed.stderr.includes(`could not download ${offline.base}/${COMMIT}/mini/summary.csv (ECONNREFUSED)`), failed.stderr);
  assert.equal(existsSync(cache), false);

  const { server, base, requests } = await serve(FIXTURE);
  try {
    const fetched = await dataStep(base, '--if-missing');
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stdout, new RegExp(`Polis data in ${cache.replace(/[.]/g, '\\.')}: 3 downloaded, 0 already present`));
    assert.equal(total(requests), 3);
    const again = await dataStep(base, '--if-missing');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), `Polis data: ${cache} (already there; nothing downloaded)`, 'the loaders resolve to the complete download');
    assert.equal(total(requests), 3);
  } finally {
    await close(server);
  }
});
