// The Explore page in a real browser (Debian's chromium, driven by playwright-core) against the real local stack: a
// chain from scripts/start.ts, the indexer (Ponder on PGlite) and the built app (`next start`). A farmer's node shows
// up in the list with its free capacity, price and online state; filters narrow it; a bad filter is refused before
// anything is sent. Any console error in the page fails the test. Screenshots go to app/test/screenshots/.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { parseEther, toHex } from "viem";
import { type Indexer, startPonder, stop } from "../../indexer/test/support/ponder.ts";
import { freePort, type Running, runNode, startChain } from "../../scripts/test/support.ts";
import { KeyPurpose } from "../../worker/src/identity.ts";
import { connectGrid, eventually, type Grid, ROOT } from "../../worker/test/support/grid.ts";

const CHROMIUM = "/usr/bin/chromium";
const NEXT = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
const SCREENSHOTS = path.join(ROOT, "app", "test", "screenshots");

/** What the page shows in `locator`'s elements, as a person reads it. */
const textOf = async (locator: Locator) => (await locator.allInnerTexts()).join("\n");

const skip = existsSync(CHROMIUM)
  ? false
  : `no ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does`;
if (skip) console.log(`# app browser tests skipped: ${skip}`);

describe("Explore (browser)", { timeout: 300_000, skip }, () => {
  let chain: Running;
  let indexer: Indexer;
  let app: Running;
  let appUrl: string;
  let browser: Browser;
  let page: Page;
  let grid: Grid;
  let dir: string;
  const consoleErrors: string[] = [];

  before(async () => {
    if (!existsSync(path.join(ROOT, "app", ".next", "BUILD_ID"))) {
      throw new Error("the app is not built: run `npm run build:app` first (npm test does)");
    }
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-app-"));
    const rpcPort = await freePort();
    const rpcUrl = `http://127.0.0.1:${rpcPort}`;
    chain = await startChain(rpcPort);
    grid = await connectGrid(rpcUrl);
    indexer = await startPonder({ rpcUrl, dataDir: dir, args: ["--schema", "app_test"] });
    const appPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    app = runNode([NEXT, "start", "--hostname", "127.0.0.1", "--port", String(appPort)], {
      cwd: path.join(ROOT, "app"),
      env: {
        NEXT_TELEMETRY_DISABLED: "1",
        FOURFOLD_CHAIN_ID: "31337",
        FOURFOLD_RPC_URL: rpcUrl,
        FOURFOLD_INDEXER_URL: indexer.url,
      },
    });
    await app.until(/Ready in/, 60_000);
    browser = await chromium.launch({
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
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    page.on("response", (response) => {
      if (response.status() >= 400) consoleErrors.push(`${response.status()} ${response.url()}`);
    });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await stop(app);
    await stop(indexer?.running);
    await stop(chain);
    await rm(dir, { recursive: true, force: true });
  });

  it("lists a farmer's node, online, with its free capacity and price, and narrows the list with filters", async () => {
    // A farmer registers a farm and a node in eu-west, and the node's key sends a heartbeat.
    const farmer = grid.wallet(1);
    const { contracts, call } = grid;
    const farmerId = await grid.register(farmer, "explore-farmer");
    const key = await grid.bindFreshKey(farmer, farmerId, KeyPurpose.Node);
    const farmId = await call<bigint>(farmer, contracts.nodes, "createFarm", [
      farmerId,
      "North",
      farmer.account.address,
    ]);
    const nodeId = await call<bigint>(farmer, contracts.nodes, "registerNode", [
      farmId,
      key.address,
      { cpu: 8, memoryMiB: 16_384, ssdGiB: 500, hddGiB: 0, gpus: 0 },
      { country: toHex("NL", { size: 2 }), region: "eu-west" },
      { cpu: parseEther("0.25"), memoryGiB: parseEther("0.01"), ssdGiB: 0n, hddGiB: 0n, gpu: 0n },
    ]);
    await call(grid.wallet(key), contracts.nodes, "heartbeat", [nodeId]);
    await eventually("the node in the indexer", async () => {
      const response = await fetch(`${indexer.url}/nodes`);
      const body = (await response.json()) as { total: number };
      return body.total === 1 ? true : undefined;
    });

    await page.goto(appUrl);
    const table = page.getByTestId("node-list");
    const row = table.locator("tbody tr").first();
    await row.waitFor({ timeout: 30_000 });
    assert.match(await textOf(row), new RegExp(`#${nodeId}\\s+farm ${farmId}`));
    assert.match(await textOf(row), /eu-west\s+NL/);
    assert.match(await textOf(row), /8 \/ 8/);
    assert.match(await textOf(row), /16 GiB \/ 16 GiB/);
    assert.match(await textOf(row), /0\.25 FOLD/);
    assert.match(await textOf(row), /Online/);
    await page.screenshot({ path: path.join(SCREENSHOTS, "explore.png"), fullPage: true });

    // Asking for 4 cores and 8 GiB prices that hour on the node: 4 x 0.25 + 8 x 0.01 = 1.08 FOLD.
    await page.getByLabel("CPU cores (at least)").fill("4");
    await page.getByLabel("Memory GiB (at least)").fill("8");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await eventually("the priced hour", async () => ((await textOf(row)).includes("1.08 FOLD") ? true : undefined));
    assert.equal(await table.locator("thead").getByText("Your hour costs").count(), 1);

    // More cores than the node has: nothing matches, and the page says so.
    await page.getByLabel("CPU cores (at least)").fill("16");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByText("No node matches these filters.").waitFor();

    // A bad filter is refused in the form, naming the field; the last good answer stays.
    await page.getByLabel("Country").fill("N1");
    await page.getByRole("button", { name: "Apply filters" }).click();
    assert.equal(await textOf(page.locator("form").getByRole("alert")), "Country: two letters, like NL, or empty");
    await page.getByText("No node matches these filters.").waitFor();

    // At 375 px wide the filters and the list still fit: the table scrolls inside its own box.
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole("button", { name: "Clear" }).click();
    await row.waitFor();
    const overflow = (await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number;
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    await page.screenshot({ path: path.join(SCREENSHOTS, "explore-375.png"), fullPage: true });

    assert.deepEqual(consoleErrors, []);
  });
});
