// AI jobs in a real browser (Debian's chromium, driven by playwright-core) against the real local stack: a chain from
// scripts/start.ts, the indexer (Ponder on PGlite), the built app with its blob store, and two real inference workers
// (worker/src/main.ts inference, tesseract) staked on the OCR model. A requester uploads a scanned document, pays by
// permit, and watches the job go from requested through committed and revealed to the challenge window (where a
// challenge no committee could answer is refused with the reason) and final, with the text shown and each worker's
// signature verified. Any console error in the page fails the test.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { type Address, parseEther } from "viem";
import { stop } from "../../indexer/test/support/ponder.ts";
import type { Running } from "../../scripts/test/support.ts";
import { eventually, type Grid, ROOT } from "../../worker/test/support/grid.ts";
import {
  type OcrMarket,
  PRICE,
  renderDocument,
  setUpOcrMarket,
  spawnInferenceWorker,
} from "../../worker/test/support/ocr-market.ts";
import { noChromium, type Stack, startStack, textOf, usabilityProblems, watchErrors } from "./support/browser.ts";

const SCREENSHOTS = path.join(ROOT, "app", "test", "screenshots");

const skip = noChromium();
if (skip) console.log(`# app job tests skipped: ${skip}`);

describe("AI jobs (browser)", { timeout: 300_000, skip }, () => {
  let stack: Stack;
  let appUrl: string;
  let page: Page;
  let grid: Grid;
  let market: OcrMarket;
  const workers: Running[] = [];
  const consoleErrors: string[] = [];

  /** The worker program's inference role with `keyFile`, on its own state directory and port. */
  async function startWorker(name: string, keyFile: string, rpcUrl: string): Promise<Running> {
    const worker = await spawnInferenceWorker({ stateDir: path.join(stack.dir, name), keyFile, rpcUrl });
    workers.push(worker);
    await worker.until(/inference role running/, 60_000);
    return worker;
  }

  before(async () => {
    stack = await startStack("app_jobs_test");
    ({ grid, appUrl } = stack);
    market = await setUpOcrMarket(grid, stack.dir);
    await Promise.all(market.keyFiles.map((keyFile, i) => startWorker(`worker-${i}`, keyFile, stack.rpcUrl)));
    page = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
    watchErrors(page, consoleErrors);
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    for (const worker of workers) await stop(worker);
    await stack?.stop();
  });

  it("runs an OCR job from an uploaded image to final, with the text shown and both workers' signatures verified", async () => {
    await page.goto(`${appUrl}/jobs`);
    await page.getByRole("button", { name: "Connect Burner wallet (local chain)" }).click();
    await page.getByText("10 ETH · 10,000 FOLD").waitFor();
    const requester = (await page.getByTestId("wallet-address").getAttribute("title")) as Address;
    await page.getByLabel("Handle").fill("ocr-requester");
    await page.getByRole("button", { name: "Register identity" }).click();
    const form = page.getByRole("region", { name: "Request a job" });
    await form.waitFor({ timeout: 30_000 });

    // The OCR model is offered with both staked workers, each at 2 FOLD a job; the fee defaults to what they charge.
    assert.match(await form.getByLabel("Model").inputValue(), /^\d+$/);
    assert.equal(await form.getByLabel("Most per worker (FOLD)").inputValue(), "2");
    const workerRows = form.locator("tbody tr");
    await workerRows.nth(1).waitFor();
    assert.match(await textOf(workerRows.first()), /2 FOLD\s+[\d,.]+ FOLD\s+yes/);

    // Bad input is refused before anything is sent, naming the field.
    await form.getByLabel("Workers that must agree").fill("9");
    await form.getByRole("button", { name: "Request job" }).click();
    assert.equal(await textOf(form.getByRole("alert")), "Workers: at most 5");
    await form.getByLabel("Workers that must agree").fill("2");
    await form.getByRole("button", { name: "Request job" }).click();
    assert.equal(await textOf(form.getByRole("alert")), "Input: choose an image file, or type text");
    assert.equal(await grid.client.readContract({ ...grid.contracts.jobs, functionName: "jobCount" }), 0n);

    // A scanned document, larger than fits on-chain: it goes to the app's blob store, and the job names it by URI.
    const scan = renderDocument(["INVOICE 4711", "Total due: 99 EUR"]);
    assert.ok(scan.length > 4_096, `the scan is ${scan.length} bytes`);
    await form
      .getByLabel("Image (for OCR)")
      .setInputFiles({ name: "invoice.png", mimeType: "image/png", buffer: scan });
    await form.getByText(`File: invoice.png, ${scan.length.toLocaleString("en")} bytes.`).waitFor();
    // What the chain knows is checked too: more workers than could claim it, or a fee under every worker's price, is
    // refused in words (once, such a job was sent and sat until its deadline).
    await form.getByLabel("Workers that must agree").fill("3");
    await form.getByRole("button", { name: "Request job" }).click();
    await form
      .getByRole("alert")
      .getByText(
        "Workers that must agree: only 2 of this model's workers can claim at 2 FOLD now: ask for 2 or fewer, or raise the fee",
      )
      .waitFor({ timeout: 10_000 });
    await form.getByLabel("Workers that must agree").fill("2");
    await form.getByLabel("Most per worker (FOLD)").fill("1.5");
    await form.getByRole("button", { name: "Request job" }).click();
    await form
      .getByRole("alert")
      .getByText(/^Most per worker: no worker of this model takes 1\.5 FOLD or less with stake free to claim now/)
      .waitFor({ timeout: 10_000 });
    assert.equal(await grid.client.readContract({ ...grid.contracts.jobs, functionName: "jobCount" }), 0n);
    await form.getByLabel("Most per worker (FOLD)").fill("2");
    await form.getByText("Escrowed now: 4 FOLD (2 × 2)").waitFor();
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "jobs"), []);
    await form.getByRole("button", { name: "Request job" }).click();

    // The job page follows it: committed (sealed), revealed, the challenge window, then final.
    await page.waitForURL(/\/jobs\/1$/, { timeout: 30_000 });
    await page.getByRole("heading", { name: /Job #1/ }).waitFor({ timeout: 30_000 });
    const job = await grid.client.readContract({ ...grid.contracts.jobs, functionName: "job", args: [1n] });
    assert.equal(job.requester, requester);
    assert.equal(job.redundancy, 2);
    const steps = page.getByRole("list", { name: "Progress" });
    await steps.getByText(/Challenge window ✓?…? open: ends in 1 h/).waitFor({ timeout: 120_000 });
    assert.match(await textOf(steps), /Committed ✓ 2 of 2 workers/);
    assert.match(await textOf(steps), /Revealed ✓ 2 of 2 results/);
    await page.screenshot({ path: path.join(SCREENSHOTS, "job-proposed.png"), fullPage: true });

    // Anyone may challenge the proposal, with the bond; with only the job's own two workers serving the model no
    // committee could be drawn, and the page says so before the challenge is sent: nothing changes.
    const challenge = page.getByRole("region", { name: "Challenge" });
    await challenge.getByText(/with a bond of 10 FOLD/).waitFor({ timeout: 30_000 });
    await challenge.getByRole("button", { name: "Challenge" }).click();
    await challenge
      .getByText("Too few workers serve this model for a committee (2; at least 3): job 1 cannot be challenged.")
      .waitFor({ timeout: 30_000 });
    const unchallenged = await grid.client.readContract({ ...grid.contracts.jobs, functionName: "job", args: [1n] });
    assert.deepEqual([unchallenged.state, unchallenged.challenged], [3, false]); // JobState.Proposed

    // After the window, a worker finalizes it; the page shows the text the model read.
    await grid.advanceTime(3_601);
    await page.getByRole("heading", { name: /Job #1\s+Final/ }).waitFor({ timeout: 60_000 });
    const output = page.getByTestId("job-output");
    await output.waitFor({ timeout: 30_000 });
    assert.match(await textOf(output), /INVOICE 4711/);
    assert.match(await textOf(output), /Total due: 99 EUR/);
    const signatures = page
      .getByTestId("job-workers")
      .getByText(/^verified: 0x[0-9a-fA-F]{8}…[0-9a-fA-F]{6}, a Worker key of worker-(alice|bob)$/);
    await eventually("both signatures verified", async () => ((await signatures.count()) === 2 ? true : undefined));
    assert.match(
      await textOf(page.getByRole("region", { name: "Provenance" })),
      /on-chain|\/api\/blobs\/0x[0-9a-f]{64}/,
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, "job-final.png"), fullPage: true });
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "job"), []);

    // The requester paid the two workers' price and nothing more.
    const final = await grid.client.readContract({ ...grid.contracts.jobs, functionName: "job", args: [1n] });
    assert.equal(final.state, 5); // JobState.Final
    const balance = await grid.client.readContract({
      ...grid.contracts.token,
      functionName: "balanceOf",
      args: [requester],
    });
    assert.equal(balance, parseEther("10000") - 2n * PRICE);

    // The job is in the requester's list.
    await page.goto(`${appUrl}/jobs`);
    await page
      .getByRole("region", { name: "Your jobs" })
      .getByText(/Job #1 · tesseract eng · Final · 2\/2 results/)
      .waitFor();
    assert.equal(market.modelId, 1n);
    assert.deepEqual(consoleErrors, []);
  });

  it("warns about a job nobody claims, and after its deadline closes it for a full refund", async () => {
    // Sent by another client at a fee under both workers' price: nobody may claim it.
    const { call, contracts, client } = grid;
    const requester = grid.wallet(8);
    const requesterId = await grid.register(requester, "stuck-requester");
    const fee = PRICE / 2n;
    await grid.fundFold(requester, 2n * fee, contracts.jobs.address);
    const before = await client.readContract({
      ...contracts.token,
      functionName: "balanceOf",
      args: [requester.account.address],
    });
    const input = new TextEncoder().encode("nobody reads this");
    const deadline = (await client.getBlock()).timestamp + 3_600n;
    const jobId = await call<bigint>(requester, contracts.jobs, "requestJob", [
      {
        requesterId,
        modelId: market.modelId,
        input: `0x${Buffer.from(input).toString("hex")}`,
        inputHash: `0x${createHash("sha256").update(input).digest("hex")}`,
        inputURI: "",
        grantIds: [],
        redundancy: 2,
        maxFeePerWorker: fee,
        deadline: Number(deadline),
        callback: "0x0000000000000000000000000000000000000000",
        callbackGasLimit: 0,
      },
    ]);
    await page.goto(`${appUrl}/jobs/${jobId}`);
    await page.getByRole("heading", { name: new RegExp(`Job #${jobId}\\s+Open`) }).waitFor({ timeout: 30_000 });
    await page
      .getByRole("status")
      .getByText(/^No worker has claimed this job yet\. If none does within \d+ (min|h)/)
      .waitFor();
    await page.getByText(/results sealed until all are in \(or the deadline, in \d+ (min|h)/).waitFor();

    await grid.advanceTime(3_601);
    const close = page.getByRole("region", { name: "Deadline passed" });
    await close.waitFor({ timeout: 30_000 });
    assert.match(
      await textOf(close),
      /No worker claimed this job before its deadline\. Close it, and the whole escrow goes back/,
    );
    await close.getByRole("button", { name: "Close and refund" }).click();
    // Once refunded, the page moves on (the close section goes with the Open state).
    await page.getByRole("heading", { name: new RegExp(`Job #${jobId}\\s+Refunded`) }).waitFor({ timeout: 30_000 });
    const refunded = await client.readContract({ ...contracts.jobs, functionName: "job", args: [jobId] });
    assert.equal(refunded.state, 7); // JobState.Refunded
    const after = await client.readContract({
      ...contracts.token,
      functionName: "balanceOf",
      args: [requester.account.address],
    });
    assert.equal(after, before, "the whole escrow came back");
    assert.deepEqual(consoleErrors, []);
  });

  it("keeps blobs by sha256: stores, serves, and refuses empty, oversized or misnamed ones", async () => {
    const bytes = new TextEncoder().encode("a job input");
    const stored = await fetch(`${appUrl}/api/blobs`, { method: "POST", body: bytes });
    assert.equal(stored.status, 201);
    const body = (await stored.json()) as { hash: string; uri: string; bytes: number };
    assert.equal(body.hash, `0x${createHash("sha256").update(bytes).digest("hex")}`);
    assert.equal(body.uri, `${appUrl}/api/blobs/${body.hash}`);
    assert.equal(body.bytes, bytes.length);
    const served = await fetch(body.uri);
    assert.equal(served.status, 200);
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), bytes);
    // The same bytes again: the same blob.
    assert.equal(
      ((await (await fetch(`${appUrl}/api/blobs`, { method: "POST", body: bytes })).json()) as { hash: string }).hash,
      body.hash,
    );

    const refused = async (response: Promise<Response>, status: number, error: RegExp) => {
      const answer = await response;
      assert.equal(answer.status, status);
      assert.match(((await answer.json()) as { error: string }).error, error);
    };
    await refused(fetch(`${appUrl}/api/blobs`, { method: "POST", body: new Uint8Array() }), 400, /^the blob is empty$/);
    await refused(
      fetch(`${appUrl}/api/blobs`, { method: "POST", body: new Uint8Array(4 * 1024 * 1024 + 1) }),
      413,
      /^a blob is at most 4194304 bytes; this one is 4194305$/,
    );
    await refused(fetch(`${appUrl}/api/blobs/not-a-hash`), 400, /^a blob is named by its sha256/);
    await refused(fetch(`${appUrl}/api/blobs/0x${"0".repeat(64)}`), 404, /^no blob 0x0{64}$/);
  });
});
