// Cross-device approvals (issue #4) and sign-in flows (issue #12 finding 10):
// the logic of ApprovalStore and SignInFlowStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import { approvalValues, toApproval, toSignInFlow } from '../rows.ts';
import type { ApprovalStore, CrossDeviceApproval, SignInFlow, SignInFlowStore } from '../store.ts';
import { appendEvents, get, run, type Driver, type Work } from './steps.ts';

export function approvalStore(db: Driver): ApprovalStore {
  return {
    createApproval: async (approval) => void (await db.write(run('insertApproval', approvalValues(approval)))),
    findApproval: (flowHash) => db.read(findApproval(flowHash)),
    decideApproval: (input) => db.transaction(decideApproval(input)),
    completeApproval: async (flowHash, now) => (await db.write(run('completeApproval', [flowHash, now]))) === 1,
  };
}

export function signInFlowStore(db: Driver): SignInFlowStore {
  return {
    recordSignInFlow: (flow) => db.transaction(recordSignInFlow(flow)),
    findSignInFlow: (flowHash, now) => db.read(findSignInFlow(flowHash, now)),
  };
}

function* findApproval(flowHash: string): Work<CrossDeviceApproval | null> {
  const row = yield* get('approvalByFlow', [flowHash]);
  return row ? toApproval(row) : null;
}

function* decideApproval(input: { flowHash: string; tokenId: string; approve: boolean; now: number; events: AuditEvent[] }): Work<boolean> {
  const state = input.approve ? 'approved' : 'refused';
  const decided = (yield* run('decideApproval', [state, input.now, input.flowHash, input.tokenId])) === 1;
  if (decided) yield* appendEvents(input.events);
  return decided;
}

function* recordSignInFlow(flow: SignInFlow): Work<void> {
  yield* run('pruneSignInFlows', [flow.createdAt]);
  yield* run('insertSignInFlow', [flow.flowHash, flow.email, flow.redirectTo, flow.createdAt, flow.expiresAt]);
}

function* findSignInFlow(flowHash: string, now: number): Work<SignInFlow | null> {
  const row = yield* get('signInFlowByHash', [flowHash, now]);
  return row ? toSignInFlow(row) : null;
}
