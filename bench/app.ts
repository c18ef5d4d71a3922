// `npm run bench:app`: the Explore page's weight and speed, written to bench/results/app.json.
//
// A local chain gets 10,000 nodes (10 farms of 1,000, as bench:indexer registers them) and a round of heartbeats;
// the indexer (Ponder on PGlite) indexes them; the built app (`next start`) serves Explore. Then, in Debian's
// chromium:
// - exploreFirstLoadKbGzip: the JavaScript of Explore's first load (every script the page fetched, each gzipped
//   at level 6, summed, in kB of 1,000 bytes); goal at most 250;
// - exploreReadyMsP50: from the start of navigation to the paint of the node list's first row, as the browser's
//   Element Timing API reports it (the row carries elementtiming="first-node"), in a fresh browser context each time
//   (nothing cached), 5 loads, the median; goal at most 1,500 ms;
// - exploreVisibleToPlaywrightMsP50: the same loads timed from outside, from page.goto until Playwright sees the row
//   visible; this adds the automation's polling, which waits while the page's main thread is busy starting up.
// The app must be built first (`npm run build:app`).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { launchChromium, noChromium, startApp } from "../app/test/support/browser.ts";
import { startPonder, stop, untilIndexed } from "../indexer/test/support/ponder.ts";
import { freePort, type Running, startChain } from "../scripts/test/support.ts";
import { connectGrid } from "../worker/test/support/grid.ts";
import { heartbeatRound, log, percentile, registerNodes, round1, Sender, saveResults } from "./support/load.ts";

const FARMS = 10;
const NODES_PER_FARM = 1_000;
const LOADS = 5;

const missing = noChromium();
if (missing) throw new Error(missing);
const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-bench-app-"));
const running: Running[] = [];
try {
  const rpcPort = await freePort();
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;
  running.push(await startChain(rpcPort));
  const grid = await connectGrid(rpcUrl);
  await grid.client.request({ method: "evm_setAutomine" as never, params: [false] as never });
  const sender = new Sender(grid);
  const loaded = await registerNodes(grid, sender, { farms: FARMS, nodesPerFarm: NODES_PER_FARM });
  await heartbeatRound(grid, sender, loaded);
  await grid.client.request({ method: "evm_setAutomine" as never, params: [true] as never });
  const head = await grid.client.getBlockNumber();

  log("indexing");
  const indexer = await startPonder({ rpcUrl, dataDir: dir, args: ["--schema", "bench_app"] });
  running.push(indexer.running);
  await untilIndexed(indexer, head, 600_000);
  const app = await startApp({ rpcUrl, indexerUrl: indexer.url, blobsDir: path.join(dir, "blobs") });
  running.push(app.running);

  const browser = await launchChromium();
  try {
    // A warm-up load: Next compiles nothing at run time, but its server and the indexer's caches start cold.
    const warm = await browser.newContext();
    await (await warm.newPage()).goto(app.url);
    await warm.close();

    const loads: number[] = [];
    const seen: number[] = [];
    let scripts: { url: string; bytes: number; gzipBytes: number }[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const fetched: Promise<{ url: string; bytes: number; gzipBytes: number }>[] = [];
      page.on("response", (response) => {
        if (response.request().resourceType() !== "script") return;
        fetched.push(
          response
            .body()
            .then((body) => ({ url: response.url(), bytes: body.length, gzipBytes: gzipSync(body).length })),
        );
      });
      const started = performance.now();
      await page.goto(app.url, { waitUntil: "commit" });
      await page.getByTestId("node-list").locator("tbody tr").first().waitFor({ timeout: 60_000 });
      seen.push(performance.now() - started);
      const painted = (await page.evaluate(`new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const entry = list.getEntries().find((e) => e.identifier === "first-node");
          if (entry) resolve(entry.renderTime || entry.loadTime);
        }).observe({ type: "element", buffered: true });
        setTimeout(() => resolve(null), 5000);
      })`)) as number | null;
      if (painted === null) throw new Error("the browser reported no paint of the node list's first row");
      loads.push(painted);
      const total = await page.getByText(/^10,000 nodes/).count();
      if (total !== 1) throw new Error("Explore did not report the 10,000 nodes");
      await page.waitForLoadState("networkidle");
      if (i === 0) scripts = await Promise.all(fetched);
      await context.close();
      log(
        `load ${i + 1}/${LOADS}: node list painted at ${loads.at(-1)?.toFixed(0)} ms, seen at ${seen.at(-1)?.toFixed(0)} ms`,
      );
    }
    const result = {
      exploreFirstLoadKbGzip: round1(scripts.reduce((sum, s) => sum + s.gzipBytes, 0) / 1_000),
      exploreReadyMsP50: round1(percentile(loads, 50)),
      loadsMs: loads.map(round1),
      exploreVisibleToPlaywrightMsP50: round1(percentile(seen, 50)),
      visibleMs: seen.map(round1),
      scripts: scripts.length,
      scriptsKbRaw: round1(scripts.reduce((sum, s) => sum + s.bytes, 0) / 1_000),
      nodes: FARMS * NODES_PER_FARM,
    };
    await saveResults("app", result, {
      "exploreFirstLoadKbGzip <= 250": result.exploreFirstLoadKbGzip <= 250,
      "exploreReadyMsP50 <= 1500": result.exploreReadyMsP50 <= 1_500,
    });
  } finally {
    await browser.close();
  }
} finally {
  for (const child of running.reverse()) await stop(child);
  await rm(dir, { recursive: true, force: true });
}
