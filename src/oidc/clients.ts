// The relying parties the operator registers (issue #15), with the standard
// client metadata names (RFC 7591, OIDC Registration) plus `first_party`: read
// from the JSON file LATCHKEY_OIDC_CLIENTS names, validated at start, every
// problem named by client and field.

import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { z } from 'zod';
import { configFailure } from '../config-error.ts';

export interface OidcClient {
  /** What the provider is given: standard metadata, defaults filled in. */
  metadata: ClientMetadata;
  /** The operator's own app: no consent screen. */
  firstParty: boolean;
}

const uri = z.string().min(1).max(2048);

const clientSchema = z.strictObject({
  client_id: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').refine((id) => !id.startsWith('-'), 'must not start with "-" (a command line would read it as an option)'),
  // A shared secret guessed offline is a stolen client: at least 256 bits' worth of characters.
  client_secret: z.string().min(43, 'must be at least 43 characters (e.g. openssl rand -base64 32)').max(512).optional(),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
  redirect_uris: z.array(uri).min(1, 'must list at least one URI').max(20),
  post_logout_redirect_uris: z.array(uri).max(20).optional(),
  client_name: z.string().min(1).max(100).regex(/^[^\r\n<>]+$/, 'must be one line of plain text').optional(),
  backchannel_logout_uri: uri.optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token'])).min(1).optional(),
  response_types: z.array(z.literal('code')).optional(),
  first_party: z.boolean().optional(),
});

type ClientInput = z.infer<typeof clientSchema>;

/** RFC 8252 §7.3: a native app listens on a loopback IP; `localhost` only in development (issue #15). */
export function redirectUriProblem(value: string, production: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.hash) return 'must not have a fragment (RFC 6749 §3.1.2)';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    if (url.hostname === '127.0.0.1' || url.hostname === '[::1]') return null;
    if (url.hostname === 'localhost' && !production) return null;
    return production && url.hostname === 'localhost'
      ? 'http://localhost is allowed only outside production (use https, or http://127.0.0.1 for a native app)'
      : 'must be https (or http on a loopback address for a native app, RFC 8252)';
  }
  return 'must be an https URL';
}

function toClient(input: ClientInput): OidcClient {
  const { first_party: firstParty, ...metadata } = input;
  return {
    firstParty: firstParty ?? false,
    metadata: {
      ...metadata,
      grant_types: metadata.grant_types ?? ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // auth_time in every id_token: a client can judge how recent the sign-in is.
      require_auth_time: true,
      token_endpoint_auth_method: metadata.token_endpoint_auth_method ?? (metadata.client_secret ? 'client_secret_basic' : 'none'),
    },
  };
}

/**
 * One client's metadata checked: the client, or every problem as
 * "field: message". `secretGiven` false: Latchkey makes the secret (admin API,
 * CLI), so a confidential method needs none in the input.
 */
export function checkOidcClient(entry: unknown, production: boolean, secretGiven = true): { ok: true; client: OidcClient } | { ok: false; problems: string[] } {
  const parsed = clientSchema.safeParse(entry);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const field = issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'entry';
        return `${field}: ${issue.message}`;
      }),
    };
  }
  const client = parsed.data;
  const problems: string[] = [];
  const problem = (field: string, message: string) => problems.push(`${field}: ${message}`);
  if (client.token_endpoint_auth_method === 'none' && client.client_secret) problem('client_secret', 'must be absent when token_endpoint_auth_method is "none"');
  if (secretGiven && client.token_endpoint_auth_method && client.token_endpoint_auth_method !== 'none' && !client.client_secret) {
    problem('client_secret', `is required for token_endpoint_auth_method "${client.token_endpoint_auth_method}"`);
  }
  if (client.grant_types && !client.grant_types.includes('authorization_code')) problem('grant_types', 'must include authorization_code');
  for (const [field, uris] of [['redirect_uris', client.redirect_uris], ['post_logout_redirect_uris', client.post_logout_redirect_uris ?? []]] as const) {
    uris.forEach((value, i) => {
      const wrong = redirectUriProblem(value, production);
      if (wrong) problem(`${field}[${i}]`, wrong);
    });
  }
  if (client.backchannel_logout_uri) {
    const url = URL.parse(client.backchannel_logout_uri);
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) problem('backchannel_logout_uri', 'must be an http(s) URL');
    else if (url.hash) problem('backchannel_logout_uri', 'must not have a fragment (Back-Channel Logout 1.0 §2.2)');
    else if (url.protocol !== 'https:' && production) problem('backchannel_logout_uri', 'must be https in production');
  }
  return problems.length ? { ok: false, problems } : { ok: true, client: toClient(client) };
}

/** Validates the parsed JSON; throws a ConfigError listing every problem by client and field. */
export function parseOidcClients(value: unknown, production: boolean, source = 'LATCHKEY_OIDC_CLIENTS'): OidcClient[] {
  if (!Array.isArray(value)) configFailure([`${source}: must be a JSON array of client objects`]);
  const problems: string[] = [];
  const clients: OidcClient[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const named = (entry as { client_id?: unknown } | null)?.client_id;
    const label = `${source}: client ${typeof named === 'string' ? `"${named.slice(0, 60)}"` : `#${index + 1}`}`;
    if (typeof named === 'string' && seen.has(named)) problems.push(`${label}: client_id: is listed twice`);
    if (typeof named === 'string') seen.add(named);
    const checked = checkOidcClient(entry, production);
    if (checked.ok) clients.push(checked.client);
    else problems.push(...checked.problems.map((line) => `${label}: ${line}`));
  });
  if (problems.length) configFailure(problems);
  return clients;
}

/** Reads and validates the file LATCHKEY_OIDC_CLIENTS names. */
export function loadOidcClients(path: string, production: boolean): OidcClient[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    configFailure([`LATCHKEY_OIDC_CLIENTS: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    configFailure([`LATCHKEY_OIDC_CLIENTS: ${path} is not JSON (${(error as Error).message})`]);
  }
  return parseOidcClients(value, production);
}
