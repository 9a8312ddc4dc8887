// Shared pieces of the Chromium suites: Debian's Chromium through playwright-core,
// a "device" (browser context) that records every console error, script error and
// failed request, the axe-core accessibility check, and the screenshot set
// (light/dark × 1280/375) written to artifacts/screenshots/ (kept by CI).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { linkFrom } from '../support/http-client.ts';
import type { TestClock } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';

export const CHROMIUM = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}; browser suite skipped`;
if (chromiumMissing && process.env.CI === 'true') throw new Error(`${chromiumMissing}; it is required when CI=true`);

export const SCREENSHOT_DIR = join(import.meta.dirname, '../../artifacts/screenshots');
/** Our pages answer in milliseconds on loopback; anything slower is a failure to report, not wait out. */
const ACTION_TIMEOUT_MS = 10_000;
const AXE_SOURCE_PATH = join(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Inside a describe: Chromium for the suite, launched before it and closed after
 * it, then the suite's screenshot index is written. Call it before
 * useHttpServer, so the browser closes before the server it talks to.
 */
export function useChromium(suite: string, ready: (browser: Browser) => void): void {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchChromium();
    ready(browser);
  });
  after(async () => {
    writeScreenshotIndex(suite);
    await browser?.close();
  });
}

export interface Device {
  context: BrowserContext;
  page: Page;
  /** The catalog locale the context asked for (Accept-Language), when it is one of ours. */
  locale?: 'en' | 'de';
  /** Console errors, page errors and failed requests seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser profile. Any console error, uncaught script error, failed
 * request or 4xx/5xx sub-resource is recorded; a page answered with a 4xx/5xx on
 * purpose (an error page) is not, but its assets must still load.
 */
export async function newDevice(browser: Browser, baseUrl: string, options: BrowserContextOptions = {}): Promise<Device> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  // A missing element fails in seconds, not after Playwright's default 30 s.
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  if (options.javaScriptEnabled === false) NO_SCRIPT_PAGES.add(page);
  const problems: string[] = [];
  const errorDocuments = new Set<string>();
  // axe is served from our own origin so the pages' strict CSP (script-src 'self') stays on.
  await context.route(`${baseUrl}/__test/axe.min.js`, (route) =>
    route.fulfill({ body: AXE_SOURCE(), contentType: 'text/javascript' }),
  );
  page.on('response', (response) => {
    if (response.status() < 400) return;
    if (response.request().resourceType() === 'document') errorDocuments.add(response.url());
    else problems.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    // A navigation (a form submit, the auto-continue) cancels what the old page still loaded: not a failure.
    if (failure === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.url()} (${failure})`);
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (message.text().startsWith('Failed to load resource') && errorDocuments.has(message.location().url)) return;
    problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return {
    context,
    page,
    locale: options.locale?.startsWith('de') ? 'de' : 'en',
    problems,
    close: () => context.close(),
  };
}

/** What signing in by email from a page needs: the server, its mail sink and its clock. */
export interface MailedServer {
  url: string;
  sink: SmtpSink;
  clock: TestClock;
}

/**
 * Sign in as a person does: the sign-in page, the address, "Email me", then the
 * link of the sign-in mail (not a security notice that may arrive meanwhile),
 * opened in the browser that asked. Where it lands is the caller's to check.
 */
export async function signInByLink(d: Device, server: MailedServer, email: string): Promise<void> {
  server.clock.advance(61); // one mail per address per resend interval
  const before = server.sink.messages.length;
  await d.page.goto(`${server.url}/auth/sign-in`);
  await d.page.getByLabel('Email').fill(email);
  await d.page.getByRole('button', { name: /email me/i }).click();
  await d.page.waitForURL(/\/auth\/check-email$/);
  const message = await server.sink.waitFor((m) => m.to === email && server.sink.messages.indexOf(m) >= before && /^Sign in to /.test(m.subject));
  await d.page.goto(linkFrom(message.text));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Pages of contexts with JavaScript off: axe cannot run in them (see assertAccessible). */
const NO_SCRIPT_PAGES = new WeakSet<Page>();

/** One scripted page per browser and server, reused for every no-JavaScript check. */
const TWINS = new WeakMap<Browser, Map<string, Promise<Page>>>();

function twinPage(browser: Browser, baseUrl: string): Promise<Page> {
  let byServer = TWINS.get(browser);
  if (!byServer) TWINS.set(browser, (byServer = new Map()));
  let twin = byServer.get(baseUrl);
  if (!twin) {
    twin = (async () => {
      const context = await browser.newContext();
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      await context.route(`${baseUrl}/__test/axe.min.js`, (route) => route.fulfill({ body: AXE_SOURCE(), contentType: 'text/javascript' }));
      const page = await context.newPage();
      // Our origin, so the markup's stylesheet links resolve to the real server.
      await page.goto(`${baseUrl}/healthz`);
      return page;
    })();
    byServer.set(baseUrl, twin);
  }
  return twin;
}

let axeSource: string | undefined;
const AXE_SOURCE = () => (axeSource ??= readFileSync(AXE_SOURCE_PATH, 'utf8'));

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * axe-core on the current page; fails on any serious or critical violation.
 * In the dark scheme only contrast is checked again (nothing else depends on
 * the colours). A page rendered with JavaScript off cannot run axe, so the same
 * markup, without its scripts, is checked in a JavaScript-enabled page of our
 * origin (so its stylesheets apply).
 */
export async function assertAccessible(page: Page, baseUrl: string, label: string, colorScheme: 'light' | 'dark' = 'light'): Promise<void> {
  if (NO_SCRIPT_PAGES.has(page)) {
    const twin = await twinPage(page.context().browser()!, baseUrl);
    await twin.setViewportSize(page.viewportSize() ?? { width: 1280, height: 800 });
    await twin.emulateMedia({ colorScheme });
    // Without its scripts: the markup is checked as the no-JavaScript browser has it,
    // and no page script may act in the twin (verify.js would submit a live token).
    const markup = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
    await twin.setContent(markup, { waitUntil: 'load' });
    await assertAccessible(twin, baseUrl, `${label}, without JavaScript`, colorScheme);
    return;
  }
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.addScriptTag({ url: `${baseUrl}/__test/axe.min.js` });
  const options = colorScheme === 'dark' ? { runOnly: { type: 'rule', values: ['color-contrast'] } } : { runOnly: { type: 'tag', values: AXE_TAGS } };
  const violations = await page.evaluate(async (options) => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, options);
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  }, options);
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    blocking.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility violations on ${label}`,
  );
}

export const SCREENSHOTS_TAKEN: string[] = [];

/**
 * No inline script, inline style or event-handler attribute: the markup the
 * strict CSP (script-src 'self'; style-src 'self') relies on. The CSP would
 * block them in the browser too, and the console error would fail the test;
 * this names the element.
 */
export async function assertNoInlineCode(page: Page, label: string): Promise<void> {
  const found = await page.evaluate(() => {
    const hits: string[] = [];
    for (const script of document.querySelectorAll('script:not([src])')) hits.push(`inline <script>: ${script.textContent?.slice(0, 40)}`);
    for (const style of document.querySelectorAll('style')) hits.push(`<style>: ${style.textContent?.slice(0, 40)}`);
    for (const element of document.querySelectorAll('*')) {
      for (const attribute of element.getAttributeNames()) {
        if (attribute === 'style' || attribute.startsWith('on')) hits.push(`${element.tagName.toLowerCase()}[${attribute}]`);
      }
    }
    return hits;
  });
  assert.deepEqual(found, [], `inline code on ${label}`);
}

/**
 * The page in light and dark at 1280 and 375 px wide, full page, and the
 * accessibility check in both colour schemes (contrast differs).
 */
export async function captureAndCheck(page: Page, baseUrl: string, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await assertNoInlineCode(page, name);
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await assertAccessible(page, baseUrl, `${name} (${colorScheme})`, colorScheme);
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
      const file = `${name}-${colorScheme}-${width}.png`;
      await page.screenshot({ path: join(SCREENSHOT_DIR, file), fullPage: true });
      SCREENSHOTS_TAKEN.push(file);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(original);
}

/** Nothing may have scrolled sideways at 320 px: the narrowest phone the issue names. */
export async function assertFitsNarrowScreen(page: Page, label: string): Promise<void> {
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.setViewportSize({ width: 320, height: 640 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize(original);
  assert.ok(overflow <= 0, `${label} scrolls sideways at 320 px by ${overflow} px`);
}

const LISTS_DIR = join(SCREENSHOT_DIR, '.lists');

/**
 * Records the screenshots this suite (one test file) took, removes the ones its
 * previous run took that it no longer takes, and rewrites INDEX.md from every
 * suite's list, so the folder CI keeps says what each picture shows.
 */
export function writeScreenshotIndex(suite: string): void {
  mkdirSync(LISTS_DIR, { recursive: true });
  const listFile = join(LISTS_DIR, `${suite}.json`);
  const taken = [...new Set(SCREENSHOTS_TAKEN)].sort();
  if (existsSync(listFile)) {
    const previous = JSON.parse(readFileSync(listFile, 'utf8')) as string[];
    for (const stale of previous.filter((file) => !taken.includes(file))) rmSync(join(SCREENSHOT_DIR, stale), { force: true });
  }
  writeFileSync(listFile, `${JSON.stringify(taken, null, 1)}\n`);

  const lines = [
    '# Screenshots',
    '',
    'Written by the Chromium suite (`test/browser/`) on every run. Pages: light and dark colour scheme,',
    '1280 px (desktop) and 375 px (phone) wide, full page. Emails: the HTML part as Chromium renders it.',
    '',
  ];
  const columns = ['light-1280', 'light-375', 'dark-1280', 'dark-375'];
  for (const file of readdirSync(LISTS_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const files = (JSON.parse(readFileSync(join(LISTS_DIR, file), 'utf8')) as string[]).filter((f) => existsSync(join(SCREENSHOT_DIR, f)));
    // One row per page or email: "error-token_expired-dark-375.png" → row "error-token_expired", column "dark-375".
    const rows = new Map<string, Map<string, string>>();
    for (const name of files) {
      const match = /^(.*)-((?:light|dark)-\d+)\.png$/.exec(name);
      const [row, column] = match ? [match[1]!, match[2]!] : [name, 'light-1280'];
      if (!rows.has(row)) rows.set(row, new Map());
      rows.get(row)!.set(column, name);
    }
    lines.push(`## ${file.replace(/\.json$/, '')}: ${rows.size} pages and emails, ${files.length} files`, '');
    lines.push(`| shows | ${columns.join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`);
    for (const [row, cells] of rows) {
      lines.push(`| ${row} | ${columns.map((c) => (cells.has(c) ? `[png](${cells.get(c)})` : '')).join(' | ')} |`);
    }
    lines.push('');
  }
  writeFileSync(join(SCREENSHOT_DIR, 'INDEX.md'), lines.join('\n'));
}
