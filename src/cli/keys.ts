// `latchkey keys rotate | list`: the OpenID Connect provider's signing keys
// (issue #15 item 7), straight on the store (same code: oidc/keys.ts). Rotate
// adds the next key, which signs from then on (running instances pick it up
// within a minute); older keys stay in the JWKS until the tokens they signed
// have expired. Keys are sealed with a key derived from LATCHKEY_SECRET, so run
// this with the server's environment.
import { auditEvent } from '../core/audit.ts';
import { deriveKey } from '../core/crypto.ts';
import { nodeRandom } from '../core/random.ts';
import { resolveConfig } from '../config.ts';
import { publishedKeys, RETIRED_KEY_KEPT_MS, rotateSigningKey } from '../oidc/keys.ts';
import type { Store } from '../store/store.ts';
import { openExistingStore } from './store.ts';

export const KEYS_USAGE = `Usage: latchkey keys rotate
       latchkey keys list`;

const CLI_CONTEXT = { requestId: null, ip: null, userAgent: 'latchkey-cli' };

/** The command on an open store (tests call it with theirs). */
export async function keysOn(store: Store, action: 'rotate' | 'list', secret: string, now: () => number, out: (line: string) => void): Promise<number> {
  if (action === 'rotate') {
    const kid = await rotateSigningKey({ store, sealKey: deriveKey(secret, 'oidc-seal'), now, random: nodeRandom });
    if (kid === null) {
      console.error('latchkey keys: another rotation added the same generation at the same time; run `latchkey keys list`');
      return 1;
    }
    await store.appendAudit([auditEvent(CLI_CONTEXT, { type: 'oidc.keys_rotated', outcome: 'success', at: now(), reason: kid })]);
    out(`new signing key ${kid}: it signs from now on (running instances pick it up within a minute)`);
    out(`older keys stay in the JWKS for ${Math.round(RETIRED_KEY_KEPT_MS / 60_000)} minutes, until what they signed has expired`);
    return 0;
  }
  const stored = await store.listOidcSigningKeys();
  const published = new Set(publishedKeys(stored, now()).map((key) => key.kid));
  if (stored.length === 0) out('no signing keys yet (the first is made when the provider starts)');
  stored.forEach((key, i) => {
    const state = i === 0 ? 'signing' : published.has(key.kid) ? 'published (retiring)' : 'retired';
    out(`${key.kid}  generation ${key.generation}  ${key.alg}  created ${new Date(key.createdAt).toISOString()}  ${state}`);
  });
  return 0;
}

export async function keys(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const [action, ...rest] = argv;
  if ((action !== 'rotate' && action !== 'list') || rest.length > 0) {
    console.error(KEYS_USAGE);
    return 2;
  }
  const config = resolveConfig({}, env);
  const { store } = await openExistingStore(env);
  try {
    return await keysOn(store, action, config.secret, Date.now, out);
  } finally {
    await store.close();
  }
}
