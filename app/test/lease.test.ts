// Leasing in a real browser (Debian's chromium, driven by playwright-core) against the real local stack: a chain from
// scripts/start.ts, the indexer (Ponder on PGlite), the built app, and a real node agent (worker/src/main.ts node)
// that registered its own farm and node, heartbeats, runs workloads and acknowledges leases. A tenant finds the node
// on Explore, opens a lease (its manifest sealed in the browser, its deposit paid by permit) and sees it Active with
// its endpoint serving; then tops it up and closes it. Any console error in the page fails the test.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { type Address, type Hex, keccak256, parseEther, toBytes, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type Indexer, stop } from "../../indexer/test/support/ponder.ts";
import { type Running, runNode } from "../../scripts/test/support.ts";
import { HTTP_ECHO, workloadsOf } from "../../worker/test/support/agent.ts";
import { devAccount, eventually, type Grid, ROOT } from "../../worker/test/support/grid.ts";
import { noChromium, type Stack, startStack, textOf, usabilityProblems, watchErrors } from "./support/browser.ts";

const SCREENSHOTS = path.join(ROOT, "app", "test", "screenshots");

const skip = noChromium();
if (skip) console.log(`# app lease tests skipped: ${skip}`);

describe("Leasing (browser)", { timeout: 300_000, skip }, () => {
  let stack: Stack;
  let indexer: Indexer;
  let agent: Running;
  let appUrl: string;
  let page: Page;
  let grid: Grid;
  let dir: string;
  let nodeId: bigint;
  let tenant: Address;
  const nodeKey = generatePrivateKey();
  const nodeAddress = privateKeyToAccount(nodeKey).address;
  const consoleErrors: string[] = [];

  before(async () => {
    stack = await startStack("app_lease_test");
    ({ grid, indexer, appUrl, dir } = stack);
    const { rpcUrl } = stack;

    // The farmer's node agent: dev account 1 owns the farm; the node key needs ETH for its heartbeats.
    await grid.mined(await grid.deployer.sendTransaction({ to: nodeAddress, value: parseEther("10") }));
    const ownerKey = toHex(devAccount(1).getHdKey().privateKey ?? new Uint8Array());
    await writeFile(path.join(dir, "node.key"), `${nodeKey}\n`, { mode: 0o600 });
    await writeFile(path.join(dir, "owner.key"), `${ownerKey}\n`, { mode: 0o600 });
    await writeFile(
      path.join(dir, "node.json"),
      JSON.stringify({
        farm: { handle: "lease-farm", name: "Antwerp" },
        node: {
          country: "BE",
          region: "eu-central",
          resources: { cpu: 4, memoryMiB: 4_096, ssdGiB: 20 },
          prices: { cpu: "0.5", memoryGiB: "0.1", ssdGiB: "0", hddGiB: "0", gpu: "0" },
        },
        heartbeatIntervalSeconds: 2,
        pollIntervalMs: 200,
        settleIntervalSeconds: 0,
        templates: { "http-echo": HTTP_ECHO },
      }),
    );
    agent = runNode(
      [
        path.join(ROOT, "worker", "src", "main.ts"),
        "node",
        "--config",
        path.join(dir, "node.json"),
        "--key-file",
        path.join(dir, "node.key"),
        "--owner-key-file",
        path.join(dir, "owner.key"),
        "--rpc-url",
        rpcUrl,
        "--state-dir",
        path.join(dir, "agent"),
      ],
      { cwd: ROOT },
    );
    nodeId = await eventually(
      "the agent's node registered",
      async () => {
        const id = await grid.client.readContract({
          ...grid.contracts.nodes,
          functionName: "nodeOfKey",
          args: [nodeAddress],
        });
        return id === 0n ? undefined : id;
      },
      60_000,
    );
    await eventually("the node in the indexer, online", async () => {
      const body = (await (await fetch(`${indexer.url}/nodes?online=true`)).json()) as { total: number };
      return body.total === 1 ? true : undefined;
    });

    page = await stack.browser.newPage({ viewport: { width: 1280, height: 800 } });
    watchErrors(page, consoleErrors);
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await stop(agent);
    for (const pid of await workloadsOf(nodeAddress)) process.kill(pid, "SIGKILL");
    await stack?.stop();
  });

  it("finds the node on Explore, opens a lease with a sealed manifest and a permit, and sees it Active and serving", async () => {
    await page.goto(appUrl);
    await page.getByRole("button", { name: "Connect Burner wallet (local chain)" }).click();
    await page.getByText("10 ETH · 10,000 FOLD").waitFor();
    tenant = (await page.getByTestId("wallet-address").getAttribute("title")) as Address;
    await page
      .getByTestId("node-list")
      .getByRole("link", { name: `#${nodeId}` })
      .click();
    await page.getByRole("link", { name: "Lease capacity on this node" }).click();
    await page.getByRole("heading", { name: `Lease capacity on node #${nodeId}` }).waitFor();
    await page
      .getByText(/eu-central, BE · farm Antwerp \(lease-farm\) · free: 4 cores, 4 GiB memory, 20 GiB SSD/)
      .waitFor();

    // Leases belong to an identity: the page asks for one first.
    await page.getByLabel("Handle").fill("tenant-one");
    await page.getByRole("button", { name: "Register identity" }).click();
    const form = page.getByRole("region", { name: "Open a lease" });
    await form.waitFor({ timeout: 30_000 });

    // One core and 256 MiB at 0.5 FOLD per core-hour and 0.1 per GiB-hour: 0.525 FOLD an hour, 1.05 for two hours.
    await form.getByLabel("CPU cores").fill("1");
    await form.getByLabel("Memory GiB").fill("0.25");
    await form.getByLabel("Prepaid hours").fill("2");
    const quote = form.getByTestId("lease-quote");
    await eventually("the quote", async () => ((await textOf(quote)).includes("0.525 FOLD") ? true : undefined)).catch(
      async (error) => {
        throw new Error(`${error.message}; it reads: ${await textOf(quote)}`);
      },
    );
    assert.match(await textOf(quote), /Deposit for 2 h\s+1\.05 FOLD/);
    assert.match(await textOf(quote), /Least deposit\s+0\.0875 FOLD \(10 min of grace\)/);
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "lease"), []);

    // Bad input is refused in the form, naming the field, and nothing is sent.
    await form.getByRole("button", { name: "Open lease" }).click();
    assert.match(await textOf(form.getByRole("alert")), /^Workload: the name of one of the farm's templates/);
    await form.getByLabel("Workload template").fill("http-echo");
    await form.getByLabel("Parameters (name=value per line)").fill("just words");
    await form.getByRole("button", { name: "Open lease" }).click();
    assert.equal(await textOf(form.getByRole("alert")), "Parameters, line 1: write name=value, like message=hello");
    await form.getByLabel("Memory GiB").fill("0.3");
    await form.getByLabel("Parameters (name=value per line)").fill("message=hello from the browser");
    await form.getByRole("button", { name: "Open lease" }).click();
    assert.match(await textOf(form.getByRole("alert")), /^Memory: a whole number of MiB/);
    // What the chain knows is checked before sending: LeaseMarket's minimum (once, a lease of memory alone was
    // accepted, and the process driver ran it on every core) and the node's free capacity (once, the transaction was
    // sent and NodeRegistry's refusal shown as a bare selector).
    for (const [cpu, memoryGiB, refusal] of [
      ["0", "0.25", "Resources: a lease holds at least 1 CPU core and 64 MiB of memory"],
      ["1", "0", "Resources: a lease holds at least 1 CPU core and 64 MiB of memory"],
      ["5", "0.25", "CPU cores: more than the node has free"],
      ["1", "5", "Memory: more than the node has free"],
    ]) {
      await form.getByLabel("CPU cores").fill(cpu as string);
      await form.getByLabel("Memory GiB").fill(memoryGiB as string);
      await form.getByRole("button", { name: "Open lease" }).click();
      await form
        .getByRole("alert")
        .getByText(refusal as string)
        .waitFor({ timeout: 10_000 });
    }
    await form.getByLabel("CPU cores").fill("1");
    assert.equal(await grid.client.readContract({ ...grid.contracts.leases, functionName: "leaseCount" }), 0n);

    await form.getByLabel("Memory GiB").fill("0.25");
    await form.getByRole("button", { name: "Open lease" }).click();
    await page.getByTestId("lease-opened").waitFor({ timeout: 30_000 });
    await form.getByText("Posting the sealed manifest: confirmed.").waitFor({ timeout: 30_000 });
    const opened = await grid.client.readContract({ ...grid.contracts.leases, functionName: "lease", args: [1n] });
    assert.equal(opened.tenant, tenant);
    assert.equal(opened.nodeId, Number(nodeId));
    assert.deepEqual({ ...opened.resources }, { cpu: 1, memoryMiB: 256, ssdGiB: 0, hddGiB: 0, gpus: 0 });
    assert.equal(opened.escrow + opened.paid, parseEther("1.05"));
    const balance = await grid.client.readContract({
      ...grid.contracts.token,
      functionName: "balanceOf",
      args: [tenant],
    });
    assert.equal(balance, parseEther("10000") - parseEther("1.05"));

    // The node agent decrypts the manifest, starts the workload and acknowledges: My leases shows it Active.
    await page.getByRole("link", { name: "My leases" }).first().click();
    const card = page.getByTestId("lease-1");
    await card.getByText("Active", { exact: true }).waitFor({ timeout: 60_000 });
    const endpoint = card.getByTestId("lease-endpoint");
    await endpoint.waitFor({ timeout: 30_000 });
    const served = await eventually("the workload answers", async () => {
      const response = await fetch((await endpoint.textContent()) ?? "");
      return (await response.json()) as unknown;
    });
    assert.deepEqual(served, { message: "hello from the browser", lease: "1" });
    // Two hours of prepaid time is well under a day: the page warns.
    await card.getByText(/^Low balance: it pays for about [\d.]+ (h|min) more of online time/).waitFor();
    assert.match(await textOf(card), /Per hour online\s+0\.525 FOLD/);
    await page.screenshot({ path: path.join(SCREENSHOTS, "leases.png"), fullPage: true });
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "leases"), []);
    assert.deepEqual(consoleErrors, []);
  });

  it("tops the lease up and closes it: the tenant gets back all but what the node's online time cost", async () => {
    const card = page.getByTestId("lease-1");
    const topUp = card.getByRole("form", { name: "Top up lease #1" });
    await topUp.getByLabel("Top up (FOLD)").fill("0");
    await topUp.getByRole("button", { name: "Top up" }).click();
    assert.equal(await textOf(topUp.getByRole("alert")), "Amount: more than zero");
    // More than anyone holds, or than this wallet holds (once: "an amount of FOLD, like 5").
    await topUp.getByLabel("Top up (FOLD)").fill("99999999999");
    await topUp.getByRole("button", { name: "Top up" }).click();
    assert.equal(await textOf(topUp.getByRole("alert")), "Amount: at most 999,999,999 FOLD");
    await topUp.getByLabel("Top up (FOLD)").fill("20000");
    await topUp.getByRole("button", { name: "Top up" }).click();
    await topUp.getByRole("alert").getByText("Amount: 20,000 FOLD is more than your 9,998.95 FOLD").waitFor();
    await topUp.getByLabel("Top up (FOLD)").fill("5");
    await topUp.getByRole("button", { name: "Top up" }).click();
    await topUp.getByText("Topping up: confirmed.").waitFor({ timeout: 30_000 });
    const toppedUp = await grid.client.readContract({ ...grid.contracts.leases, functionName: "lease", args: [1n] });
    assert.equal(toppedUp.escrow + toppedUp.paid, parseEther("6.05"));

    // Heartbeats after the acknowledgement prove online time, which the lease owes.
    await eventually("online time owed", async () =>
      (await grid.client.readContract({ ...grid.contracts.leases, functionName: "due", args: [1n] })) > 0n
        ? true
        : undefined,
    );
    const close = card.getByRole("form", { name: "Close lease" });
    await close.getByRole("button", { name: "Close lease" }).click();
    // Once the lease reads Ended, its actions (and their transaction states) give way to how it ended.
    await card.getByText("Ended", { exact: true }).waitFor({ timeout: 30_000 });
    await card.getByText(/^Ended: closed by you · [\d.]+ FOLD refunded/).waitFor({ timeout: 30_000 });
    const ended = await grid.client.readContract({ ...grid.contracts.leases, functionName: "lease", args: [1n] });
    assert.equal(ended.state, 4);
    assert.equal(ended.endReason, 1);
    assert.equal(ended.escrow, 0n);
    assert.ok(ended.paid > 0n, "the node's proven online time was paid for");
    const balance = await grid.client.readContract({
      ...grid.contracts.token,
      functionName: "balanceOf",
      args: [tenant],
    });
    assert.equal(balance + ended.paid, parseEther("10000"));
    assert.match(await textOf(card.getByTestId("lease-cost")), /^[\d.]+ FOLD$/);
    await eventually("the workload stopped", async () =>
      (await workloadsOf(nodeAddress)).length === 0 ? true : undefined,
    );

    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "leases-ended"), []);
    assert.deepEqual(consoleErrors, []);
  });

  it("rates the farm against the lease's receipt, binds and unbinds a key, and runs an agent with an action log", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${appUrl}/identity`);
    const you = page.getByText(/^You are tenant-one \(identity \d+\)\.$/);
    await you.waitFor({ timeout: 30_000 });
    const tenantId = BigInt((await textOf(you)).match(/identity (\d+)/)?.[1] ?? "0");

    // The lease's payments wrote a receipt from the tenant to the farm: feedback against it, once.
    const receipt = page.getByTestId("receipt-1");
    await receipt.waitFor({ timeout: 30_000 });
    // Who was paid, by handle, and for what, linked (once: "you paid identity 7 0.0028 FOLD").
    assert.match(await textOf(receipt), /you paid lease-farm \(identity \d+\) [\d.]+ FOLD for lease #1\./);
    assert.equal(await receipt.getByRole("link", { name: "lease #1" }).getAttribute("href"), "/leases");
    await receipt.getByLabel("Score (0 to 100)").fill("101");
    await receipt.getByRole("button", { name: "Give feedback" }).click();
    assert.equal(await textOf(receipt.getByRole("alert")), "Score: at most 100");
    await receipt.getByLabel("Score (0 to 100)").fill("90");
    await receipt.getByRole("button", { name: "Give feedback" }).click();
    await receipt.getByText("You gave 90 / 100.").waitFor({ timeout: 30_000 });
    const [given] = await grid.client.getContractEvents({
      ...grid.contracts.reputation,
      eventName: "FeedbackGiven",
      fromBlock: 0n,
    });
    assert.equal(given?.args.score, 90);
    await page.goto(`${appUrl}/nodes/${nodeId}`);
    await page
      .getByRole("region", { name: "Farm reputation" })
      .getByText("90.0 average of 1")
      .waitFor({ timeout: 30_000 });

    // An Operator key, made here and bound, then unbound.
    await page.goto(`${appUrl}/identity`);
    const keys = page.getByRole("form", { name: `Bind a key to identity ${tenantId}` });
    await keys.getByRole("button", { name: "Make and bind a key" }).click();
    const bound = page.getByTestId("key-bound");
    await bound.waitFor({ timeout: 30_000 });
    const operator = ((await textOf(bound)).match(/Bound (0x[0-9a-fA-F]{40})/)?.[1] ?? "0x") as Address;
    const info = () =>
      grid.client.readContract({ ...grid.contracts.identities, functionName: "keyInfo", args: [operator] });
    assert.deepEqual(await info(), [tenantId, 4, true]);
    await page.getByRole("button", { name: `Unbind ${operator.slice(0, 10)}…` }).click({ timeout: 30_000 });
    await eventually("the key unbound", async () => ((await info())[2] === false ? true : undefined));

    // An agent: registered, given an Agent key made here; the key logs an action, which the log shows; paused, the
    // agent's key can log no more.
    await page.getByLabel("Agent handle").fill("tenant-bot");
    await page.getByRole("button", { name: "Register agent" }).click();
    const agentCard = page.locator('[data-testid^="agent-"]', { hasText: "tenant-bot" });
    await agentCard.waitFor({ timeout: 30_000 });
    const agentId = BigInt(((await agentCard.getAttribute("data-testid")) ?? "").replace("agent-", ""));
    await agentCard.getByRole("button", { name: "Make and bind a key" }).click();
    const agentKeyLink = agentCard.getByRole("link", { name: "Download the key" });
    await agentKeyLink.waitFor({ timeout: 30_000 });
    const agentKey = decodeURIComponent(
      ((await agentKeyLink.getAttribute("href")) ?? "").replace("data:text/plain;charset=utf-8,", ""),
    ).trim() as Hex;
    const bot = grid.wallet(privateKeyToAccount(agentKey));
    await grid.mined(await grid.deployer.sendTransaction({ to: bot.account.address, value: parseEther("1") }));
    const log = [
      agentId,
      keccak256(toBytes("inference.request")),
      keccak256(toBytes("job 1")),
      "https://example.org/jobs/1",
    ];
    await grid.call(bot, grid.contracts.identities, "logAction", log);
    await agentCard.getByRole("link", { name: "https://example.org/jobs/1" }).waitFor({ timeout: 30_000 });
    assert.match(await textOf(agentCard.getByRole("heading", { name: /Action log/ })), /Action log \(1\)/);
    await agentCard.getByRole("button", { name: "Pause" }).click();
    await agentCard.getByText("Paused", { exact: true }).waitFor({ timeout: 30_000 });
    await assert.rejects(grid.call(bot, grid.contracts.identities, "logAction", log), /IdentityAgentPaused/);
    await page.screenshot({ path: path.join(SCREENSHOTS, "identity.png"), fullPage: true });
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "identity"), []);
    assert.deepEqual(consoleErrors, []);
  });
});
