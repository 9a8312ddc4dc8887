#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=65536 node --max-semi-space-size=4 --heap-growing-percent=100
// The `latchkey` command: start the server, run migrations, read the audit trail
// and the outbox, print the version (src/cli/commands.ts).
// --max-semi-space-size=4 (MiB): V8's default young generation grows to ~100 MB
// under a burst of requests; capped, peak RSS drops by about 60 MB at the same
// throughput (bench/run.ts). --heap-growing-percent=100: V8 lets the old
// generation grow to up to 4x what survived the last full collection before the
// next one (~85 MB of heap for ~25 MB live under 50 connections of sign-in
// requests); at 2x the peak RSS of the full bench stays under 200 MB (194 MB
// measured), while 1.5x (=50: 174 MB) cost up to a quarter more CPU per
// verified link in more full collections (bench, 2026-12-06). The two must be
// command-line flags (package.json's start script passes them too; the bench
// and the memory test read them from this line): V8 ignores them later. The MALLOC_* settings (glibc's; ignored
// elsewhere): at most two allocator pools instead of one per thread (V8's
// compiler threads left freed memory in theirs after startup), and freed memory
// at a pool's top handed back from 64 KiB: 1–2 MB less idle RSS (80.4–81.0 →
// 78.7–79.5 MB, interleaved starts).
// Maglev is not turned off for startup instead: turned on again at run time,
// V8 compiled with it on the main thread and sent about twice as many functions
// to Turbofan, 2.5x the instructions per sign-in request (issue #13, bench).
import * as nodeModule from 'node:module';

// Installed globally or run by a service manager, the bin gets whichever `node`
// is first on PATH: an older one would fail on an import with a message that
// names neither Latchkey nor the Node version it needs.
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
if (NODE_MAJOR < 24) {
  console.error(`latchkey: needs Node.js 24 or newer; ${process.execPath} is ${process.version}`);
  process.exit(1);
}

// Node's on-disk compile cache (under os.tmpdir(), or NODE_COMPILE_CACHE) keeps
// the type-stripped source and V8 code of every module: from the second start on,
// Node neither loads its TypeScript stripper (a WebAssembly compiler, ~20 MB of
// RSS) nor compiles our modules again. Only for the TypeScript sources: for the
// compiled dist/ it saves no stripper and costs 2–3 MB of idle RSS (its eagerly
// deserialised code), issue #14 item 5. Enabled before anything else is imported.
if (import.meta.url.endsWith('.ts')) nodeModule.enableCompileCache();
await import('./commands.ts');
