// The processes around a bench's server under test: free ports, the SMTP sink,
// the load generator (bench/load.ts, its own process), readiness and shutdown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import type { LoadResult, LoadSpec } from './load.ts';

const here = import.meta.dirname;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Sink {
  port: number;
  count: () => number;
  close: () => Promise<void>;
}

/** A minimal SMTP sink: accepts and counts; parsing mail here would steal CPU from the server. */
export async function startSink(): Promise<Sink> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received++;
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, count: () => received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Runs a script of bench/ in its own Node process; its first line of output is its answer. */
export function runNode(script: string, argv: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, [join(here, script), ...argv], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline !== -1) resolve(buffer.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before answering`)));
  });
  return { child, firstLine };
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  // Bodies can be tens of thousands of tokens: too big for argv.
  const file = join(mkdtempSync(join(tmpdir(), 'latchkey-load-')), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const { firstLine } = runNode('load.ts', [file]);
  return JSON.parse(await firstLine) as LoadResult;
}

export async function waitReady(url: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`server at ${url} did not become ready`);
}

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  // The grace timer does not keep the bench alive once the child has gone.
  await Promise.race([exited, sleep(graceMs, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
}

/**
 * The V8 flags and environment the `latchkey` bin's first line gives `node`
 * (`#!/usr/bin/env -S NAME=value … node --flag …`), as the kernel and env(1)
 * apply them: read from the file, so what is measured is what users run.
 */
export function binSettings(bin: string): { flags: string[]; env: Record<string, string> } {
  const words = readFileSync(bin, 'utf8').split('\n', 1)[0]!.split(/\s+/);
  const nodeAt = words.indexOf('node');
  return {
    flags: words.slice(nodeAt + 1).filter((word) => word.startsWith('--')),
    env: Object.fromEntries(words.slice(0, nodeAt).filter((word) => /^[A-Z_][A-Z0-9_]*=/.test(word)).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)])),
  };
}
