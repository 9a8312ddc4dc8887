// The vocabulary between the store's logic (written once, in this folder) and
// each backend's executor (issue #13). A method's logic is a generator that
// yields the statements it needs, by name, and gets each one's result back:
// SQLite drives it synchronously inside its group-commit transaction (nothing
// else runs between two statements), PostgreSQL with `await` on one client.
// Statement texts live in each backend's statements.ts, keyed by these names
// and taking the same parameters in the same order ($n / ?n).

import type { AuditEvent } from '../../core/audit.ts';
import type { Row, SqlValue } from '../rows.ts';

export type StatementName =
  | 'retireTokens' | 'insertToken' | 'tokenByHash' | 'tokenById' | 'latestToken' | 'consumeByHash' | 'consumeById' | 'reserveAttempt'
  | 'userById' | 'userByEmail' | 'lockUser' | 'listUsers' | 'insertUser' | 'createUser' | 'verifyEmail' | 'setUserDisabled'
  | 'insertSession' | 'sessionLookup' | 'touchSession' | 'listSessions' | 'revokeSession' | 'revokeUserSessions' | 'revokeOtherSessions'
  | 'reauthenticateSession'
  | 'retireUserTokens' | 'retireAccountTokens' | 'retireTokensButEarlierCancels'
  | 'auditPruneOpen' | 'auditPrune' | 'auditPruneClose'
  | 'insertOutbox' | 'outboxById' | 'outboxCounts' | 'outboxTroubled' | 'schemaVersion' | 'claimOutbox' | 'markSent' | 'markRetry'
  | 'markDead' | 'releaseOutbox'
  | 'hitRateCounter' | 'getRateCounter' | 'deleteRateCounter' | 'pruneRateCounters'
  | 'totpByUser' | 'startTotpEnrolment' | 'enableTotp' | 'useTotpStep' | 'disableTotp' | 'setEmailSignInRequiresTotp' | 'lockTotpEnabled'
  | 'deleteRecoveryCodes' | 'insertRecoveryCodes' | 'countRecoveryCodes' | 'consumeRecoveryCode'
  | 'sweepPendingSecondFactors' | 'insertPendingSecondFactor' | 'pendingSecondFactorByHash' | 'reserveSecondFactorAttempt'
  | 'takePendingSecondFactor' | 'deletePendingSecondFactors'
  | 'passwordOf' | 'setPassword' | 'rehashPassword' | 'markEmailVerified' | 'changeEmail' | 'dropPassword' | 'dropTotpSince'
  | 'insertApproval' | 'approvalByFlow' | 'decideApproval' | 'completeApproval'
  | 'insertSignInFlow' | 'pruneSignInFlows' | 'signInFlowByHash'
  | 'upsertOidcRecord' | 'oidcRecord' | 'oidcRecordByUid' | 'oidcRecordByUserCode' | 'consumeOidcRecord' | 'destroyOidcRecord'
  | 'revokeOidcGrant' | 'oidcGrantsOfAccount' | 'oidcClientsOfAccount' | 'revokeOidcAccess' | 'revokeOidcRecordsOfAccount' | 'pruneOidcRecords' | 'insertOidcKey' | 'oidcKeys'
  | 'insertOidcClient' | 'oidcClientById' | 'oidcClients' | 'deleteOidcClient' | 'deleteOidcClientRecords'

  | 'prunePasskeyChallenges' | 'upsertPasskeyChallenge' | 'takePasskeyChallenge'
  | 'signInUserById' | 'signInUserByEmail' | 'insertPasskey' | 'passkeyChallengeLive' | 'sessionLive' | 'passkeyCount' | 'passkeyByCredentialId' | 'passkeysOfUser' | 'usePasskey' | 'usePasskeyOfUser' | 'renamePasskey' | 'deletePasskey'
  | 'signInRequirements' | 'setEmailSignInRequiresPasskey' | 'dropPasskeysSince' | 'dropPasskeyRequirementIfNone';

/** A bound value: booleans and lists are spelled per backend (SQLite 0/1 and JSON, PostgreSQL BOOLEAN and text[]). */
export type Param = SqlValue | boolean | readonly string[];

export type Step =
  /** run: rows changed. get: the first row. all: every row. tuple: the first row as an array (the hot session check). */
  | { readonly kind: 'run' | 'get' | 'all' | 'tuple'; readonly name: StatementName; readonly params: readonly Param[] }
  | { readonly kind: 'audit'; readonly events: readonly AuditEvent[] }
  /** Serializes transactions on `key` until commit (PostgreSQL); SQLite's BEGIN IMMEDIATE already holds the write lock. */
  | { readonly kind: 'lock'; readonly key: string }
  /** A statement whose shape depends on the input (listAudit); `param(n)` spells the n-th placeholder. */
  | { readonly kind: 'select'; readonly build: (param: (n: number) => string) => { sql: string; params: SqlValue[] } };

export type Work<T> = Generator<Step, T, unknown>;

/**
 * What a backend gives the logic. Each method drives one piece of work to its
 * end; the three differ only in the transaction around it.
 */
export interface Driver {
  /** Reads: no transaction. */
  read<T>(work: Work<T>): Promise<T>;
  /** One transaction: every statement or none. */
  transaction<T>(work: Work<T>): Promise<T>;
  /**
   * Writes whose statements each stand alone (one conditional statement, or an
   * update then a read that explains it): PostgreSQL runs them without BEGIN;
   * SQLite still writes inside its group commit.
   */
  write<T>(work: Work<T>): Promise<T>;
  /** The database refused a duplicate in a unique index. */
  isUniqueViolation(error: unknown): boolean;
}

export function* run(name: StatementName, params: readonly Param[]): Work<number> {
  return (yield { kind: 'run', name, params }) as number;
}

export function* get(name: StatementName, params: readonly Param[]): Work<Row | undefined> {
  return (yield { kind: 'get', name, params }) as Row | undefined;
}

export function* all(name: StatementName, params: readonly Param[]): Work<Row[]> {
  return (yield { kind: 'all', name, params }) as Row[];
}

export function* tuple(name: StatementName, params: readonly Param[]): Work<unknown[] | undefined> {
  return (yield { kind: 'tuple', name, params }) as unknown[] | undefined;
}

export function* appendEvents(events: readonly AuditEvent[]): Work<void> {
  if (events.length) yield { kind: 'audit', events };
}

export function* lock(key: string): Work<void> {
  yield { kind: 'lock', key };
}

export function* select(build: (param: (n: number) => string) => { sql: string; params: SqlValue[] }): Work<Row[]> {
  return (yield { kind: 'select', build }) as Row[];
}
