// index.html in a real browser: Debian's headless Chromium driven by playwright-core opens the page
// from a file:// URL, as a user opening a downloaded CI artifact would. It checks what string tests
// cannot: the CSS really colours the matrix, the CSP lets the one script run and nothing load,
// following a matrix link opens the drill-down, without JS the page still works, on a 420 px phone
// only the matrices scroll sideways (in their own boxes), and a report the size of the default
// run's stays under 16 KiB a cell. Screenshots are kept in reports/browser/ for humans (CI uploads reports/).
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { allCells } from '../../scenarios/registry.ts';
import { readResults, writeReports } from '../../src/report/write.ts';
import { writeDefaultRun } from './default-run.ts';

const CHROMIUM = process.env['RCNC_CHROMIUM'] || '/usr/bin/chromium';
const REQUIRED = process.env['RCNC_REQUIRE_BROWSER'] === '1';
const AVAILABLE = existsSync(CHROMIUM);
const SKIP_REASON = `${CHROMIUM} is missing: run \`rcnc setup\` (apt-get install chromium) or set RCNC_CHROMIUM`;

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/report/', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../../reports/browser/', import.meta.url));
const SITE_DIR = join(OUT_DIR, 'site');
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';
/**
 * The bound for the default run's page, every cell of the default matrix with its evidence: 16 KiB
 * a cell on average (1.5 MB was the bound for the 97 cells before the cases family), so the page
 * grows with the matrix but not with what each cell shows.
 */
const MAX_BYTES_PER_CELL = 16 * 1024;
const PHONE = { width: 420, height: 900 };

// Browser globals used inside page callbacks. tsconfig has no DOM lib (everything else runs in
// Node), so the little used here is declared rather than pulling DOM types into the whole program.
declare const getComputedStyle: (
  element: unknown,
  pseudo?: string,
) => { backgroundColor: string; color: string; content: string };
declare const document: {
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelectorAll: (selector: string) => ArrayLike<{ scrollWidth: number; clientWidth: number }>;
};
type Details = { open: boolean };
type Anchor = { href: string };

// Computed backgrounds of the tones and the FAIL chip, as src/report/html/styles.ts defines them.
const BACKGROUND = {
  good: 'rgb(211, 245, 220)',
  'needs-setting': 'rgb(255, 232, 163)',
  bad: 'rgb(255, 215, 213)',
  none: 'rgb(230, 232, 235)',
  fail: 'rgb(139, 0, 0)',
} as const;

describe('index.html in headless Chromium', { timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  let indexUrl: string;
  // The default run's artifacts weigh tens of MB: kept out of reports/, which CI uploads.
  let defaultRunDir: string;
  let defaultRunIndex: string;

  beforeAll(async () => {
    const sample = await readResults(join(FIXTURE_DIR, 'results.sample.json'));
    // A report directory as a run leaves it: artifacts first (scenarios write them), then the reporter.
    await rm(SITE_DIR, { recursive: true, force: true });
    await mkdir(join(SITE_DIR, sample.runId), { recursive: true });
    await cp(join(FIXTURE_DIR, 'artifacts'), join(SITE_DIR, sample.runId, 'artifacts'), { recursive: true });
    const written = await writeReports(sample, { reportDir: SITE_DIR, runId: sample.runId });
    indexUrl = pathToFileURL(join(written.latest, 'index.html')).href;
    // A report as big as the default run's, artifacts and all, written the way the reporter writes it.
    defaultRunDir = await mkdtemp(join(tmpdir(), 'rcnc-default-run-'));
    const defaultRun = await writeDefaultRun(join(defaultRunDir, 'default'), 'default');
    defaultRunIndex = join(
      (await writeReports(defaultRun, { reportDir: defaultRunDir, runId: 'default' })).dir,
      'index.html',
    );
    // The size bound needs no browser; everything else does.
    if (!AVAILABLE) {
      return;
    }
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
  }, 120_000); // writing the default run's 80 cells of artifacts takes seconds on a busy runner

  afterAll(async () => {
    await browser?.close();
    if (defaultRunDir) {
      await rm(defaultRunDir, { recursive: true, force: true });
    }
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
  async function openPage(
    b: Browser,
    javaScriptEnabled = true,
    viewport = { width: 1400, height: 1000 },
    url = indexUrl,
  ) {
    const context = await b.newContext({ javaScriptEnabled, viewport });
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
    await page.goto(url);
    return { page, requests, problems, close: () => context.close() };
  }

  async function background(page: Page, selector: string): Promise<string> {
    return page.locator(selector).evaluate((element) => getComputedStyle(element).backgroundColor);
  }

  test('colours each slot by its word, shows the verdict apart, and loads nothing but the page itself', async (ctx) => {
    const { page, requests, problems, close } = await openPage(requireBrowser(ctx));
    try {
      const expected: [string, keyof typeof BACKGROUND, string][] = [
        ['k3d/flannel-vxlan/nodeport/announce-none', 'none', 'skipped'],
        ['netns/calico-vxlan/nodeport/announce-none', 'bad', 'breaksFAIL'],
        ['netns/flannel-vxlan/nodeport/announce-ip', 'good', 'workspass'],
        [CLASSIC, 'needs-setting', 'works-with-announcepass'],
        ['netns/no-nat/nodeport/announce-none/local/dial-node-1', 'bad', 'dial node-1:droppedpass'],
        ['netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover', 'good', 'failover:healspass'],
      ];
      for (const [id, tone, text] of expected) {
        const selector = `table.matrix a[data-cell="${id}"]`;
        const link = page.locator(selector);
        await expect.poll(() => link.count(), { message: id }).toBe(1);
        expect(await link.textContent(), id).toBe(text);
        expect(await background(page, selector), id).toBe(BACKGROUND[tone]);
      }
      // FAIL is a chip of its own, dark red with white text, whatever the word's colour.
      const fail = 'table.matrix a[data-cell="netns/calico-vxlan/nodeport/announce-none"] .status';
      expect(await background(page, fail)).toBe(BACKGROUND.fail);
      expect(await page.locator('table.matrix').count()).toBe(3);
      // A drill-down takes only its edge colour from the tone: a FAIL row stays readable.
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
      expect(await cell.locator('summary .word').textContent()).toBe('works-with-announce');
      expect(await cell.locator('summary .status').textContent()).toBe('pass');
      const ghost = cell.locator('.ln.ghost');
      // The ghost line appears in the view taken when the dial-back failed; later views hold it no more.
      expect(await ghost.count()).toBe(1);
      expect(await ghost.isVisible()).toBe(true);
      expect(await ghost.textContent()).toContain('10.42.0.1:6379@16379 handshake,noaddr');
      expect(await ghost.evaluate((element) => getComputedStyle(element).backgroundColor)).toBe(BACKGROUND.bad);
      expect(await ghost.evaluate((element) => getComputedStyle(element, '::after').content)).toContain('ghost');
      const fix = cell.locator('.fix-text');
      expect(await fix.isVisible()).toBe(true);
      expect(await fix.textContent()).toContain('cluster-announce-ip <node IP>');
      const natLine = cell.locator('pre.sockets .ln.nat', { hasText: 'ESTAB' });
      expect(await natLine.textContent()).toContain('10.42.0.1:40122');
      // The path picture is drawn, with its text equivalent for screen readers.
      const picture = cell.locator('figure.path svg[role="img"]');
      expect(await picture.isVisible()).toBe(true);
      expect(await picture.locator('desc').textContent()).toContain('rewritten to 10.42.0.1, owned by cni0@node-0');
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

  test('a handshake left in a view after the fix is grey and says when it goes, the ghost before it red', async (ctx) => {
    const b = requireBrowser(ctx);
    // test/fixtures/report/nat-meet-fix: a lab run of the classic cell whose fix converged.
    const run = await readResults(join(FIXTURE_DIR, 'nat-meet-fix'));
    const site = join(OUT_DIR, 'nat-meet-fix');
    await rm(site, { recursive: true, force: true });
    await mkdir(join(site, run.runId), { recursive: true });
    await cp(join(FIXTURE_DIR, 'nat-meet-fix', 'artifacts'), join(site, run.runId, 'artifacts'), { recursive: true });
    const written = await writeReports(run, { reportDir: site, runId: run.runId });
    const url = pathToFileURL(join(written.latest, 'index.html')).href;
    const { page, problems, close } = await openPage(b, true, undefined, `${url}#cell-${CLASSIC.replaceAll('/', '_')}`);
    try {
      const cell = page.locator(`details.cell[data-cell="${CLASSIC}"]`);
      await expect.poll(() => cell.evaluate((element) => (element as unknown as Details).open)).toBe(true);
      const leftover = cell.locator('.ln.leftover');
      expect(await leftover.count()).toBe(1);
      expect(await leftover.textContent()).toContain('10.42.0.1:6379@16379 handshake');
      expect(await leftover.evaluate((element) => getComputedStyle(element).backgroundColor)).toBe(BACKGROUND.none);
      expect(await leftover.evaluate((element) => getComputedStyle(element, '::after').content)).toContain(
        'not a ghost: Redis removes it by itself within 2.0s of this view',
      );
      const ghosts = cell.locator('.ln.ghost');
      expect(await ghosts.count()).toBe(2);
      expect(await ghosts.first().evaluate((element) => getComputedStyle(element).backgroundColor)).toBe(
        BACKGROUND.bad,
      );
      expect(problems).toEqual([]);
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

  /** How far the page and each scroll box overflow sideways, in CSS pixels. */
  async function overflow(page: Page): Promise<{ page: number; boxes: number[] }> {
    return page.evaluate(() => {
      const root = document.documentElement;
      const boxes = Array.from(document.querySelectorAll('.matrix-box')).map(
        (box) => box.scrollWidth - box.clientWidth,
      );
      return { page: root.scrollWidth - root.clientWidth, boxes };
    });
  }

  test('on a 420 px screen only the matrices scroll sideways, each in its own box', async (ctx) => {
    const b = requireBrowser(ctx);
    for (const url of [indexUrl, pathToFileURL(defaultRunIndex).href]) {
      const { page, problems, close } = await openPage(b, true, PHONE, url);
      try {
        const closed = await overflow(page);
        expect(closed.page, url).toBe(0);
        // The wide matrices are still all there: they scroll inside their boxes.
        expect(
          closed.boxes.some((width) => width > 0),
          url,
        ).toBe(true);
        await page.locator('button[data-toggle-all="open"]').click();
        expect((await overflow(page)).page, `${url} with every cell open`).toBe(0);
        expect(problems).toEqual([]);
        if (url === indexUrl) {
          await page.screenshot({ path: join(OUT_DIR, 'index-420.png') });
        }
      } finally {
        await close();
      }
    }
  });

  test('keeps the default run’s page under 16 KiB a cell', async () => {
    const { size } = await stat(defaultRunIndex);
    expect(size).toBeLessThan(MAX_BYTES_PER_CELL * allCells('netns', 'default').length);
    // …with every cell and its evidence on it, not by leaving cells out.
    const results = await readResults(join(defaultRunDir, 'default'));
    const ids = (cells: { id: string }[]) => cells.map((cell) => cell.id).sort();
    expect(ids(results.cells)).toEqual(ids(allCells('netns', 'default')));
    const html = await readFile(defaultRunIndex, 'utf8');
    expect(html.match(/<details class="cell /g)).toHaveLength(results.cells.length);
  });
});
