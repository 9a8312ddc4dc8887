// `latchkey users list [--limit N] [--after CURSOR]`, `latchkey users find|create|disable|enable EMAIL`,
// `latchkey users reset-second-factor EMAIL` and
// `latchkey sessions revoke --user EMAIL`: the admin API's account actions,
// straight on the store (same code: core/admin.ts), audited with reason "cli". Disabling, resetting and
// revoking send the account's apps a back-channel logout token from this process (cli/apps-logout.ts).
import { parseArgs } from 'node:util';
import { createAdmin, USER_PAGE_MAX } from '../core/admin.ts';
import { nodeRandom } from '../core/random.ts';
import { resetSecondFactor } from '../core/second-factor-reset.ts';
import type { User } from '../core/types.ts';
import { cliAppsLogout } from './apps-logout.ts';
import { openCliNotices } from './notices.ts';
import { openExistingStore } from './store.ts';

export const USERS_USAGE = `Usage: latchkey users list [--limit N] [--after CURSOR] [--json]
       latchkey users find|create|disable|enable EMAIL [--json]
       latchkey users reset-second-factor EMAIL [--json]
       latchkey sessions revoke --user EMAIL`;

const CLI_CONTEXT = { requestId: null, ip: null, userAgent: 'latchkey-cli' };

function describe(user: User): string {
  return `${user.email}  id ${user.id}  ${user.disabled ? 'DISABLED' : 'active'}  ${user.emailVerified ? 'verified' : 'unverified'}  created ${new Date(user.createdAt).toISOString()}`;
}

export async function users(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, limit: { type: 'string' }, after: { type: 'string' } },
    allowPositionals: true,
  });
  const [action, email] = positionals;
  if (action === 'list' && positionals.length === 1) return list(env, values, out);
  if (action === 'reset-second-factor' && email && positionals.length === 2) return reset(env, email, values.json === true, out);
  if (!action || !email || !['find', 'create', 'disable', 'enable'].includes(action)) {
    console.error(USERS_USAGE);
    return 2;
  }
  const { store } = await openExistingStore(env);
  try {
    const admin = createAdmin({ store, now: Date.now, random: nodeRandom, appsLogout: cliAppsLogout(env, store, console.error) });
    const result =
      action === 'find'
        ? await admin.find(email)
        : action === 'create'
          ? await admin.create(email, 'cli', CLI_CONTEXT)
          : await admin.setDisabled(email, action === 'disable', 'cli', CLI_CONTEXT);
    if (!result.ok) {
      console.error(`latchkey users: ${result.code === 'not_found' ? `no account for ${email}` : `"${email}" is not a valid address`}`);
      return 1;
    }
    const user = 'user' in result.value ? result.value.user : result.value;
    if (values.json) out(JSON.stringify(result.value));
    else {
      out(describe(user));
      if ('created' in result.value) out(result.value.created ? 'created' : 'already existed');
      if ('changed' in result.value) {
        out(result.value.changed ? (action === 'disable' ? 'disabled; every session revoked' : 'enabled') : `already ${action}d`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** The recovery path (core/second-factor-reset.ts): afterwards an emailed link signs the person in alone. */
async function reset(env: Record<string, string | undefined>, email: string, json: boolean, out: (line: string) => void): Promise<number> {
  const { store } = await openExistingStore(env);
  try {
    const notices = await openCliNotices(env, store);
    try {
      const result = await resetSecondFactor(
        { store, now: Date.now, securityNotices: notices.securityNotices, appsLogout: cliAppsLogout(env, store, console.error) },
        email, 'cli', CLI_CONTEXT);
      if (!result.ok) {
        console.error(`latchkey users: ${result.code === 'not_found' ? `no account for ${email}` : `"${email}" is not a valid address`}`);
        return 1;
      }
      const { user, totpRemoved, passkeysRemoved, passwordRemoved, sessionsRevoked } = result.value;
      if (json) out(JSON.stringify(result.value));
      else {
        out(describe(user));
        out(`second factors reset: TOTP ${totpRemoved ? 'turned off, recovery codes deleted' : 'was off'}; ${passkeysRemoved} passkey(s) removed; ` +
          `${sessionsRevoked} session(s) revoked; password ${passwordRemoved ? 'removed' : 'was not set'}; apps signed out; a security notice is queued to ${user.email}`);
        out('an emailed link now signs this account in alone');
      }
      return 0;
    } finally {
      await notices.close();
    }
  } finally {
    await store.close();
  }
}

/** Issue #12: `users list` printed the usage; a page of accounts, and the command for the next page. */
async function list(env: Record<string, string | undefined>, values: { json?: boolean; limit?: string; after?: string }, out: (line: string) => void): Promise<number> {
  const { store } = await openExistingStore(env);
  try {
    const page = await createAdmin({ store, now: Date.now, random: nodeRandom }).list({ limit: values.limit, cursor: values.after });
    if (!page.ok) {
      console.error(`latchkey users list: --limit takes a whole number from 1 to ${USER_PAGE_MAX}, --after the cursor a page printed\n${USERS_USAGE}`);
      return 2;
    }
    const { users: found, nextCursor } = page.value;
    if (values.json) {
      out(JSON.stringify({ users: found, nextCursor }));
      return 0;
    }
    for (const user of found) out(describe(user));
    if (found.length === 0) out(values.after ? 'no more accounts' : 'no accounts yet');
    if (nextCursor) out(`more: latchkey users list${values.limit ? ` --limit ${values.limit}` : ''} --after ${nextCursor}`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function sessions(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, options: { user: { type: 'string' } }, allowPositionals: true });
  if (positionals[0] !== 'revoke' || !values.user) {
    console.error(USERS_USAGE);
    return 2;
  }
  const { store } = await openExistingStore(env);
  try {
    const admin = createAdmin({ store, now: Date.now, random: nodeRandom, appsLogout: cliAppsLogout(env, store, console.error) });
    const result = await admin.revokeSessions(values.user, 'cli', CLI_CONTEXT);
    if (!result.ok) {
      console.error(`latchkey sessions: ${result.code === 'not_found' ? `no account for ${values.user}` : `"${values.user}" is not a valid address`}`);
      return 1;
    }
    out(`revoked ${result.value.revoked} session(s) of ${values.user}`);
    return 0;
  } finally {
    await store.close();
  }
}
