// `npm run bench:indexer`: the indexer's backfill speed and /nodes latency, written to bench/results/indexer.json.
//
// A local chain gets 10,000 nodes (10 farms of 1,000, each node with its own key bound to the farm's identity),
// 10 rounds of signed heartbeats from every node (heartbeatBatch, 100 to a transaction): over 100,000 events. Then, over the same block range:
// - getLogsSeconds: a bare eth_getLogs sweep of every Fourfold contract's logs (what any indexer must fetch);
// - pgliteSeconds / postgresSeconds: `ponder start` on a fresh database until every block is indexed and queryable;
// - ratioPglite / ratioPostgres: each over getLogsSeconds (goal: ratioPostgres <= 2);
// - nodesQueryP50Ms / nodesQueryP95Ms: GET /nodes with filters over the 10,000 indexed nodes (goal: p95 < 50 ms).
// Postgres is FOURFOLD_TEST_DATABASE_URL's server (a database of the bench's own, dropped after), else this
// machine's on 127.0.0.1:5432 if it answers; without one, the Postgres keys are null and the reason is written.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  type Abi,
  encodeFunctionData,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  parseEther,
  parseSignature,
  signatureToCompactSignature,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { testDatabase } from "../indexer/test/support/database.ts";
import { freePort, type Running, runNode, startChain } from "../scripts/test/support.ts";
import { KeyPurpose, signBindKey } from "../worker/src/identity.ts";
import { connectGrid, devAccount, type Grid, ROOT } from "../worker/test/support/grid.ts";

const FARMS = 10;
const NODES_PER_FARM = 1_000;
const ROUNDS = 10;
const HEARTBEATS_PER_TX = 100;
const QUERIES = 200;
const PONDER = path.join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
const RESOURCES = { cpu: 8, memoryMiB: 16_384, ssdGiB: 500, hddGiB: 0, gpus: 0 };
const REGIONS = ["eu-west", "eu-north", "us-east", "us-west", "ap-south"];

const round1 = (value: number) => Math.round(value * 10) / 10;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Sends raw transactions in bulk and mines them in full blocks (automine off), keeping the base fee at 1 gwei. */
class Sender {
  private readonly nonces = new Map<string, number>();
  private readonly grid: Grid;
  constructor(grid: Grid) {
    this.grid = grid;
  }

  /** Learns the accounts' next nonces; `send` then counts them itself (synchronously, so concurrent sends never share one). */
  async track(accounts: readonly PrivateKeyAccount[]): Promise<void> {
    for (const account of accounts) {
      const nonce = await this.grid.client.getTransactionCount({ address: account.address, blockTag: "pending" });
      this.nonces.set(account.address, nonce);
    }
  }

  /** Signs and submits a call; returns its hash (mined by `mine`). */
  async send(account: PrivateKeyAccount, to: Hex, abi: Abi, functionName: string, args: unknown[], gas: bigint) {
    const nonce = this.nonces.get(account.address);
    if (nonce === undefined) throw new Error(`${account.address} is not tracked`);
    this.nonces.set(account.address, nonce + 1);
    const raw = await account.signTransaction({
      chainId: 31337,
      type: "eip1559",
      to,
      data: encodeFunctionData({ abi, functionName, args }),
      gas,
      nonce,
      maxFeePerGas: 10_000_000_000n,
      maxPriorityFeePerGas: 1n,
    });
    return (await this.grid.client.request({ method: "eth_sendRawTransaction", params: [raw] })) as Hex;
  }

  /** Mines blocks until every hash has a receipt; fails if any reverted. */
  async mine(hashes: Hex[]): Promise<void> {
    const client = this.grid.client;
    for (let left = hashes; left.length > 0; ) {
      await client.request({ method: "hardhat_setNextBlockBaseFeePerGas" as never, params: ["0x3b9aca00"] as never });
      await client.request({ method: "evm_mine" as never, params: [] as never });
      const receipts = await Promise.all(left.map((hash) => client.getTransactionReceipt({ hash }).catch(() => null)));
      const failed = receipts.find((r) => r !== null && r.status !== "success");
      if (failed) throw new Error(`transaction ${failed.transactionHash} reverted`);
      left = left.filter((_, i) => receipts[i] === null);
    }
  }
}

/** Runs `tasks` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<unknown>): Promise<unknown[]> {
  const results: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i] as T);
      }
    }),
  );
  return results;
}

const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-bench-indexer-"));
const running: Running[] = [];
const rpcPort = await freePort();
const rpcUrl = `http://127.0.0.1:${rpcPort}`;
try {
  running.push(await startChain(rpcPort));
  const grid = await connectGrid(rpcUrl);
  const { contracts, client } = grid;
  const { deploymentsOn } = await import("@fourfold/contracts");
  const deployed = deploymentsOn(31337);
  const startBlock = BigInt(Math.min(...Object.values(deployed).map((d) => d.startBlock)));
  const addresses = Object.values(deployed).map((d) => d.address);
  await client.request({ method: "evm_setAutomine" as never, params: [false] as never });
  const sender = new Sender(grid);
  const generation = performance.now();

  // Farms: an identity and a farm for each of dev accounts 1-10.
  log(`registering ${FARMS} farms and ${FARMS * NODES_PER_FARM} nodes`);
  const farmers = Array.from({ length: FARMS }, (_, i) => devAccount(i + 1) as unknown as PrivateKeyAccount);
  const relayer = devAccount(0) as unknown as PrivateKeyAccount;
  await sender.track([...farmers, relayer]);
  /** Each farmer sends `functionName(args(i))` to `contract`; all are mined. */
  const everyFarmer = async (
    contract: { address: Hex; abi: Abi },
    functionName: string,
    args: (i: number, farmer: PrivateKeyAccount) => unknown[],
  ) =>
    sender.mine(
      await Promise.all(
        farmers.map((farmer, i) =>
          sender.send(farmer, contract.address, contract.abi, functionName, args(i, farmer), 300_000n),
        ),
      ),
    );
  await everyFarmer(contracts.identities, "register", (i) => [`farm-${i}`, ""]);
  const farmerIds = await Promise.all(
    farmers.map((_, i) =>
      client.readContract({ ...contracts.identities, functionName: "idOfHandle", args: [`farm-${i}`] }),
    ),
  );
  await everyFarmer(contracts.nodes, "createFarm", (i, farmer) => [farmerIds[i], `Farm ${i}`, farmer.address]);
  const farmIds = farmerIds.map((_, i) => BigInt(i + 1));

  // Nodes: a key each, bound to the farm's identity, then registered.
  const keys = Array.from({ length: FARMS * NODES_PER_FARM }, (_, i) =>
    privateKeyToAccount(keccak256(toHex(`fourfold bench node ${i}`))),
  );
  const deadline = (await client.getBlock()).timestamp + 86_400n;
  const farmOf = (i: number) => Math.floor(i / NODES_PER_FARM);
  for (const [phase, gas] of [
    ["bindKey", 200_000n],
    ["registerNode", 350_000n],
  ] as const) {
    const hashes = (await pool(keys, 64, async (key) => {
      const i = keys.indexOf(key);
      const f = farmOf(i);
      const farmer = farmers[f] as PrivateKeyAccount;
      if (phase === "bindKey") {
        const signature = await signBindKey({
          key,
          chainId: 31337,
          registry: contracts.identities.address,
          identityId: farmerIds[f] as bigint,
          purpose: KeyPurpose.Node,
          nonce: 0n,
          deadline,
        });
        const args = [farmerIds[f], key.address, KeyPurpose.Node, deadline, signature];
        return sender.send(farmer, contracts.identities.address, contracts.identities.abi, "bindKey", args, gas);
      }
      const prices = {
        cpu: parseEther("0.001") * BigInt(1 + (i % 20)),
        memoryGiB: parseEther("0.0001"),
        ssdGiB: parseEther("0.00001"),
        hddGiB: 0n,
        gpu: 0n,
      };
      const resources = { ...RESOURCES, cpu: 2 ** (1 + (i % 5)), memoryMiB: 4_096 * (1 + (i % 8)) };
      const location = {
        country: toHex(["NL", "SE", "US", "US", "IN"][i % 5] as string, { size: 2 }),
        region: REGIONS[i % 5],
      };
      const args = [farmIds[f], key.address, resources, location, prices];
      return sender.send(farmer, contracts.nodes.address, contracts.nodes.abi, "registerNode", args, gas);
    })) as Hex[];
    await sender.mine(hashes);
    log(`${phase}: ${hashes.length} transactions mined`);
  }
  const nodeCount = await client.readContract({ ...contracts.nodes, functionName: "nodeCount" });
  if (nodeCount !== BigInt(keys.length)) throw new Error(`${nodeCount} nodes registered, not ${keys.length}`);

  // Heartbeats: every node, ROUNDS times a minute apart, signed by its key, 100 to a batch (up to about 65,000 gas
  // each: the first heartbeat of a node in a new epoch closes the last one).
  const domain = {
    name: "Fourfold NodeRegistry",
    version: "1",
    chainId: 31337,
    verifyingContract: contracts.nodes.address,
  };
  for (let round = 0; round < ROUNDS; round++) {
    await client.request({ method: "evm_increaseTime" as never, params: [60] as never });
    await client.request({ method: "evm_mine" as never, params: [] as never });
    const timestamp = (await client.getBlock()).timestamp;
    const signed = (await pool(keys, 64, async (key) => {
      const nodeId = BigInt(keys.indexOf(key) + 1);
      const signature = await key.signTypedData({
        domain,
        types: {
          Heartbeat: [
            { name: "nodeId", type: "uint256" },
            { name: "timestamp", type: "uint256" },
          ],
        },
        primaryType: "Heartbeat",
        message: { nodeId, timestamp },
      });
      const { r, yParityAndS } = signatureToCompactSignature(parseSignature(signature));
      return { nodeId, timestamp: Number(timestamp), r, vs: yParityAndS };
    })) as unknown[];
    const hashes: Hex[] = [];
    for (let i = 0; i < signed.length; i += HEARTBEATS_PER_TX) {
      const batch = signed.slice(i, i + HEARTBEATS_PER_TX);
      hashes.push(
        await sender.send(relayer, contracts.nodes.address, contracts.nodes.abi, "heartbeatBatch", [batch], 7_000_000n),
      );
    }
    await sender.mine(hashes);
    log(`heartbeat round ${round + 1}/${ROUNDS}: ${signed.length} heartbeats`);
  }
  const head = await client.getBlockNumber();
  const generationSeconds = (performance.now() - generation) / 1000;

  // The bare eth_getLogs sweep.
  log(`sweeping eth_getLogs over blocks ${startBlock}-${head}`);
  const sweepStarted = performance.now();
  // Plain JSON-RPC over fetch (viem caps a response at 10 MB; a block here holds about 0.9 MB of logs).
  let events = 0;
  for (let from = startBlock; from <= head; from += 20n) {
    const to = from + 19n > head ? head : from + 19n;
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getLogs",
        params: [{ address: addresses, fromBlock: toHex(from), toBlock: toHex(to) }],
      }),
    });
    const body = (await response.json()) as { result?: unknown[]; error?: { message: string } };
    if (body.result === undefined) throw new Error(`eth_getLogs ${from}-${to}: ${body.error?.message}`);
    events += body.result.length;
  }
  const getLogsSeconds = (performance.now() - sweepStarted) / 1000;
  log(`${events} events; eth_getLogs sweep ${getLogsSeconds.toFixed(1)} s`);

  /** Starts Ponder on `database` and returns the seconds until the head block is indexed, and the running process. */
  const index = async (name: string, env: Record<string, string>) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const started = performance.now();
    const ponder = runNode(
      [PONDER, "start", "--schema", `bench_${name}`, "--port", String(port), "--hostname", "127.0.0.1"],
      {
        cwd: path.join(ROOT, "indexer"),
        env: {
          PONDER_TELEMETRY_DISABLED: "1",
          PONDER_RPC_URL_31337: rpcUrl,
          FOURFOLD_INDEXER_PGLITE_DIR: path.join(dir, `pglite-${name}`),
          FOURFOLD_INDEXER_POLLING_MS: "100",
          ...env,
        },
      },
    );
    running.push(ponder);
    for (;;) {
      if (ponder.child.exitCode !== null) throw new Error(`ponder (${name}) exited:\n${ponder.output().slice(-3_000)}`);
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ _meta { status } }" }),
      }).catch(() => undefined);
      const body = (await response?.json().catch(() => undefined)) as
        | { data?: { _meta: { status: { fourfold?: { block?: { number: number } } } } } }
        | undefined;
      if ((body?.data?._meta.status.fourfold?.block?.number ?? 0) >= Number(head)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    log(`ponder on ${name}: all ${events} events queryable after ${seconds.toFixed(1)} s`);
    return { seconds, url, ponder };
  };
  const stop = async (ponder: Running) => {
    ponder.child.kill("SIGINT");
    await ponder.exited;
  };

  const pglite = await index("pglite", {});
  await stop(pglite.ponder);

  const result: Record<string, unknown> = { events, getLogsSeconds: round1(getLogsSeconds) };
  result.pgliteSeconds = round1(pglite.seconds);
  let queried = pglite;
  let postgres: Awaited<ReturnType<typeof testDatabase>> | undefined;
  const server = process.env.FOURFOLD_TEST_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
  process.env.FOURFOLD_TEST_DATABASE_URL = server;
  try {
    postgres = await testDatabase("postgres");
  } catch (error) {
    result.postgresSkipped = `no Postgres at ${server}: ${(error as Error).message}`;
  }
  try {
    if (postgres !== undefined) {
      const run = await index("postgres", postgres.env);
      result.postgresSeconds = round1(run.seconds);
      queried = run;
    } else {
      result.postgresSeconds = null;
      queried = await index("pglite", {}); // resumes from its checkpoint: for the queries only
    }
    result.ratioPglite = Math.round((pglite.seconds / getLogsSeconds) * 100) / 100;
    result.ratioPostgres =
      typeof result.postgresSeconds === "number"
        ? Math.round((result.postgresSeconds / getLogsSeconds) * 100) / 100
        : null;

    // GET /nodes with filters, over the 10,000 nodes.
    const routes = [
      "/nodes?minCpu=4&region=eu-west&sort=price&limit=50",
      "/nodes?minMemoryMiB=16384&online=true&sort=cpu&order=desc",
      `/nodes?minCpu=8&maxHourlyPrice=${parseEther("0.2")}&sort=price`,
      "/nodes?country=US&online=true&limit=100&offset=200",
      "/nodes?sort=lastHeartbeat&order=desc&limit=20",
    ];
    for (const route of routes) await fetch(`${queried.url}${route}`); // warm
    const latencies: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const route = routes[i % routes.length] as string;
      const started = performance.now();
      const response = await fetch(`${queried.url}${route}`);
      await response.json();
      latencies.push(performance.now() - started);
      if (response.status !== 200) throw new Error(`${route}: ${response.status}`);
    }
    result.nodesQueryP50Ms = round1(percentile(latencies, 50));
    result.nodesQueryP95Ms = round1(percentile(latencies, 95));
    result.nodesQueriedOn = postgres !== undefined ? "postgres" : "pglite";
    await stop(queried.ponder);
  } finally {
    await postgres?.drop();
  }
  Object.assign(result, {
    nodes: keys.length,
    heartbeats: keys.length * ROUNDS,
    blocks: Number(head - startBlock + 1n),
    generationSeconds: round1(generationSeconds),
    node: process.version,
    cpus: os.cpus().length,
  });
  const out = path.join(ROOT, "bench", "results", "indexer.json");
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(result);
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(
    `wrote ${path.relative(process.cwd(), out)}; ratioPostgres <= 2: ${met(typeof result.ratioPostgres === "number" && result.ratioPostgres <= 2)}; nodesQueryP95Ms < 50: ${met((result.nodesQueryP95Ms as number) < 50)}`,
  );
} finally {
  for (const child of running.reverse()) {
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill("SIGINT");
      await child.exited;
    }
  }
  await rm(dir, { recursive: true, force: true });
}
