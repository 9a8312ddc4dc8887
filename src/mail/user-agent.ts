// "Firefox on Windows asked for this": the browser and OS of a user agent, read
// by bowser (a maintained parser) rather than by hand. The user agent is
// attacker-chosen, and bowser returns names it *parsed from the string* (its
// fallback takes any "Word/1.0" as a browser called "Word"), so only names from
// the closed lists below reach a page or a mail; anything else is "an unknown
// browser". Versions are never shown (issue #12 finding 7).
import { isIP } from 'node:net';
import Bowser from 'bowser';
import { translator, type Translator } from '../i18n/catalog.ts';

/** bowser's browser name → what we show. A name not listed here is not shown. */
const BROWSERS: ReadonlyMap<string, string> = new Map([
  ['Chrome', 'Chrome'],
  ['Chrome Headless', 'Chrome'],
  ['Chromium', 'Chromium'],
  ['Firefox', 'Firefox'],
  ['Safari', 'Safari'],
  ['Microsoft Edge', 'Edge'],
  ['Opera', 'Opera'],
  ['Samsung Internet for Android', 'Samsung Internet'],
  ['Android Browser', 'Android Browser'],
  ['Vivaldi', 'Vivaldi'],
  ['Yandex Browser', 'Yandex Browser'],
  ['UC Browser', 'UC Browser'],
  ['Internet Explorer', 'Internet Explorer'],
]);

/** bowser's OS name → what we show. */
const SYSTEMS: ReadonlyMap<string, string> = new Map([
  ['Windows', 'Windows'],
  ['macOS', 'macOS'],
  ['iOS', 'iOS'],
  ['Android', 'Android'],
  ['Linux', 'Linux'],
  ['Chrome OS', 'ChromeOS'],
]);

/** "Chrome on macOS", "Firefox", "an unknown browser on Linux", "an unknown browser". */
export function describeUserAgent(ua: string | null | undefined, t: Translator = translator('en')): string {
  if (!ua) return t('device.unknown');
  const parsed = Bowser.parse(ua.slice(0, 512));
  const browser = BROWSERS.get(parsed.browser.name ?? '');
  const os = SYSTEMS.get(parsed.os.name ?? '');
  if (browser && os) return t('device.browserOnOs', { browser, os });
  if (browser) return browser;
  if (os) return t('device.unknownOnOs', { os });
  return t('device.unknown');
}

/**
 * The address to show beside the browser: only a valid IP address. The HTTP
 * layer already resolves one, but an embedder passing its own request context
 * could hand over a raw header; text that is not an address is not shown.
 */
export function shownIp(ip: string | null | undefined): string | null {
  return ip && isIP(ip) !== 0 ? ip : null;
}
