// index.html in a real browser: Debian's headless Chromium driven by playwright-core opens the page
// from a file:// URL, as a user opening a downloaded CI artifact would. It checks what string tests
// cannot: the CSS really colours the matrix, the CSP lets the one script run and nothing load,
// following a matrix link opens the drill-down, and without JS the page still works. A screenshot
// is kept in reports/browser/ for humans (CI uploads reports/).
import { existsSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { readResults, writeReports } from '../../src/report/write.ts';

const CHROMIUM = process.env['RCNC_CHROMIUM'] || '/usr/bin/chromium';
const REQUIRED = process.env['RCNC_REQUIRE_BROWSER'] === '1';
const AVAILABLE = existsSync(CHROMIUM);
const SKIP_REASON = `${CHROMIUM} is missing: run \`rcnc setup\` (apt-get install chromium) or set RCNC_CHROMIUM`;

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/report/', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../../reports/browser/', import.meta.url));
const SITE_DIR = join(OUT_DIR, 'site');
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';

// Browser globals used inside page callbacks. tsconfig has no DOM lib (everything else runs in
// Node), so the little used here is declared rather than pulling DOM types into the whole program.
declare const getComputedStyle: (
  element: unknown,
  pseudo?: string,
) => { backgroundColor: string; color: string; content: string };
type Details = { open: boolean };
type Anchor = { href: string };

// Computed colours of the verdict classes, as the stylesheet in html.ts defines them.
const BACKGROUND = {
  works: 'rgb(211, 245, 220)',
  'works-with-announce': 'rgb(255, 232, 163)',
  breaks: 'rgb(255, 215, 213)',
  skip: 'rgb(230, 232, 235)',
  fail: 'rgb(139, 0, 0)',
} as const;

describe('index.html in headless Chromium', { timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  let indexUrl: string;

  beforeAll(async () => {
    if (!AVAILABLE) {
      return;
    }
    const sample = await readResults(join(FIXTURE_DIR, 'results.sample.json'));
    // A report directory as a run leaves it: artifacts first (scenarios write them), then the reporter.
    await rm(SITE_DIR, { recursive: true, force: true });
    await mkdir(join(SITE_DIR, sample.runId), { recursive: true });
    await cp(join(FIXTURE_DIR, 'artifacts'), join(SITE_DIR, sample.runId, 'artifacts'), { recursive: true });
    const written = await writeReports(sample, { reportDir: SITE_DIR, runId: sample.runId });
    indexUrl = pathToFileURL(join(written.latest, 'index.html')).href;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Skips with the reason, or fails when RCNC_REQUIRE_BROWSER=1 says a browser must be there. */
  function requireBrowser(ctx: TestContext): Browser {
    if (!browser) {
      if (REQUIRED) {
        throw new Error(`RCNC_REQUIRE_BROWSER=1 but ${SKIP_REASON}`);
      }
      ctx.skip(SKIP_REASON);
    }
    return browser as Browser;
  }

  /** Opens the page and records every request and console error it causes. */
  async function openPage(b: Browser, javaScriptEnabled = true) {
    const context = await b.newContext({ javaScriptEnabled, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(message.text());
      }
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(indexUrl);
    return { page, requests, problems, close: () => context.close() };
  }

  async function background(page: Page, selector: string): Promise<string> {
    return page.locator(selector).evaluate((element) => getComputedStyle(element).backgroundColor);
  }

  test('colours the matrix by verdict and loads nothing but the page itself', async (ctx) => {
    const { page, requests, problems, close } = await openPage(requireBrowser(ctx));
    try {
      const expected: [string, keyof typeof BACKGROUND, string][] = [
        ['k3d/flannel-vxlan/nodeport/announce-none', 'skip', 'skipped (no Docker daemon answers)'],
        ['netns/calico-vxlan/nodeport/announce-none', 'fail', 'FAIL: unexpected ghost class tunnel | expected node-ip'],
        ['netns/flannel-vxlan/nodeport/announce-ip', 'works', 'works'],
        [CLASSIC, 'works-with-announce', 'works-with-announce'],
        ['netns/no-nat/nodeport/announce-none/local/dial-node-1', 'breaks', 'dial node-1:breaks'],
      ];
      for (const [id, cls, text] of expected) {
        const selector = `table.matrix a[data-cell="${id}"]`;
        const link = page.locator(selector);
        await expect.poll(() => link.count(), { message: id }).toBe(1);
        expect(await link.textContent(), id).toBe(text);
        expect(await link.getAttribute('class'), id).toBe(`verdict v-${cls}`);
        expect(await background(page, selector), id).toBe(BACKGROUND[cls]);
      }
      expect(await page.locator('table.matrix').count()).toBe(2);
      // A drill-down takes only its edge colour from the verdict: a FAIL row stays readable.
      const failId = page.locator('details.cell[data-cell="netns/calico-vxlan/nodeport/announce-none"] > summary code');
      expect(await failId.evaluate((element) => getComputedStyle(element).color)).toBe('rgb(31, 35, 40)');
      // The inline script ran under the CSP (it unhides these buttons), and nothing was blocked or fetched.
      expect(await page.locator('button[data-toggle-all="open"]').isVisible()).toBe(true);
      expect(problems).toEqual([]);
      expect(requests).toEqual([indexUrl]);
      await mkdir(OUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUT_DIR, 'index.png') });
    } finally {
      await close();
    }
  });

  test('opens a cell from the matrix with its ghost line marked and the fix shown', async (ctx) => {
    const { page, requests, problems, close } = await openPage(requireBrowser(ctx));
    try {
      const cell = page.locator(`details.cell[data-cell="${CLASSIC}"]`);
      expect(await cell.evaluate((element) => (element as unknown as Details).open)).toBe(false);

      await page.locator(`table.matrix a[data-cell="${CLASSIC}"]`).click();

      await expect.poll(() => cell.evaluate((element) => (element as unknown as Details).open)).toBe(true);
      expect(await cell.locator('summary .verdict').textContent()).toBe('works-with-announce');
      const ghost = cell.locator('.ln.ghost');
      // The ghost line appears in the view taken when the dial-back failed; later views hold it no more.
      expect(await ghost.count()).toBe(1);
      expect(await ghost.isVisible()).toBe(true);
      expect(await ghost.textContent()).toContain('10.42.0.1:6379@16379 handshake,noaddr');
      expect(await ghost.evaluate((element) => getComputedStyle(element).backgroundColor)).toBe(BACKGROUND.breaks);
      expect(await ghost.evaluate((element) => getComputedStyle(element, '::after').content)).toContain('ghost');
      const fix = cell.locator('.fix-text');
      expect(await fix.isVisible()).toBe(true);
      expect(await fix.textContent()).toContain('cluster-announce-ip <node IP>');
      const natLine = cell.locator('.ln.nat', { hasText: 'ESTAB' });
      expect(await natLine.textContent()).toContain('10.42.0.1:40122');
      // The capture link points at the copied artifact, relative to the page.
      const pcap = cell.locator('a[download]', { hasText: 'bus.pcap' });
      const href = await pcap.evaluate((element) => (element as unknown as Anchor).href);
      expect(existsSync(fileURLToPath(href))).toBe(true);
      expect(problems).toEqual([]);
      expect(requests).toEqual([indexUrl]);
      await mkdir(OUT_DIR, { recursive: true });
      await cell.screenshot({ path: join(OUT_DIR, 'cell.png') });
    } finally {
      await close();
    }
  });

  test('works without JavaScript: links jump, summaries open the drill-down', async (ctx) => {
    const { page, close } = await openPage(requireBrowser(ctx), false);
    try {
      expect(await page.locator('button[data-toggle-all="open"]').isVisible()).toBe(false);
      await page.locator(`table.matrix a[data-cell="${CLASSIC}"]`).click();
      expect(new URL(page.url()).hash).toBe('#cell-netns_flannel-vxlan_nodeport_announce-none');
      const cell = page.locator(`details.cell[data-cell="${CLASSIC}"]`);
      expect(await cell.locator('.ln.ghost').isVisible()).toBe(false);
      await cell.locator(':scope > summary').click();
      expect(await cell.locator('.ln.ghost').isVisible()).toBe(true);
    } finally {
      await close();
    }
  });
});
