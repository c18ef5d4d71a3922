// `npm start` end to end: the real script, a real chain on a port this test chose, the real Ignition deployment, the
// indexer and the dApp.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import FourfoldModule from "../../deploy/modules/Fourfold.ts";
import { rpcChainId } from "../lib/processes.ts";
import { freePort, runNode } from "./support.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const START = path.join(ROOT, "scripts", "start.ts");

/** Runs scripts/start.ts and collects its output. */
function runStart(env: NodeJS.ProcessEnv) {
  return runNode([START], { cwd: ROOT, env });
}

/** The processes whose environment holds `entry` (e.g. FOURFOLD_INDEXER_URL=… as start.ts gives the dApp). */
async function processesWith(entry: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, "latin1").catch(() => "");
    if (environ.split("\0").includes(entry)) found.push(Number(name));
  }
  return found;
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

describe("npm start", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("deploys every contract of the Ignition module on chain 31337 within 60 s of starting the chain, writes generated/, starts the indexer and the dApp, and stops everything on Ctrl-C", async () => {
    const port = await freePort();
    const indexerPort = await freePort();
    const appPort = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = runStart({
      FOURFOLD_RPC_PORT: String(port),
      FOURFOLD_INDEXER_PORT: String(indexerPort),
      FOURFOLD_APP_PORT: String(appPort),
    });
    children.push(run.child);

    // Deployed and generated/ written (the indexer starts next) within 60 s of the chain starting. Compiling comes
    // first and is not bounded here: from a fresh clone it takes about 65 s on 2 cores (soljson, three contracts
    // through the IR pipeline), and nothing at all once compiled.
    const at = async (step: RegExp) => Number((await run.until(step, 300_000))[1]);
    const chainStarted = await at(/\[ *([\d.]+) s\] starting the chain/);
    const deployed = await at(/\[ *([\d.]+) s\] starting the indexer/);
    console.log(`# npm start: compiled in ${chainStarted} s, deployed in ${(deployed - chainStarted).toFixed(1)} s`);
    assert.ok(deployed - chainStarted < 60, `deploying took ${deployed - chainStarted} s`);
    await run.until(/Press Ctrl-C to stop/, 300_000);
    assert.match(run.output(), new RegExp(`Chain 31337 at ${url}`));
    const printed = Object.fromEntries(
      [...run.output().matchAll(/^ {2}(\w+) +(0x[0-9a-fA-F]{40}) {2}\(block (\d+)\)$/gm)].map((m) => [m[1], m[2]]),
    );
    const moduleContracts = Object.values(FourfoldModule.results).map((future) => future.contractName);
    assert.ok(moduleContracts.length >= 4);
    assert.deepEqual(Object.keys(printed).sort(), moduleContracts.sort());

    // generated/ holds the same addresses and every contract's ABI, and the chain has code at each address.
    const generated = await import(`${pathToFileURL(path.join(ROOT, "generated/src/index.ts")).href}?t=${Date.now()}`);
    for (const [name, address] of Object.entries(printed)) {
      assert.equal(generated.deploymentsOn(31337)[name].address, address);
      assert.ok(Array.isArray(generated.abis[name]) && generated.abis[name].length > 0, `${name} ABI`);
      const code = (await rpc(url, "eth_getCode", [address, "latest"])) as string;
      assert.ok(code.length > 2, `no code at ${name} ${address}`);
    }
    // The genesis supply went to account #0, as the local parameters say.
    const balanceOf = `0x70a08231${"f39fd6e51aad88f6f4ce6ab8827279cfffb92266".padStart(64, "0")}`;
    const balance = await rpc(url, "eth_call", [{ to: printed.FoldToken, data: balanceOf }, "latest"]);
    assert.equal(BigInt(balance as string), 100_000_000n * 10n ** 18n);

    // The indexer serves GraphQL at the printed URL, and has indexed the deployment (its role grants).
    const graphql = `http://127.0.0.1:${indexerPort}/graphql`;
    assert.match(run.output(), new RegExp(`Indexer GraphQL at ${graphql.replaceAll(".", "\\.")}`));
    const roleGrants = async () => {
      const response = await fetch(graphql, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: '{ roleChanges(where: { kind: "granted" }) { totalCount } }' }),
      });
      const body = (await response.json()) as { data: { roleChanges: { totalCount: number } } };
      return body.data.roleChanges.totalCount;
    };
    const deadline = Date.now() + 30_000;
    while ((await roleGrants()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok((await roleGrants()) > 0, "the indexer indexed the deployment's role grants");

    // The dApp serves Explore at the printed URL, against this chain and indexer.
    const appUrl = `http://127.0.0.1:${appPort}`;
    assert.match(run.output(), new RegExp(`dApp at ${appUrl.replaceAll(".", "\\.")} `));
    const explore = await fetch(appUrl);
    assert.equal(explore.status, 200);
    assert.match(await explore.text(), /<title>Fourfold<\/title>/);
    const appProcesses = await processesWith(`FOURFOLD_INDEXER_URL=http://127.0.0.1:${indexerPort}`);
    assert.ok(appProcesses.length > 0, "the dApp's processes carry the indexer's URL");

    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.match(run.output(), /SIGINT: stopping the local grid/);
    await assert.rejects(rpcChainId(url), "the chain still answers after Ctrl-C");
    await assert.rejects(fetch(graphql), "the indexer still answers after Ctrl-C");
    await assert.rejects(fetch(appUrl), "the dApp still answers after Ctrl-C");
    assert.deepEqual(await processesWith(`FOURFOLD_INDEXER_URL=http://127.0.0.1:${indexerPort}`), []);
  });

  it("refuses a port that is in use, and a port that is not a number, and starts nothing", async () => {
    const blocker = net.createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const busy = runStart({ FOURFOLD_RPC_PORT: String(port) });
      children.push(busy.child);
      assert.equal((await busy.exited).code, 1);
      assert.match(
        busy.output(),
        new RegExp(`npm start: 127\\.0\\.0\\.1:${port} is already in use \\(another \`npm start\`\\?\\)`),
      );
      assert.doesNotMatch(busy.output(), /compiling/);
    } finally {
      blocker.close();
    }

    // The indexer's port too, before anything starts.
    const indexerBlocker = net.createServer();
    indexerBlocker.listen(0, "127.0.0.1");
    await once(indexerBlocker, "listening");
    const indexerPort = (indexerBlocker.address() as net.AddressInfo).port;
    try {
      const busy = runStart({
        FOURFOLD_RPC_PORT: String(await freePort()),
        FOURFOLD_INDEXER_PORT: String(indexerPort),
      });
      children.push(busy.child);
      assert.equal((await busy.exited).code, 1);
      assert.match(
        busy.output(),
        new RegExp(`127\\.0\\.0\\.1:${indexerPort} is already in use.*FOURFOLD_INDEXER_PORT`),
      );
      assert.doesNotMatch(busy.output(), /compiling/);
    } finally {
      indexerBlocker.close();
    }

    // And the dApp's.
    const appBlocker = net.createServer();
    appBlocker.listen(0, "127.0.0.1");
    await once(appBlocker, "listening");
    const appPort = (appBlocker.address() as net.AddressInfo).port;
    try {
      const busy = runStart({
        FOURFOLD_RPC_PORT: String(await freePort()),
        FOURFOLD_INDEXER_PORT: String(await freePort()),
        FOURFOLD_APP_PORT: String(appPort),
      });
      children.push(busy.child);
      assert.equal((await busy.exited).code, 1);
      assert.match(busy.output(), new RegExp(`127\\.0\\.0\\.1:${appPort} is already in use.*FOURFOLD_APP_PORT`));
      assert.doesNotMatch(busy.output(), /compiling/);
    } finally {
      appBlocker.close();
    }

    const bad = runStart({ FOURFOLD_RPC_PORT: "85x45" });
    children.push(bad.child);
    assert.equal((await bad.exited).code, 1);
    assert.match(bad.output(), /npm start: FOURFOLD_RPC_PORT must be a port number from 1 to 65535, not "85x45"/);
  });
});
