// The OpenID Connect provider's storage (issue #15) as an attacker would probe
// it: a code is consumed once however many redemptions race, nothing is found
// after it expires or its grant is revoked, and instances starting together
// agree on one first signing key.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { OidcRecord, OidcSigningKey } from '../oidc-store.ts';
import { event, hash, MINUTE, T0, type StoreTest } from './fixtures.ts';

function record(fields: Partial<OidcRecord> = {}): OidcRecord {
  return {
    model: 'AuthorizationCode',
    idHash: hash(),
    payload: JSON.stringify({ kind: 'AuthorizationCode', accountId: 'u1', clientId: 'app' }),
    grantId: 'grant-1',
    clientId: 'app',
    accountId: 'u1',
    uid: null,
    userCodeHash: null,
    expiresAt: T0 + MINUTE,
    ...fields,
  };
}

function signingKey(generation: number): OidcSigningKey {
  return { kid: hash(), generation, alg: 'RS256', createdAt: T0, sealedJwk: `sealed:${hash()}` };
}

export function oidcCases(test: StoreTest): void {
  describe('OpenID Connect provider records', () => {
    test('a record reads back by model and id hash until it expires; another model or hash finds nothing', async (store) => {
      const code = record();
      await store.upsertOidcRecord(code);
      assert.deepEqual(await store.findOidcRecord('AuthorizationCode', code.idHash, T0), { payload: code.payload, consumedAt: null });
      assert.equal(await store.findOidcRecord('AccessToken', code.idHash, T0), null);
      assert.equal(await store.findOidcRecord('AuthorizationCode', hash(), T0), null);
      assert.equal(await store.findOidcRecord('AuthorizationCode', code.idHash, T0 + MINUTE), null, 'expired at expiresAt');
    });

    test('a record without expiry lives; upsert replaces the payload but never un-consumes', async (store) => {
      const grant = record({ model: 'Grant', expiresAt: null, grantId: null });
      await store.upsertOidcRecord(grant);
      assert.ok(await store.findOidcRecord('Grant', grant.idHash, Number.MAX_SAFE_INTEGER - 1));
      assert.equal(await store.consumeOidcRecord('Grant', grant.idHash, T0), true);
      await store.upsertOidcRecord({ ...grant, payload: '{"v":2}' });
      assert.deepEqual(await store.findOidcRecord('Grant', grant.idHash, T0), { payload: '{"v":2}', consumedAt: T0 });
    });

    test('of racing redemptions of one code exactly one consumes it; the record then says when', async (store) => {
      const code = record();
      await store.upsertOidcRecord(code);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.consumeOidcRecord('AuthorizationCode', code.idHash, T0 + i)));
      assert.equal(results.filter(Boolean).length, 1);
      const consumedAt = (await store.findOidcRecord('AuthorizationCode', code.idHash, T0))?.consumedAt;
      assert.equal(consumedAt, T0 + results.indexOf(true));
      assert.equal(await store.consumeOidcRecord('AuthorizationCode', hash(), T0), false);
    });

    test('destroy and grant revocation remove what they name and nothing else', async (store) => {
      const [a, b, other] = [record(), record({ model: 'AccessToken' }), record({ grantId: 'grant-2' })];
      for (const r of [a, b, other]) await store.upsertOidcRecord(r);
      assert.equal(await store.revokeOidcGrant('AuthorizationCode', 'grant-1'), 1);
      assert.equal(await store.findOidcRecord('AuthorizationCode', a.idHash, T0), null);
      assert.ok(await store.findOidcRecord('AccessToken', b.idHash, T0), 'another model of the grant is revoked by its own call');
      assert.ok(await store.findOidcRecord('AuthorizationCode', other.idHash, T0));
      assert.equal(await store.destroyOidcRecord('AccessToken', b.idHash), true);
      assert.equal(await store.destroyOidcRecord('AccessToken', b.idHash), false);
      assert.equal(await store.findOidcRecord('AccessToken', b.idHash, T0), null);
    });

    test('a session is found by its uid and a device code by its user code hash, only while alive', async (store) => {
      const session = record({ model: 'Session', uid: 'uid-1', grantId: null, expiresAt: T0 + 10 * MINUTE });
      const device = record({ model: 'DeviceCode', userCodeHash: hash() });
      await store.upsertOidcRecord(session);
      await store.upsertOidcRecord(device);
      assert.deepEqual(await store.findOidcRecordByUid('Session', 'uid-1', T0), { idHash: session.idHash, payload: session.payload, consumedAt: null });
      assert.equal(await store.findOidcRecordByUid('Session', 'uid-2', T0), null);
      assert.equal(await store.findOidcRecordByUid('Session', 'uid-1', T0 + 10 * MINUTE), null);
      assert.equal((await store.findOidcRecordByUserCode('DeviceCode', device.userCodeHash!, T0))?.idHash, device.idHash);
      assert.equal(await store.findOidcRecordByUserCode('DeviceCode', hash(), T0), null);
    });

    test("an account's live grants are listed by client; revoking an app deletes that account's records of it and nothing else", async (store) => {
      const grant = (clientId: string, accountId: string, expiresAt: number | null = null) =>
        record({ model: 'Grant', clientId, accountId, grantId: null, expiresAt, payload: `${clientId}:${accountId}` });
      const [wiki, chat, expired, someoneElse] = [grant('wiki', 'u1'), grant('chat', 'u1'), grant('old', 'u1', T0), grant('wiki', 'u2')];
      const [wikiToken, othersToken, session] = [
        record({ model: 'RefreshToken', clientId: 'wiki' }),
        record({ model: 'AccessToken', clientId: 'wiki', accountId: 'u2' }),
        record({ model: 'Session', clientId: null, grantId: null }),
      ];
      for (const r of [wiki, chat, expired, someoneElse, wikiToken, othersToken, session]) await store.upsertOidcRecord(r);
      assert.deepEqual(await store.listOidcGrants('u1', T0), [
        { clientId: 'chat', payload: 'chat:u1' },
        { clientId: 'wiki', payload: 'wiki:u1' },
      ]);
      assert.equal(await store.revokeOidcAccess('u1', 'wiki', [event('oidc.access_revoked', { reason: 'wiki' })]), 2);
      assert.equal(await store.findOidcRecord('RefreshToken', wikiToken.idHash, T0), null);
      assert.ok(await store.findOidcRecord('AccessToken', othersToken.idHash, T0), "another account's token of the app stays");
      assert.ok(await store.findOidcRecord('Session', session.idHash, T0), 'the sign-in session stays');
      assert.deepEqual((await store.listOidcGrants('u1', T0)).map((g) => g.clientId), ['chat']);
      assert.equal(await store.revokeOidcAccess('u1', 'wiki', [event('oidc.access_revoked', { reason: 'wiki' })]), 0);
      assert.deepEqual((await store.listAudit({})).map((e) => e.type), ['oidc.access_revoked'], 'one event: the second revoke found nothing');
    });

    test("an account's apps are the clients of its live records, each once, whatever the model", async (store) => {
      const of = (clientId: string | null, accountId: string | null, model = 'Grant', expiresAt: number | null = null) =>
        record({ model, clientId, accountId, grantId: null, expiresAt });
      for (const r of [
        of('wiki', 'u1'),
        of('wiki', 'u1', 'RefreshToken'),
        of('chat', 'u1', 'AccessToken', T0 + MINUTE),
        of('old', 'u1', 'Grant', T0),
        of('mail', 'u2'),
        of(null, 'u1', 'Session'),
      ]) {
        await store.upsertOidcRecord(r);
      }
      assert.deepEqual(await store.listOidcClientsOfAccount('u1', T0), ['chat', 'wiki']);
      assert.deepEqual(await store.listOidcClientsOfAccount('u1', T0 + MINUTE), ['wiki'], 'an expired token names no app');
      assert.deepEqual(await store.listOidcClientsOfAccount('nobody', T0), []);
    });

    test('pruning deletes expired records only', async (store) => {
      const [old, fresh, forever] = [record({ expiresAt: T0 }), record({ expiresAt: T0 + MINUTE }), record({ expiresAt: null })];
      for (const r of [old, fresh, forever]) await store.upsertOidcRecord(r);
      assert.equal(await store.pruneOidcRecords(T0), 1);
      assert.ok(await store.findOidcRecord('AuthorizationCode', fresh.idHash, T0));
      assert.ok(await store.findOidcRecord('AuthorizationCode', forever.idHash, T0));
    });

    test('the account of a token is found while it exists and is enabled', async (store) => {
      const user = await store.createUser({ id: 'u-oidc', email: 'ada@example.com', now: T0 }, []);
      assert.ok(user);
      assert.equal((await store.findOidcAccount('u-oidc'))?.email, 'ada@example.com');
      assert.equal(await store.findOidcAccount('nobody'), null);
      await store.setUserDisabled('u-oidc', T0 + MINUTE, T0 + MINUTE, []);
      assert.equal(await store.findOidcAccount('u-oidc'), null);
    });

    test('a registered client reads back; its id is taken once; removing it removes its grants, codes and tokens, and says so in the trail', async (store) => {
      const client = { clientId: 'app', metadata: '{"redirect_uris":["https://app.example/cb"]}', secretSealed: `sealed:${hash()}`, firstParty: true, createdAt: T0 };
      assert.equal(await store.addOidcClient(client, [event('oidc.client_added', { reason: 'cli' })]), true);
      assert.equal(await store.addOidcClient({ ...client, secretSealed: null }, [event('oidc.client_added', { reason: 'cli' })]), false);
      const pub = { ...client, clientId: 'pub', secretSealed: null, firstParty: false };
      await store.addOidcClient(pub, []);
      assert.deepEqual(await store.findOidcClient('app'), client);
      assert.deepEqual(await store.listOidcClients(), [client, pub]);
      assert.equal(await store.findOidcClient('nope'), null);
      const [mine, other] = [record(), record({ clientId: 'pub' })];
      await store.upsertOidcRecord(mine);
      await store.upsertOidcRecord(other);
      assert.equal(await store.removeOidcClient('app', [event('oidc.client_removed', { reason: 'cli' })]), true);
      assert.equal(await store.removeOidcClient('app', [event('oidc.client_removed', { reason: 'cli' })]), false);
      assert.equal(await store.findOidcClient('app'), null);
      assert.equal(await store.findOidcRecord('AuthorizationCode', mine.idHash, T0), null);
      assert.ok(await store.findOidcRecord('AuthorizationCode', other.idHash, T0));
      assert.deepEqual((await store.listAudit({})).map((e) => e.type).sort(), ['oidc.client_added', 'oidc.client_removed']);
    });

    test('instances starting together agree on one first signing key; keys list newest generation first', async (store) => {
      assert.deepEqual(await store.listOidcSigningKeys(), []);
      const racers = [signingKey(1), signingKey(1), signingKey(1), signingKey(1)];
      const added = await Promise.all(racers.map((k) => store.addOidcSigningKey(k)));
      assert.equal(added.filter(Boolean).length, 1);
      const winner = racers[added.indexOf(true)];
      assert.deepEqual(await store.listOidcSigningKeys(), [winner]);
      const next = signingKey(2);
      assert.equal(await store.addOidcSigningKey(next), true);
      assert.deepEqual((await store.listOidcSigningKeys()).map((k) => k.kid), [next.kid, winner!.kid]);
    });
  });
}
