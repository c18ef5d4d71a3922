/// <reference lib="dom" />
// The app as tests and benches run it: `next start` on a port of their own (the app must be built), and Debian's
// chromium driven by playwright-core, headless, with the flags that work on this machine kind (docs/toolchain.md);
// and the whole stack a browser test runs against, with the page errors that fail it. (The DOM library types the
// functions that run in the page.)
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { type Indexer, startPonder, stop } from "../../../indexer/test/support/ponder.ts";
import { freePort, type Running, runNode, startChain } from "../../../scripts/test/support.ts";
import { connectGrid, type Grid } from "../../../worker/test/support/grid.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const NEXT = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
export const CHROMIUM = "/usr/bin/chromium";

/** Why the browser tests cannot run here, if they cannot. */
export const noChromium = (): string | false =>
  existsSync(CHROMIUM)
    ? false
    : `no ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does`;

/** Runs the built app against `rpcUrl` and `indexerUrl`, its blob store in `blobsDir`; resolves once it is ready. */
export async function startApp(options: {
  rpcUrl: string;
  indexerUrl: string;
  blobsDir: string;
}): Promise<{ running: Running; url: string }> {
  if (!existsSync(path.join(ROOT, "app", ".next", "BUILD_ID"))) {
    throw new Error("the app is not built: run `npm run build:app` first (npm test does)");
  }
  const port = await freePort();
  const running = runNode([NEXT, "start", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: path.join(ROOT, "app"),
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      FOURFOLD_CHAIN_ID: "31337",
      FOURFOLD_RPC_URL: options.rpcUrl,
      FOURFOLD_INDEXER_URL: options.indexerUrl,
      FOURFOLD_BLOBS_DIR: options.blobsDir,
    },
  });
  await running.until(/Ready in/, 60_000);
  return { running, url: `http://127.0.0.1:${port}` };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** What the page shows in `locator`'s elements, as a person reads it. */
export const textOf = async (locator: Locator) => (await locator.allInnerTexts()).join("\n");

/** Records in `errors` every console error, uncaught page error and failed request (status 400 and up) of `page`:
 * the browser tests fail on any of them. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
}

export interface Stack {
  readonly dir: string;
  readonly rpcUrl: string;
  readonly grid: Grid;
  readonly indexer: Indexer;
  readonly appUrl: string;
  readonly browser: Browser;
  /** Stops the browser, the app, the indexer and the chain, and removes `dir`. */
  stop(): Promise<void>;
}

/** What every browser test runs against: a local chain (scripts/start.ts), the indexer on PGlite in schema
 * `schema`, the built app (its blob store in a temporary directory) and chromium. */
export async function startStack(schema: string): Promise<Stack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `fourfold-${schema}-`));
  const rpcPort = await freePort();
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;
  const chain = await startChain(rpcPort);
  let indexer: Indexer | undefined;
  let app: Running | undefined;
  let browser: Browser | undefined;
  const stopAll = async () => {
    await browser?.close();
    await stop(app);
    await stop(indexer?.running);
    await stop(chain);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const grid = await connectGrid(rpcUrl);
    indexer = await startPonder({ rpcUrl, dataDir: dir, args: ["--schema", schema] });
    const started = await startApp({ rpcUrl, indexerUrl: indexer.url, blobsDir: path.join(dir, "blobs") });
    app = started.running;
    browser = await launchChromium();
    return { dir, rpcUrl, grid, indexer, appUrl: started.url, browser, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What a person on a phone or a keyboard meets on `page` as it is now: at 375 px wide nothing is wider than the
 * screen, every visible control has a name a screen reader says, and Tab reaches every visible, enabled control.
 * Returns the problems (none when usable), after a screenshot `<shot>-375.png` in `dir`; the viewport is restored. */
export async function usabilityProblems(page: Page, dir: string, shot: string): Promise<string[]> {
  const before = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 800 });
  try {
    const problems: string[] = [];
    const overflow = (await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number;
    if (overflow > 0) problems.push(`the page is ${overflow} px wider than a 375 px screen`);

    // Mark every visible control with its index, and name the ones without an accessible name.
    const controls = await page.evaluate(() => {
      const visible = (el: Element) => {
        const style = getComputedStyle(el);
        return el.getClientRects().length > 0 && style.visibility !== "hidden" && style.display !== "none";
      };
      const nameOf = (el: HTMLElement): string => {
        const aria = el.getAttribute("aria-label") ?? "";
        const by = (el.getAttribute("aria-labelledby") ?? "")
          .split(/\s+/)
          .map((id) => (id ? (document.getElementById(id)?.textContent ?? "") : ""))
          .join(" ");
        const labels =
          "labels" in el && (el as HTMLInputElement).labels
            ? [...((el as HTMLInputElement).labels ?? [])].map((l) => l.textContent ?? "").join(" ")
            : "";
        const own = el.matches("button, a, summary") ? (el.textContent ?? "") : "";
        const value = el.matches("input[type=submit], input[type=button]") ? (el as HTMLInputElement).value : "";
        return [aria, by, labels, own, value, el.getAttribute("title") ?? ""].join(" ").trim();
      };
      const found = [
        ...document.querySelectorAll<HTMLElement>(
          "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex^='-'])",
        ),
      ].filter(visible);
      return found.map((el, i) => {
        el.dataset.usability = String(i);
        const disabled = el.matches(":disabled") || el.getAttribute("aria-disabled") === "true";
        const describe = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
        return { i, name: nameOf(el), disabled, describe };
      });
    });
    for (const c of controls) if (c.name === "") problems.push(`${c.describe} has no accessible name`);

    // Tab from the top of the page until focus comes back round, noting every control it lands on.
    const reached = new Set<number>();
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    for (let step = 0; step < controls.length + 5; step++) {
      await page.keyboard.press("Tab");
      const at = (await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.usability)) as
        | string
        | undefined;
      if (at !== undefined) reached.add(Number(at));
    }
    for (const c of controls) {
      if (!c.disabled && !reached.has(c.i)) problems.push(`${c.describe} cannot be reached with Tab`);
    }
    await page.screenshot({ path: path.join(dir, `${shot}-375.png`), fullPage: true });
    return problems;
  } finally {
    if (before) await page.setViewportSize(before);
  }
}
