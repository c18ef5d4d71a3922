// The Explore page in a real browser (Debian's chromium, driven by playwright-core) against the real local stack: a
// chain from scripts/start.ts, the indexer (Ponder on PGlite) and the built app (`next start`). A farmer's node shows
// up in the list with its free capacity, price and online state; filters narrow it; a bad filter is refused before
// anything is sent. Any console error in the page fails the test. Screenshots go to app/test/screenshots/.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Indexer } from "../../indexer/test/support/ponder.ts";
import { KeyPurpose } from "../../worker/src/identity.ts";
import { eventually, type Grid, ROOT } from "../../worker/test/support/grid.ts";
import { fold } from "../lib/format.ts";
import { noChromium, type Stack, startStack, textOf, usabilityProblems, watchErrors } from "./support/browser.ts";

const SCREENSHOTS = path.join(ROOT, "app", "test", "screenshots");

const skip = noChromium();
if (skip) console.log(`# app browser tests skipped: ${skip}`);

describe("Explore (browser)", { timeout: 300_000, skip }, () => {
  let stack: Stack;
  let indexer: Indexer;
  let appUrl: string;
  let browser: Browser;
  let page: Page;
  let grid: Grid;
  const consoleErrors: string[] = [];
  /** The node key of the farmer's node (node 1), bound in the first test. */
  let nodeKey: Awaited<ReturnType<Grid["bindFreshKey"]>>;

  before(async () => {
    stack = await startStack("app_test");
    ({ grid, indexer, appUrl, browser } = stack);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    watchErrors(page, consoleErrors);
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await stack?.stop();
  });

  it("lists a farmer's node, online, with its free capacity and price, and narrows the list with filters", async () => {
    // A farmer registers a farm and a node in eu-west, and the node's key sends a heartbeat.
    const farmer = grid.wallet(1);
    const { contracts, call } = grid;
    const farmerId = await grid.register(farmer, "explore-farmer");
    const key = await grid.bindFreshKey(farmer, farmerId, KeyPurpose.Node);
    nodeKey = key;
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
    // Under the list, the grid at a glance: capacity leased, regions, and the spread of the core-hour price.
    const regions = page.getByRole("region", { name: "Regions" });
    await regions.getByRole("img", { name: "eu-west: 1 of 1 online · 8 of 8 cores free" }).waitFor({ timeout: 30_000 });
    const leasedCapacity = page.getByRole("region", { name: "Capacity leased" });
    assert.match(await textOf(leasedCapacity), /1 of 1 nodes online · 0 active leases/);
    await leasedCapacity.getByRole("img", { name: "CPU cores: 0 of 8" }).waitFor();
    await page
      .getByRole("region", { name: "Price of a core-hour" })
      .getByRole("img", { name: "Online nodes by price per core-hour, from 0.25 to 0.25 FOLD (median 0.25)" })
      .waitFor();
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

    // At 375 px wide the filters and the list still fit (the table scrolls inside its own box), every control is
    // labelled, and Tab reaches each one.
    await page.getByRole("button", { name: "Clear" }).click();
    await row.waitFor();
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "explore"), []);

    assert.deepEqual(consoleErrors, []);
  });

  it("shows a node's detail: capacity, prices, online by the chain's clock, uptime per hour, farm reputation", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(appUrl);
    await page.getByTestId("node-list").getByRole("link", { name: "#1" }).click();
    await page.getByRole("heading", { name: /Node #1/ }).waitFor();
    await page.getByRole("heading", { name: /Online/ }).waitFor();
    assert.match(await textOf(page.locator(".lead")), /eu-west, NL · Active · farm North \(explore-farmer\)/);
    const capacity = page.getByRole("region", { name: "Capacity" });
    assert.match(await textOf(capacity.getByRole("row", { name: /CPU cores/ })), /CPU cores\s+8\s+0\s+8/);
    const prices = page.getByRole("region", { name: "Prices per hour" });
    assert.match(await textOf(prices), /CPU core\s+0\.25 FOLD/);
    // A second heartbeat a minute after the first proves that minute: the chart's newest hour is not empty.
    await grid.advanceTime(60);
    await grid.call(grid.wallet(nodeKey), grid.contracts.nodes, "heartbeat", [1n]);
    const record = page.getByRole("region", { name: "Record" });
    await eventually("the second heartbeat on the page", async () =>
      /Heartbeats\s+2\b/.test(await textOf(record)) ? true : undefined,
    );
    // Uncertified, it earns farming rewards on the baseline only, whatever it declares (read from the chain).
    await eventually("the node's reward standing", async () =>
      /Farming rewards\s+Uncertified: earns on 8 of [\d.]+ declared capacity units \(the baseline\)/.test(
        await textOf(record),
      )
        ? true
        : undefined,
    );
    await page.getByRole("img", { name: /Proven uptime over the last 48 hours/ }).waitFor();
    const newest = await page.locator("svg rect title").last().textContent();
    assert.match(newest ?? "", /UTC: [1-9]\d*% \(\d+ heartbeats?\)$/);
    await page.getByRole("region", { name: "Farm reputation" }).getByText("none yet").waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, "node.png"), fullPage: true });
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "node"), []);

    // A node that does not exist, and a node number that is not one, each say so.
    await page.goto(`${appUrl}/nodes/999`);
    await page.getByText("There is no node #999 on this chain (yet).").waitFor();
    await page.goto(`${appUrl}/nodes/abc`);
    await page.getByText("“abc” is not a node number: node numbers are whole numbers from 1.").waitFor();
    assert.deepEqual(consoleErrors, []);
  });

  it("the phone-and-keyboard check finds a page too wide, a control without a name and one Tab cannot reach", async () => {
    await page.setContent(
      `<body style="margin: 0"><div style="width: 500px">wide</div><label>Named <input></label><input>` +
        `<button tabindex="-1">Skipped</button><button disabled>Off</button></body>`,
    );
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "usability-check"), [
      "the page is 125 px wider than a 375 px screen",
      'input "" has no accessible name',
      'button "Skipped" cannot be reached with Tab',
    ]);
    assert.deepEqual(page.viewportSize(), { width: 1280, height: 800 });
  });

  it("connects a burner wallet on the local chain, funded with ETH for gas and FOLD, and keeps it across reloads", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(appUrl);
    await page.getByRole("button", { name: "Connect Burner wallet (local chain)" }).click();
    const shown = page.getByTestId("wallet-address");
    await shown.waitFor();
    const address = (await shown.getAttribute("title")) as `0x${string}`;
    await page.getByText("10 ETH · 10,000 FOLD").waitFor();
    assert.equal(await grid.client.getBalance({ address }), parseEther("10"));
    const fold = await grid.client.readContract({
      ...grid.contracts.token,
      functionName: "balanceOf",
      args: [address],
    });
    assert.equal(fold, parseEther("10000"));
    // The same key after a reload, and no second grant.
    await page.reload();
    await page.getByText("10 ETH · 10,000 FOLD").waitFor();
    assert.equal(await page.getByTestId("wallet-address").getAttribute("title"), address);
    await page.screenshot({ path: path.join(SCREENSHOTS, "burner.png") });
    await page.getByRole("button", { name: "Disconnect" }).click();
    await page.getByRole("button", { name: "Connect Burner wallet (local chain)" }).waitFor();
    assert.deepEqual(consoleErrors, []);
  });

  it("lets a farmer register an identity, a farm and a node (its key made and signed in the browser), and claim its rewards", async () => {
    await page.goto(`${appUrl}/farm`);
    await page.getByText("Connect a wallet (at the top of the page)").waitFor();
    await page.getByRole("button", { name: "Connect Burner wallet (local chain)" }).click();
    const address = (await page.getByTestId("wallet-address").getAttribute("title")) as `0x${string}`;

    // A bad handle is refused in the form; a good one is registered, and the page follows the indexer.
    const handle = page.getByLabel("Handle");
    await handle.fill("Not A Handle");
    await page.getByRole("button", { name: "Register identity" }).click();
    assert.match(await textOf(page.locator("main").getByRole("alert")), /^Handle: 3 to 32 lower-case letters/);
    await handle.fill("browser-farmer");
    await page.getByRole("button", { name: "Register identity" }).click();
    await page.getByText("You are browser-farmer").waitFor({ timeout: 30_000 });

    await page.getByLabel("Farm name").fill("South");
    assert.equal(await page.getByLabel("Payout address (lease payments and rewards)").inputValue(), address);
    await page.getByRole("button", { name: "Create farm" }).click();
    await page.getByText("Creating the farm: confirmed.").waitFor();
    await page.getByRole("region", { name: "Your farms" }).getByText("South").waitFor({ timeout: 30_000 });

    // A node in Sweden, its key bound and registered in two transactions the burner signs.
    const form = page.getByRole("region", { name: "Register a node" });
    await form.getByLabel("Country").fill("S");
    await form.getByRole("button", { name: "Register node" }).click();
    assert.equal(await textOf(form.getByRole("alert")), "Country: two letters, like NL");
    await form.getByLabel("Country").fill("se");
    await form.getByLabel("Region").fill("eu-north");
    await form.getByLabel("CPU cores").fill("16");
    await form.getByRole("button", { name: "Register node" }).click();
    const done = page.getByTestId("node-registered");
    await done.waitFor({ timeout: 30_000 });
    const nodeId = BigInt((await textOf(done)).match(/Node #(\d+) is registered/)?.[1] ?? "0");
    const onChain = await grid.client.readContract({ ...grid.contracts.nodes, functionName: "node", args: [nodeId] });
    assert.equal(onChain.country, toHex("SE", { size: 2 }));
    const download = await done.getByRole("link", { name: `Download node-${nodeId}.key` }).getAttribute("href");
    const key = decodeURIComponent((download ?? "").replace("data:text/plain;charset=utf-8,", "")).trim();
    assert.equal(privateKeyToAccount(key as `0x${string}`).address, onChain.key);
    await page.screenshot({ path: path.join(SCREENSHOTS, "farm.png"), fullPage: true });

    // The key stays in this browser until the farmer says it is saved (once, it was gone if the page was left): after a
    // reload it is offered again, and leaving the page asks first.
    await page.reload();
    const keptKeys = page.getByRole("region", { name: "Node keys kept in this browser" });
    const again = keptKeys.getByRole("link", { name: `Download node-${nodeId}.key` });
    await again.waitFor({ timeout: 30_000 });
    assert.equal(await again.getAttribute("href"), download);
    await page.getByRole("heading", { name: "Node keys kept in this browser" }).click(); // a user's gesture
    const asked = new Promise<string>((resolve) =>
      page.once("dialog", async (dialog) => {
        resolve(dialog.type());
        await dialog.accept(); // leave anyway: the key stays kept
      }),
    );
    await page.goto(`${appUrl}/farm`);
    assert.equal(await asked, "beforeunload");
    await keptKeys.waitFor({ timeout: 30_000 });
    await keptKeys.getByRole("button", { name: `I have saved node #${nodeId}'s key` }).click();
    await keptKeys.waitFor({ state: "detached" });
    await page.reload();
    await page.getByRole("region", { name: "Register a node" }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole("region", { name: "Node keys kept in this browser" }).count(), 0);

    // A second browser's burner asking for a taken handle gets the contract's refusal in words, before paying.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    otherPage.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    await otherPage.goto(`${appUrl}/farm`);
    await otherPage.getByRole("button", { name: "Connect Burner wallet (local chain)" }).click();
    await otherPage.getByLabel("Handle").fill("browser-farmer");
    await otherPage.getByRole("button", { name: "Register identity" }).click();
    await otherPage
      .getByText(/Registering your identity failed: The handle “browser-farmer” is taken \(identity \d+\)/)
      .waitFor();
    // A new problem replaces the old failure on screen (once, both stayed, the old one under the new).
    await otherPage.getByLabel("Handle").fill("Bad Handle");
    await otherPage.getByRole("button", { name: "Register identity" }).click();
    await otherPage.getByText(/^Handle: 3 to 32 lower-case letters/).waitFor();
    assert.equal(await otherPage.getByText(/Registering your identity failed/).count(), 0);
    await other.close();

    // The node proves itself online with heartbeats (its key from the download) across reward epochs: the farm's
    // card shows its rewards to claim, a claim mints them to the payout address (the burner), and the epoch chart shows.
    const node = grid.wallet(privateKeyToAccount(key as `0x${string}`));
    await grid.mined(await grid.deployer.sendTransaction({ to: node.account.address, value: parseEther("1") }));
    const pending = () =>
      grid.client.readContract({ ...grid.contracts.rewards, functionName: "pendingRewards", args: [nodeId] });
    for (let round = 0; round < 16 && (await pending()) === 0n; round++) {
      await grid.call(node, grid.contracts.nodes, "heartbeat", [nodeId]);
      await grid.advanceTime(250);
    }
    const owed = await pending();
    assert.ok(owed > 0n, "the node earned farming rewards");
    const balanceOf = () =>
      grid.client.readContract({ ...grid.contracts.token, functionName: "balanceOf", args: [address] });
    const before = await balanceOf();
    await page.goto(`${appUrl}/farm`);
    const card = page.locator('[data-testid^="farm-"]', { hasText: "South" });
    // Uncertified, it earns on the baseline of what it declares (NodeRegistry.rewardStanding, read from the chain).
    await card
      .getByTestId(`standing-${nodeId}`)
      .filter({ hasText: /^Uncertified: earns on 8 of [\d.]+ declared capacity units \(the baseline\)$/ })
      .waitFor({ timeout: 30_000 });
    const rewards = card.getByTestId(`rewards-${nodeId}`);
    await rewards.getByRole("button", { name: `Claim node #${nodeId}'s rewards` }).click({ timeout: 30_000 });
    await rewards.getByText(/^0 FOLD$/).waitFor({ timeout: 30_000 });
    const [claimed] = await grid.client.getContractEvents({
      ...grid.contracts.rewards,
      eventName: "RewardsClaimed",
      args: { nodeId },
      fromBlock: 0n,
    });
    assert.equal(claimed?.args.payout, address);
    assert.ok((claimed?.args.amount ?? 0n) >= owed);
    assert.equal(await balanceOf(), before + (claimed?.args.amount ?? 0n));
    await card
      .getByRole("img", { name: /^Farming rewards per epoch, epochs \d+ to \d+$/ })
      .waitFor({ timeout: 30_000 });
    const minted = fold(claimed?.args.amount ?? 0n);
    await card
      .getByText(`farming rewards ${minted} FOLD, of which claimed ${minted} FOLD`)
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, "farm-rewards.png"), fullPage: true });
    assert.deepEqual(await usabilityProblems(page, SCREENSHOTS, "farm"), []);

    // Explore lists the new node; after 5 minutes without a heartbeat, it is offline.
    await grid.advanceTime(301);
    await page.goto(appUrl);
    await page.getByLabel("Region").fill("eu-north");
    await page.getByRole("button", { name: "Apply filters" }).click();
    const row = page.getByTestId("node-list").locator("tbody tr").first();
    await eventually("the new node on Explore", async () =>
      (await textOf(row)).includes(`#${nodeId}`) ? true : undefined,
    );
    assert.match(await textOf(row), /16 \/ 16[\s\S]*Offline/);
    assert.deepEqual(consoleErrors, []);
  });
});
