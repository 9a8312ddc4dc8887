// The `latchkey` commands (src/cli/main.ts is the entry point that loads this).
import { ConfigError } from '../config.ts';
import { buildInfo } from '../version.ts';
// Each command's module is imported when it runs: `latchkey start` does not load
// the audit search, the user admin or the email preview (issue #14 item 5).

const USAGE = `Usage: latchkey <command>

Commands:
  start        run migrations, then serve sign-in pages and the JSON API on $PORT
  migrate      apply pending database migrations and exit
  audit        search the audit trail: --request-id ID | --user EMAIL | --type TYPE, --since 1h, --json
  outbox       mail queue status: counts, oldest unsent, failures (--json)
  users        list [--limit N] [--after CURSOR] | find|create|disable|enable EMAIL (disabling revokes every session)
               | reset-second-factor EMAIL (TOTP off, every passkey and the password removed, signed out: only an emailed link signs in)
  sessions     revoke --user EMAIL
  clients      OpenID Connect clients: add --redirect-uri URI [--name N] [--public] [--first-party] | list | remove CLIENT_ID
  keys         OpenID Connect signing keys: rotate (a new key signs; older ones stay in the JWKS until their tokens expire) | list
  preview-email  render every email template with sample data: [--out DIR] [--locale en|de]
  --version    print the version, schema version and build commit

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  switch (command) {
    case 'start':
      await (await import('./start.ts')).start(process.env);
      return -1; // keeps running
    case 'migrate':
      return (await import('./migrate.ts')).migrate(process.env);
    case 'audit':
      return (await import('./audit.ts')).audit(argv.slice(1), process.env, (line) => console.log(line));
    case 'outbox':
      return (await import('./outbox.ts')).outbox(argv.slice(1), process.env, (line) => console.log(line));
    case 'users':
      return (await import('./users.ts')).users(argv.slice(1), process.env, (line) => console.log(line));
    case 'sessions':
      return (await import('./users.ts')).sessions(argv.slice(1), process.env, (line) => console.log(line));
    case 'clients':
      return (await import('./clients.ts')).clients(argv.slice(1), process.env, (line) => console.log(line));
    case 'keys':
      return (await import('./keys.ts')).keys(argv.slice(1), process.env, (line) => console.log(line));
    case 'preview-email':
      return (await import('./preview-email.ts')).previewEmail(argv.slice(1), process.env, (line) => console.log(line));
    case '--version':
    case '-v':
    case 'version':
      {
        const build = buildInfo();
        console.log(`latchkey ${build.version} (schema ${build.schema}, commit ${build.commit})`);
      }
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
  async (error: unknown) => {
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`latchkey: ${error.message}\n${(await import('./audit.ts')).AUDIT_USAGE}`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof ConfigError) {
      console.error(`latchkey: ${error.message}`);
      process.exitCode = 78; // EX_CONFIG
      return;
    }
    // Issue #12: a command that only reads says what went wrong in one line; `start` keeps the stack.
    if (process.argv[2] !== 'start') {
      console.error(`latchkey ${process.argv[2] ?? ''}: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
      return;
    }
    console.error('latchkey: failed to start:', error);
    process.exitCode = 1;
  },
);
