// `npm run bench:instructions [-- --checkout DIR] [-- --only NAME] [-- --warmup N] [-- --requests N] [-- --connections N]`
// (BENCH_FLAGS="--a-v8-flag ..." adds Node flags to the server under test.)
//
// Instructions per request, counted by valgrind's callgrind over the whole
// server process (every thread: the JIT compilers, the garbage collector,
// SQLite's checkpointer), not seconds. The count of one build on one input
// hardly moves with the machine's load, so a change's cost can be judged on a
// shared machine whose wall-clock ceiling moves 2x within the hour (issue #13).
// Each scenario: a fresh server in production mode under callgrind, N warm-up
// requests, the counters zeroed, then the measured requests, the counters
// dumped. `--checkout DIR` measures another checkout of Latchkey (a git
// worktree of an older commit) with its own server, seeder and bin flags, on
// the same scenarios and load generator: run it beside this one and compare.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../src/store/store.ts';
import { binSettings, freePort, load, startSink, stopChild, waitReady } from './processes.ts';
import { accessRulesFile, LATCHKEY_SCENARIOS, productionEnv, type SeedSource } from './scenarios.ts';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const checkout = resolve(option('--checkout') ?? join(import.meta.dirname, '..'));
const only = option('--only');
const WARMUP = Number(option('--warmup') ?? 2000);
const REQUESTS = Number(option('--requests') ?? 2000);
const CONNECTIONS = Number(option('--connections') ?? 50);

/** The checkout's own server: its compiled bin when it has a bench/server-source.ts that finds one, else its bench/server.ts. */
async function serverScript(): Promise<string[]> {
  const source = join(checkout, 'bench/server-source.ts');
  if (existsSync(source)) return ((await import(pathToFileURL(source).href)) as { serverArgs: () => string[] }).serverArgs();
  return [join(checkout, 'bench/server.ts')];
}

/** The total of a callgrind dump (its `totals:` line, else `summary:`): instructions executed. */
function totalOf(file: string): number | null {
  const text = readFileSync(file, 'utf8');
  const line = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
  return line ? Number(line[1]) : null;
}

/** Asks the running callgrind to zero or dump its counters; vgdb finds the process by the USER and HOST it was started with. */
function callgrindControl(flag: '-z' | '-d', pid: number, env: NodeJS.ProcessEnv): void {
  execFileSync('callgrind_control', [flag, String(pid)], { env: { ...process.env, HOST: env.HOST, USER: env.USER }, stdio: 'ignore' });
}

async function dumpedTotal(dir: string, before: Set<string>): Promise<number> {
  for (let i = 0; i < 600; i++) {
    for (const name of readdirSync(dir).filter((n) => /^callgrind\.out\.\d+$/.test(n) && !before.has(n))) {
      const total = totalOf(join(dir, name));
      if (total !== null) return total;
    }
    await sleep(500);
  }
  throw new Error('callgrind wrote no dump');
}

interface Count {
  scenario: string;
  warmup: number;
  requests: number;
  errors: number;
  instructionsPerRequest: number;
}

/** Where the server under test finds its database, mail sink, secret and access rules: the same for every scenario. */
interface Setting {
  seeder: SeedSource;
  databaseUrl: string;
  secret: string;
  sinkPort: number;
  accessRules: string;
}

async function measure(scenario: (typeof LATCHKEY_SCENARIOS)[number], { seeder, databaseUrl, secret, sinkPort, accessRules }: Setting): Promise<Count | null> {
  const out = mkdtempSync(join(tmpdir(), 'latchkey-callgrind-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const bin = binSettings(join(checkout, 'src/cli/main.ts'));
  const env = { ...productionEnv({ port, databaseUrl, sinkPort, secret, accessRules }), ...bin.env, USER: process.env.USER ?? 'root' };
  const valgrind = ['--tool=callgrind', `--callgrind-out-file=${join(out, 'callgrind.out')}`, '--dump-instr=no', `--log-file=${join(out, 'valgrind.log')}`];
  // BENCH_FLAGS="--a-v8-flag ..." adds Node flags after the bin's own (later ones win): for experiments, as in run.ts.
  const extra = process.env.BENCH_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn('valgrind', [...valgrind, process.execPath, ...bin.flags, ...extra, ...(await serverScript())], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitReady(url, 600_000);
    // The rows a run consumes are seeded before it: seeding is not the server's work.
    const prepared = async (amount: number) => ({ ...(await scenario.prepare(url, seeder, amount)), connections: CONNECTIONS, durationSeconds: 0, amount });
    const warm = await load(await prepared(WARMUP));
    if (warm.errors === warm.total) {
      process.stderr.write(`  ${scenario.name}: every warm-up request refused (not in this build?), skipped\n`);
      return null;
    }
    const spec = await prepared(REQUESTS);
    callgrindControl('-z', child.pid!, env);
    const before = new Set(readdirSync(out));
    const measured = await load(spec);
    callgrindControl('-d', child.pid!, env);
    const total = await dumpedTotal(out, before);
    return { scenario: scenario.name, warmup: warm.total, requests: measured.total, errors: measured.errors, instructionsPerRequest: Math.round(total / measured.total) };
  } finally {
    await stopChild(child, 60_000);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const commit = execFileSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const secret = randomBytes(32).toString('base64url');
  const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-instructions-')), 'bench.db')}`;
  // The checkout's own store and seeder write the rows its server reads (its schema, its token format).
  const { openStore } = (await import(pathToFileURL(join(checkout, 'src/store/open.ts')).href)) as { openStore: (url: string) => Promise<Store> };
  const { Seeder } = (await import(pathToFileURL(join(checkout, 'bench/seed.ts')).href)) as { Seeder: new (store: Store, secret: string) => SeedSource };
  const store = await openStore(databaseUrl);
  await store.migrate();
  const seeder = new Seeder(store, secret);
  const sink = await startSink();
  const setting: Setting = { seeder, databaseUrl, secret, sinkPort: sink.port, accessRules: accessRulesFile() };
  const counts: Count[] = [];
  try {
    for (const scenario of LATCHKEY_SCENARIOS.filter((s) => !only || s.name.includes(only))) {
      const count = await measure(scenario, setting);
      if (count) counts.push(count);
      if (count) process.stderr.write(`  ${scenario.name}: ${(count.instructionsPerRequest / 1e6).toFixed(3)} M instructions/request (${Math.round((Date.now() - started) / 1000)} s)\n`);
    }
  } finally {
    await store.close();
    await sink.close();
  }
  const report = { date: new Date().toISOString(), checkout, commit, node: process.version, store: 'sqlite (WAL)', connections: CONNECTIONS, counts, elapsedSeconds: Math.round((Date.now() - started) / 1000) };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  const file = join(import.meta.dirname, 'results', `${report.date.replace(/[:.]/g, '-')}-instructions-${commit}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nLatchkey at ${commit} (${checkout}): instructions per request under callgrind, whole server process, ${CONNECTIONS} connections, Node ${process.version}, SQLite`);
  console.log('| scenario | warm-up requests | measured requests | errors | instructions/request (M) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const c of counts) console.log(`| ${c.scenario} | ${c.warmup} | ${c.requests} | ${c.errors} | ${(c.instructionsPerRequest / 1e6).toFixed(3)} |`);
  console.log(`results: ${file}; ${report.elapsedSeconds}s`);
}

await main();
