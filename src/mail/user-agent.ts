// A deliberately tiny user-agent reader: enough to tell a person "Firefox on
// Windows asked for this", not a device database. Order matters: Edge claims to
// be Chrome and Safari, Chrome claims to be Safari, iOS claims to be macOS.

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/|\b(?:iPhone|iPad|iPod)\b.*\bAppleWebKit\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b|\bCrOS\b/, 'Linux'],
];

function first(table: [RegExp, string][], ua: string): string | null {
  for (const [pattern, name] of table) if (pattern.test(ua)) return name;
  return null;
}

/** "Chrome on macOS", "Firefox", "an unknown browser on Linux", "an unknown browser". */
export function describeUserAgent(ua: string | null | undefined): string {
  const value = ua ?? '';
  const browser = first(BROWSERS, value) ?? 'an unknown browser';
  const system = first(SYSTEMS, value);
  return system ? `${browser} on ${system}` : browser;
}
