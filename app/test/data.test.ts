// Data in a real browser (Debian's chromium, driven by playwright-core) against the real local stack: a chain from
// scripts/start.ts, the indexer (Ponder on PGlite) and the built app with its blob store. Two browsers, each with its
// own burner wallet: an owner encrypts and registers a dataset; a consumer makes an encryption key and requests
// access, paying by permit; the owner approves and delivers the key, sealed to the consumer; the consumer decrypts
// the dataset in the browser; the owner revokes, and the consumer is refunded the time not run. Any console error in
// either page fails the test.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { type Address, type Hex, hexToBytes, parseEther, toHex } from "viem";
import { publicKeyOf } from "../../worker/src/crypto/seal.ts";
import { type Grid, ROOT } from "../../worker/test/support/grid.ts";
import { noChromium, type Stack, startStack, textOf, usabilityProblems, watchErrors } from "./support/browser.ts";

const SCREENSHOTS = path.join(ROOT, "app", "test", "screenshots");
const DATASET = "station,celsius\nAntwerp,21\nGhent,19\n";

const skip = noChromium();
if (skip) console.log(`# app data tests skipped: ${skip}`);

describe("Data (browser)", { timeout: 300_000, skip }, () => {
  let stack: Stack;
  let appUrl: string;
  let browser: Browser;
  let owner: Page;
  let consumer: Page;
  let grid: Grid;
  const consoleErrors: string[] = [];

  /** A page in a browser context of its own (its own burner wallet), whose console errors fail the test. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watchErrors(page, consoleErrors);
    return page;
  }

  /** Opens /data on `page` with its burner connected and an identity named `handle`. */
  async function signIn(page: Page, handle: string): Promise<Address> {
    await page.goto(`${appUrl}/data`);
    await page.getByRole("button", { name: "Connect Burner wallet (local chain)" }).click();
    await page.getByText("10 ETH · 10,000 FOLD").waitFor();
    await page.getByLabel("Handle").fill(handle);
    await page.getByRole("button", { name: "Register identity" }).click();
    await page.getByRole("region", { name: "Register a dataset" }).waitFor({ timeout: 30_000 });
    return (await page.getByTestId("wallet-address").getAttribute("title")) as Address;
  }

  before(async () => {
    stack = await startStack("app_data_test");
    ({ grid, appUrl, browser } = stack);
    owner = await newPage();
    consumer = await newPage();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await stack?.stop();
  });

  it("registers an encrypted dataset; a grant is requested, approved with its key delivered, decrypted, and revoked", async () => {
    // The owner encrypts and registers a dataset; bad terms and a missing file are refused first.
    await signIn(owner, "data-owner");
    const register = owner.getByRole("region", { name: "Register a dataset" });
    await register.getByRole("button", { name: "Register dataset" }).click();
    // A dataset has a name the market lists it by (once, it was listed as "Dataset #1 · identity 7").
    assert.equal(
      await textOf(register.getByRole("alert")),
      "Name: what the market lists it as, like EU city temperatures",
    );
    await register.getByLabel("Name").fill("Antwerp temperatures");
    await register.getByRole("button", { name: "Register dataset" }).click();
    assert.equal(
      await textOf(register.getByRole("alert")),
      "Licence: say what a grantee may do with the data, or link to it",
    );
    await register.getByLabel("Licence").fill("Research use only; no redistribution.");
    await register.getByRole("button", { name: "Register dataset" }).click();
    assert.equal(await textOf(register.getByRole("alert")), "File: choose the dataset's file");
    // An empty file is no dataset (once, it registered).
    await register
      .getByLabel("File")
      .setInputFiles({ name: "empty.csv", mimeType: "text/csv", buffer: Buffer.alloc(0) });
    await register.getByText("empty.csv: 0 bytes.").waitFor();
    await register.getByRole("button", { name: "Register dataset" }).click();
    assert.equal(await textOf(register.getByRole("alert")), "File: empty.csv is empty: a dataset has something in it");
    assert.equal(await grid.client.readContract({ ...grid.contracts.data, functionName: "datasetCount" }), 0n);
    await register
      .getByLabel("File")
      .setInputFiles({ name: "temperatures.csv", mimeType: "text/csv", buffer: Buffer.from(DATASET) });
    await register.getByText(`temperatures.csv: ${DATASET.length} bytes.`).waitFor();
    await register.getByRole("button", { name: "Register dataset" }).click();
    await register.getByText("Registering the dataset: confirmed.").waitFor({ timeout: 30_000 });
    const onChain = await grid.client.readContract({ ...grid.contracts.data, functionName: "dataset", args: [1n] });
    assert.equal(onChain.contentHash, `0x${createHash("sha256").update(DATASET).digest("hex")}`);
    assert.equal(onChain.terms.pricePerDay, parseEther("1"));
    assert.equal(onChain.terms.purposes, 1 << 2); // Inference
    // What the blob store holds is the ciphertext, not the data.
    const [registered] = await grid.client.getContractEvents({
      ...grid.contracts.data,
      eventName: "DatasetRegistered",
      fromBlock: 0n,
    });
    const stored = Buffer.from(await (await fetch(registered?.args.encryptedURI ?? "")).arrayBuffer());
    assert.equal(stored.length, DATASET.length + 21 + 16);
    assert.ok(!stored.includes("Antwerp"));
    await owner.getByTestId("dataset-1").getByText("No request yet.").waitFor({ timeout: 30_000 });

    // The consumer makes an encryption key, then asks for 2 days and 3 uses: 2 x 1 + 3 x 0.1 = 2.3 FOLD.
    const consumerAddress = await signIn(consumer, "data-user");
    await consumer.getByRole("button", { name: "Create an encryption key" }).click();
    const encryptionKey = consumer.getByTestId("encryption-key");
    await encryptionKey.waitFor({ timeout: 30_000 });
    // Its secret can be kept as a file; its public half is the one on chain.
    const backup = await encryptionKey.getByRole("link", { name: "keep a copy of the secret" }).getAttribute("href");
    const secret = decodeURIComponent((backup ?? "").replace("data:text/plain;charset=utf-8,", "")).trim() as Hex;
    const consumerId = await grid.client.readContract({
      ...grid.contracts.identities,
      functionName: "idOfHandle",
      args: ["data-user"],
    });
    assert.equal(
      await grid.client.readContract({
        ...grid.contracts.identities,
        functionName: "encryptionKeyOf",
        args: [consumerId],
      }),
      toHex(publicKeyOf(hexToBytes(secret))),
    );
    const offer = consumer.getByTestId("market-1");
    await offer.waitFor({ timeout: 30_000 });
    await offer.getByRole("heading", { name: "Antwerp temperatures (dataset #1)" }).waitFor();
    await offer.getByLabel("Days").fill("31");
    await offer.getByRole("button", { name: "Request access" }).click();
    assert.equal(await textOf(offer.getByRole("alert")), "Days: at most 30 for this dataset");
    await offer.getByLabel("Days").fill("2");
    await offer.getByLabel("Uses").fill("3");
    await offer.getByText("Price: 2.3 FOLD, escrowed until the owner answers").waitFor();
    await offer.getByRole("button", { name: "Request access" }).click();
    await offer.getByText("Requesting access: confirmed.").waitFor({ timeout: 30_000 });
    const access = consumer.getByTestId("access-1");
    await access.getByText("Requested", { exact: true }).waitFor({ timeout: 30_000 });
    assert.match(await textOf(access), /waiting for the owner/);
    await consumer.screenshot({ path: path.join(SCREENSHOTS, "data-requested.png"), fullPage: true });

    // The owner approves, and this browser delivers the dataset key sealed to the consumer's key.
    const request = owner.getByTestId("grant-1");
    await request.getByText("Requested", { exact: true }).waitFor({ timeout: 30_000 });
    await request.getByRole("button", { name: "Approve and deliver the key" }).click();
    // Once the indexer has the key delivered, the button (and its transaction's state) give way to the grant's terms.
    await request.getByText(/Active[\s\S]*3 of 3 uses left, ends in 1\.9 d$/).waitFor({ timeout: 30_000 });
    const approved = await grid.client.readContract({ ...grid.contracts.data, functionName: "grant", args: [1n] });
    assert.equal(approved.state, 2); // Active
    assert.equal(approved.keyDelivered, true);
    await owner.screenshot({ path: path.join(SCREENSHOTS, "data-owner.png"), fullPage: true });
    assert.deepEqual(await usabilityProblems(owner, SCREENSHOTS, "data-owner"), []);

    // The consumer decrypts it here, with the delivered key.
    await access.getByRole("button", { name: "Decrypt the dataset" }).click({ timeout: 30_000 });
    assert.equal(await access.getByTestId("dataset-plaintext").textContent(), DATASET);
    await consumer.screenshot({ path: path.join(SCREENSHOTS, "data-decrypted.png"), fullPage: true });
    assert.deepEqual(await usabilityProblems(consumer, SCREENSHOTS, "data-consumer"), []);

    // The owner revokes: the time not run goes back to the consumer.
    await request.getByRole("button", { name: "Revoke" }).click();
    await request.getByText("Revoked", { exact: true }).waitFor({ timeout: 30_000 });
    await access.getByText("Revoked", { exact: true }).waitFor({ timeout: 30_000 });
    await access.getByText(/· [\d.]+ FOLD refunded/).waitFor();
    const revoked = await grid.client.readContract({ ...grid.contracts.data, functionName: "grant", args: [1n] });
    assert.equal(revoked.state, 6); // Revoked
    const balance = await grid.client.readContract({
      ...grid.contracts.token,
      functionName: "balanceOf",
      args: [consumerAddress],
    });
    const [ended] = await grid.client.getContractEvents({
      ...grid.contracts.data,
      eventName: "GrantEnded",
      args: { grantId: 1n },
      fromBlock: 0n,
    });
    const refund = ended?.args.refund ?? 0n;
    // The 3 uses not made and the time not run came back; the seconds that ran were paid for.
    assert.ok(refund > parseEther("0.3") && refund < parseEther("2.3"), `refund ${refund}`);
    assert.equal(balance, parseEther("10000") - parseEther("2.3") + refund);
    assert.deepEqual(consoleErrors, []);
  });
});
