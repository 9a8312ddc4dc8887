// The Store's logic, written once (issue #13): every aggregate's methods over
// one backend's driver. A backend adds only its lifecycle (migrate, ping, close).
//
// A new store method: its signature in the aggregate's interface (store.ts);
// its logic here, in the aggregate's file, as a generator yielding named
// statements (steps.ts), run by db.read, db.write or db.transaction; each new
// statement's name in StatementName and its text in BOTH sqlite/statements.ts
// and postgres/statements.ts (the compiler checks both have every name, with
// the same parameters in the same order); a case in conformance/ for both.

import type { StoreLogic } from '../store.ts';
import { accountStore } from './accounts.ts';
import { approvalStore, signInFlowStore } from './approvals.ts';
import { auditStore } from './audit.ts';
import { outboxStore } from './outbox.ts';
import { passwordStore } from './passwords.ts';
import { rateCounterStore } from './rate-counters.ts';
import { secondFactorStore } from './second-factor.ts';
import { sessionStore } from './sessions.ts';
import { oidcStore } from './oidc.ts';
import { passkeyStore } from './passkeys.ts';
import { get, type Driver } from './steps.ts';
import { tokenStore } from './tokens.ts';

export type { Driver, Param, Step, StatementName, Work } from './steps.ts';

export function storeLogic(db: Driver): StoreLogic & { schemaVersion(): Promise<number> } {
  return {
    ...tokenStore(db),
    ...sessionStore(db),
    ...accountStore(db),
    ...passwordStore(db),
    ...secondFactorStore(db),
    ...outboxStore(db),
    ...rateCounterStore(db),
    ...approvalStore(db),
    ...signInFlowStore(db),
    ...auditStore(db),
    ...oidcStore(db),
    ...passkeyStore(db),
    schemaVersion: async () => Number((await db.read(get('schemaVersion', [])))?.version ?? 0),
  };
}
