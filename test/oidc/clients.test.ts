// The clients file (LATCHKEY_OIDC_CLIENTS): defaults as the issue says, and
// every mistake named by client and field before the server starts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config-error.ts';
import { loadOidcClients, parseOidcClients } from '../../src/oidc/clients.ts';
import { clientsFile } from './harness.ts';

const SECRET = 's'.repeat(43);

function problems(value: unknown, production = false): string {
  try {
    parseOidcClients(value, production);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('accepted');
}

describe('OIDC clients file', () => {
  it('fills in the defaults: code flow with refresh, secret_basic with a secret, none without', () => {
    const [confidential, pub] = parseOidcClients(
      [
        { client_id: 'wiki', client_secret: SECRET, redirect_uris: ['https://wiki.example.com/cb'], first_party: true },
        { client_id: 'cli', redirect_uris: ['http://127.0.0.1/cb'] },
      ],
      true,
    );
    assert.equal(confidential!.firstParty, true);
    assert.deepEqual(confidential!.metadata.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(confidential!.metadata.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(pub!.firstParty, false);
    assert.equal(pub!.metadata.token_endpoint_auth_method, 'none');
    assert.equal('first_party' in pub!.metadata, false, 'first_party is ours, not client metadata');
  });

  it('refuses a client id a command line would read as an option', () => {
    assert.match(problems([{ client_id: '-rf', redirect_uris: ['https://app.example/cb'] }]), /client_id: must not start with "-"/);
  });

  it('names the client and the field of every problem, all at once', () => {
    const message = problems([
      { client_id: 'wiki', client_secret: 'short', redirect_uris: ['http://wiki.example.com/cb'] },
      { client_id: 'cli', redirect_uris: ['https://x.example/cb#frag'], token_endpoint_auth_method: 'client_secret_post' },
      { client_id: 'cli', redirect_uris: [] },
      { client_id: 'odd', redirect_uris: ['https://x.example/cb'], colour: 'blue' },
    ]);
    assert.match(message, /client "wiki": client_secret: must be at least 43 characters/);
    assert.match(message, /client "cli": redirect_uris\[0\]: must not have a fragment/);
    assert.match(message, /client "cli": client_secret: is required for token_endpoint_auth_method "client_secret_post"/);
    assert.match(message, /client "cli": redirect_uris: must list at least one URI/);
    assert.match(message, /client "odd": colour:/);
  });

  it('https only, but loopback for native apps (RFC 8252), and http://localhost only outside production', () => {
    const client = (uri: string) => [{ client_id: 'app', redirect_uris: [uri] }];
    for (const uri of ['https://app.example/cb', 'http://127.0.0.1:8400/cb', 'http://[::1]/cb']) parseOidcClients(client(uri), true);
    parseOidcClients(client('http://localhost:5173/cb'), false);
    assert.match(problems(client('http://localhost:5173/cb'), true), /redirect_uris\[0\]: http:\/\/localhost is allowed only outside production/);
    assert.match(problems(client('http://app.example/cb')), /redirect_uris\[0\]: must be https/);
    assert.match(problems(client('javascript:alert(1)')), /redirect_uris\[0\]: must be an https URL/);
  });

  it('a file that is missing, not JSON, or not an array says so', () => {
    assert.throws(() => loadOidcClients('/nonexistent/clients.json', false), /LATCHKEY_OIDC_CLIENTS: cannot read \/nonexistent\/clients.json \(ENOENT\)/);
    const path = clientsFile();
    writeFileSync(path, '{ nope');
    assert.throws(() => loadOidcClients(path, false), /LATCHKEY_OIDC_CLIENTS: .* is not JSON/);
    writeFileSync(path, '{}');
    assert.throws(() => loadOidcClients(path, false), /must be a JSON array/);
  });
});
