#!/usr/bin/env node
// The `latchkey` command: start the server, run migrations, print the version.
import { ConfigError } from '../config.ts';
import { VERSION } from '../version.ts';
import { migrate } from './migrate.ts';
import { start } from './start.ts';

const USAGE = `Usage: latchkey <command>

Commands:
  start        run migrations, then serve sign-in pages and the JSON API on $PORT
  migrate      apply pending database migrations and exit
  --version    print the version

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  switch (command) {
    case 'start':
      await start(process.env);
      return -1; // keeps running
    case 'migrate':
      return migrate(process.env);
    case '--version':
    case '-v':
    case 'version':
      console.log(VERSION);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`latchkey: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`latchkey: ${error.message}`);
      process.exitCode = 78; // EX_CONFIG
      return;
    }
    console.error('latchkey: failed to start:', error);
    process.exitCode = 1;
  },
);
