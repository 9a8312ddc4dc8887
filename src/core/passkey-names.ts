// What a passkey is called before its owner names it (issue #17): the
// authenticator's name when its AAGUID is one of the common ones below (from
// the community list passkeydeveloper/passkey-authenticator-aaguids), else the
// browser and system that registered it ("Chrome on Linux", given by the
// caller). An unknown AAGUID names nothing: it is the authenticator's own claim.

const AUTHENTICATORS: ReadonlyMap<string, string> = new Map([
  ['ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4', 'Google Password Manager'],
  ['adce0002-35bc-c60a-648b-0b25f1f05503', 'Chrome on Mac'],
  ['b5397666-4885-aa6b-cebf-e52262a439a2', 'Chromium Browser'],
  ['771b48fd-d3d4-4f74-9232-fc157ab0507a', 'Edge on Mac'],
  ['08987058-cadc-4b81-b6e1-30de50dcbe96', 'Windows Hello'],
  ['9ddd1817-af5a-4672-a2b9-3e3dd95000a9', 'Windows Hello'],
  ['6028b017-b1d4-4c02-b4b3-afcdafc96bb2', 'Windows Hello'],
  ['fbfc3007-154e-4ecc-8c0b-6e020557d7bd', 'iCloud Keychain'],
  ['dd4ec289-e01d-41c9-bb89-70fa845d4bf2', 'iCloud Keychain (Managed)'],
  ['bada5566-a7aa-401f-bd96-45619a55120d', '1Password'],
  ['d548826e-79b4-db40-a3d8-11116f7e8349', 'Bitwarden'],
  ['531126d6-e717-415c-9320-3d9aa6981239', 'Dashlane'],
  ['b84e4048-15dc-4dd0-8640-f4f60813c8af', 'NordPass'],
  ['0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6', 'Keeper'],
  ['f3809540-7f14-49c1-a8b3-8f813b225541', 'Enpass'],
  ['53414d53-554e-4700-0000-000000000000', 'Samsung Pass'],
  ['cb69481e-8ff7-4039-93ec-0a2729a154a8', 'YubiKey 5'],
  ['ee882879-721c-4913-9775-3dfcce97072a', 'YubiKey 5'],
  ['fa2b99dc-9e39-4257-8f92-4a30d23c4118', 'YubiKey 5'],
  ['2fc0579f-8113-47ea-b116-bb5a8db9202a', 'YubiKey 5'],
]);

/** The longest name a person may give a passkey (characters). */
export const PASSKEY_NAME_MAX = 64;

/** The authenticator model's name, or null when the AAGUID is not one we know (or all zeros). */
export function authenticatorName(aaguid: string): string | null {
  return AUTHENTICATORS.get(aaguid.toLowerCase()) ?? null;
}

/** A name as typed: one line, trimmed, at most PASSKEY_NAME_MAX characters; null when nothing is left. */
export function cleanPasskeyName(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const name = input.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return name === '' ? null : [...name].slice(0, PASSKEY_NAME_MAX).join('');
}
