// What the passkeys of issue #17 keep in the Store: each account's WebAuthn
// credentials, and the challenges of ceremonies in progress. A challenge is
// found only by the SHA-256 of the cookie of the browser that asked, and kept
// only as the SHA-256 of its value, so neither a database reader nor another
// browser can answer it.

import type { AuditEvent } from '../core/audit.ts';
import type { User } from '../core/types.ts';

/** One registered credential (WebAuthn Level 3 §4 "credential record"). */
export interface AddPasskeyGuard {
  sessionId: string;
  now: number;
  /** The policy's cap (Policy.passkeysPerAccount). */
  maxPasskeys: number;
}

export type AddPasskeyResult = 'added' | 'exists' | 'session_gone' | 'limit_reached';

export interface Passkey {
  /** Our id, in URLs (rename, remove). */
  id: string;
  userId: string;
  /** The authenticator's credential ID, base64url: unique in the deployment. */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (0: the authenticator keeps none). */
  counter: number;
  /** Hints for the browser (usb, nfc, ble, internal, hybrid, …). */
  transports: string[];
  /** 'multiDevice': a synced passkey; 'singleDevice': bound to one authenticator. */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  /** The authenticator model's AAGUID (all zeros when it does not say). */
  aaguid: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export type PasskeyCeremony = 'registration' | 'authentication';

/** A challenge waiting for its answer: single use, short-lived, this browser's alone. */
export interface PasskeyChallenge {
  /** SHA-256 of the browser's passkey cookie. */
  browserHash: string;
  ceremony: PasskeyCeremony;
  /** SHA-256 of the challenge sent (base64url). */
  challengeHash: string;
  /** Registration: the account and the session that asked; null for a sign-in. */
  userId: string | null;
  sessionId: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface PasskeyUse {
  id: string;
  /** The counter the assertion carried; stored only when it moves forward (or both are 0). */
  counter: number;
  backedUp: boolean;
  now: number;
}

/** The account's passkey settings. */
export interface PasskeySettings {
  /** Email sign-in (link or code) also asks for a passkey (or the TOTP code, when TOTP is on). */
  emailSignInRequiresPasskey: boolean;
  passkeys: number;
  /** TOTP is on: the other way to complete an email sign-in that asks for more. */
  totpEnabled: boolean;
}

/**
 * What decides whether a first factor ends in a session or in the second-factor
 * step (core/sign-in-requirements.ts): the account's TOTP and passkey settings,
 * read in one statement (issue #13: one store read per returning sign-in).
 */
export interface SignInRequirements {
  /** TOTP is confirmed and on. */
  totpEnabled: boolean;
  /** The TOTP setting "email sign-in also asks for my code" (meaningful only while TOTP is on). */
  emailSignInRequiresTotp: boolean;
  /** The passkey setting "email sign-in also asks for my passkey or authenticator code". */
  emailSignInRequiresPasskey: boolean;
  passkeys: number;
}

/** removePasskey's answer: `last_way_in`: email sign-in asks for a passkey and this is the last one (and TOTP is off). */
export type RemovePasskeyResult = 'removed' | 'not_found' | 'last_way_in';

/** Passkeys (issue #17). */
export interface PasskeyStore {
  /** Replaces this browser's challenge of the same ceremony and drops expired ones, in one transaction. */
  savePasskeyChallenge(challenge: PasskeyChallenge): Promise<void>;
  /** Whether this browser holds a live challenge of the ceremony (its next options replace it: no new row). */
  holdsPasskeyChallenge(browserHash: string, ceremony: PasskeyCeremony, now: number): Promise<boolean>;
  /** Deletes and returns this browser's challenge of the ceremony, whatever its age (the caller judges expiry): one caller gets it. */
  takePasskeyChallenge(browserHash: string, ceremony: PasskeyCeremony): Promise<PasskeyChallenge | null>;
  /**
   * One transaction: the credential and the events. 'exists' (nothing written) when the credential ID is
   * registered already, to anyone. With a guard (a registration always passes one), under the account's
   * passkey lock: 'session_gone' when the registering session was revoked or expired meanwhile (an undo or an
   * operator's reset committed during the ceremony), 'limit_reached' at the policy's cap (issue #17 review
   * round 2, finding 7: both were checked before the ceremony only).
   */
  addPasskey(passkey: Passkey, events: AuditEvent[], guard?: AddPasskeyGuard): Promise<AddPasskeyResult>;
  /** The credential and its account, by credential ID. */
  findPasskeyByCredentialId(credentialId: string): Promise<{ passkey: Passkey; user: User } | null>;
  /** The account's passkeys, oldest first. */
  listPasskeys(userId: string): Promise<Passkey[]>;
  /**
   * Conditional: records a sign-in (counter, backed-up state, last used) when
   * the counter moved forward or both old and new are 0. false: it went
   * backwards (a cloned authenticator, or a race), nothing written.
   */
  usePasskey(use: PasskeyUse): Promise<boolean>;
  /** false when the account has no such passkey. */
  renamePasskey(userId: string, id: string, name: string, events: AuditEvent[]): Promise<boolean>;
  /**
   * One transaction: deletes the account's passkey and appends the events;
   * refused (nothing written) when it would leave an email sign-in that asks for
   * a passkey with no passkey and no TOTP to give it.
   */
  removePasskey(userId: string, id: string, events: AuditEvent[]): Promise<RemovePasskeyResult>;
  getPasskeySettings(userId: string): Promise<PasskeySettings>;
  /** One statement: everything the end of a sign-in decides with (an unknown account: all off, 0 passkeys). */
  getSignInRequirements(userId: string): Promise<SignInRequirements>;
  /** One transaction: false (nothing written) when unchanged, or when turning it on for an account without a passkey. */
  setEmailSignInRequiresPasskey(userId: string, value: boolean, events: AuditEvent[]): Promise<boolean>;
}
