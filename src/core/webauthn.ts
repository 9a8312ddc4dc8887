// @simplewebauthn/server, loaded at the first passkey ceremony rather than at
// startup: with its ASN.1 and certificate dependencies it adds about 27 MB of RSS
// to a process (measured on Node 24), and most servers start many times more
// often than they see a passkey (issue #14 item 5, the idle memory goal).

type WebAuthnServer = typeof import('@simplewebauthn/server');

let loading: Promise<WebAuthnServer> | null = null;

export function webauthn(): Promise<WebAuthnServer> {
  loading ??= import('@simplewebauthn/server').catch((error: unknown) => {
    loading = null; // the next ceremony tries again
    throw error;
  });
  return loading;
}
