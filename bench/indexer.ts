// `npm run bench:indexer`: the indexer's backfill speed and /nodes latency, written to bench/results/indexer.json.
//
// A local chain gets 10,000 nodes (10 farms of 1,000, each node with its own key bound to the farm's identity),
// 10 rounds of signed heartbeats from every node (heartbeatBatch, 100 to a transaction), 1,000 leases opened,
// acknowledged and closed around them, and 1,000 OCR jobs requested, claimed, answered and finalised: over 100,000
// events. Then, over the same block range:
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
  sha256,
  signatureToCompactSignature,
  toHex,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { testDatabase } from "../indexer/test/support/database.ts";
import { startPonder, stop } from "../indexer/test/support/ponder.ts";
import { freePort, type Running, startChain } from "../scripts/test/support.ts";
import { KeyPurpose, signBindKey } from "../worker/src/identity.ts";
import { signJobResult } from "../worker/src/inference/job-result.ts";
import { connectGrid, devAccount, type Grid, ROOT } from "../worker/test/support/grid.ts";

const FARMS = 10;
const NODES_PER_FARM = 1_000;
const ROUNDS = 10;
const HEARTBEATS_PER_TX = 100;
const LEASES = 1_000;
const JOBS = 1_000;
const QUERIES = 200;
const FINALITY_BLOCKS = 30;
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
  send(account: PrivateKeyAccount, to: Hex, abi: Abi, functionName: string, args: unknown[], gas: bigint) {
    return this.submit(account, { to, data: encodeFunctionData({ abi, functionName, args }), gas });
  }

  /** Signs and submits a plain ETH transfer; returns its hash (mined by `mine`). */
  sendValue(account: PrivateKeyAccount, to: Hex, value: bigint) {
    return this.submit(account, { to, value, gas: 21_000n });
  }

  /** Takes the account's next nonce synchronously (so concurrent sends, in call order, never share one). */
  private async submit(account: PrivateKeyAccount, tx: { to: Hex; data?: Hex; value?: bigint; gas: bigint }) {
    const nonce = this.nonces.get(account.address);
    if (nonce === undefined) throw new Error(`${account.address} is not tracked`);
    this.nonces.set(account.address, nonce + 1);
    const raw = await account.signTransaction({
      ...tx,
      chainId: 31337,
      type: "eip1559",
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
      if (failed) {
        // Replayed on the state before its block, for the custom error (the block's earlier transactions aside).
        const tx = await client.getTransaction({ hash: failed.transactionHash });
        const reason = await client
          .call({ account: tx.from, to: tx.to, data: tx.input, gas: tx.gas, blockNumber: failed.blockNumber - 1n })
          .then(
            () => "it succeeds when replayed alone",
            (error: Error & { shortMessage?: string }) => error.shortMessage ?? error.message,
          );
        const gas = `${failed.gasUsed} of ${tx.gas} gas used`;
        throw new Error(`transaction ${failed.transactionHash} reverted (${gas}): ${reason}`);
      }
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
  const generation = performance.now();

  // The market's other side, set up while blocks are still mined per transaction: two tenants with FOLD approved for
  // LeaseMarket; a model; two staked workers serving it; a requester with FOLD approved for JobMarket.
  const tenants = [11, 12].map((i) => grid.wallet(i));
  const tenantIds: bigint[] = [];
  for (const [i, tenant] of tenants.entries()) {
    tenantIds.push(await grid.register(tenant, `tenant-${i}`));
    await grid.fundFold(tenant, parseEther("100000"), contracts.leases.address);
  }
  const modelOwner = grid.wallet(13);
  const modelHash = keccak256(toHex("bench model weights"));
  const modelId = await grid.call<bigint>(modelOwner, contracts.jobs, "registerModel", [
    await grid.register(modelOwner, "model-owner"),
    modelHash,
    "ocr",
    "npm:bench-model",
    1_000n,
  ]);
  const minStake = await client.readContract({ ...contracts.jobs, functionName: "minStake" });
  const workers: Awaited<ReturnType<Grid["registerWorker"]>>[] = [];
  const stake = minStake * BigInt(JOBS); // each open claim locks minStake
  for (const who of [14, 15]) {
    workers.push(await grid.registerWorker(grid.wallet(who), `worker-${who}`, [modelId], parseEther("1"), stake));
  }
  const requester = grid.wallet(16);
  const requesterId = await grid.register(requester, "requester");
  await grid.fundFold(requester, parseEther("10000"), contracts.jobs.address);

  await client.request({ method: "evm_setAutomine" as never, params: [false] as never });
  const sender = new Sender(grid);

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

  // Leases on the first LEASES nodes once they are online, half from each tenant, each acknowledged by its node's key
  // (given ETH for gas).
  const tenantAccounts = tenants.map((t) => t.account as unknown as PrivateKeyAccount);
  const leased = keys.slice(0, LEASES);
  await sender.track([...tenantAccounts, ...leased]);
  const lease = { cpu: 1, memoryMiB: 1_024, ssdGiB: 10, hddGiB: 0, gpus: 0 };
  const maxPrices = { cpu: parseEther("1"), memoryGiB: parseEther("1"), ssdGiB: parseEther("1"), hddGiB: 0n, gpu: 0n };
  const tenantOf = (i: number) => i % tenants.length;
  /** Each lease's tenant, once opened. */
  const leaseTenants: PrivateKeyAccount[] = [];
  const openLeases = async () => {
    await sender.mine([
      ...(await Promise.all(
        leased.map((_, i) =>
          sender.send(
            tenantAccounts[tenantOf(i)] as PrivateKeyAccount,
            contracts.leases.address,
            contracts.leases.abi,
            "openLease",
            [
              tenantIds[tenantOf(i)],
              BigInt(i + 1),
              lease,
              parseEther("10"),
              maxPrices,
              keccak256(toHex(`deployment ${i}`)),
            ],
            500_000n,
          ),
        ),
      )),
      ...(await Promise.all(leased.map((key) => sender.sendValue(relayer, key.address, parseEther("1"))))),
    ]);
    // Two tenants' transactions are mined interleaved: each lease's node is read back.
    const leaseIds = leased.map((_, i) => BigInt(i + 1));
    const leaseNodes = await Promise.all(
      leaseIds.map((leaseId) => client.readContract({ ...contracts.leases, functionName: "lease", args: [leaseId] })),
    );
    for (const record of leaseNodes) {
      leaseTenants.push(tenantAccounts.find((t) => t.address === record.tenant) as PrivateKeyAccount);
    }
    await sender.mine(
      await Promise.all(
        leaseIds.map((leaseId, i) =>
          sender.send(
            keys[Number(leaseNodes[i]?.nodeId) - 1] as PrivateKeyAccount,
            contracts.leases.address,
            contracts.leases.abi,
            "acknowledgeLease",
            [leaseId, `https://node-${leaseId}.example`],
            300_000n,
          ),
        ),
      ),
    );
    log(`${LEASES} leases opened and acknowledged`);
  };

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
    if (round === 0) await openLeases();
  }
  await sender.mine(
    await Promise.all(
      leaseTenants.map((tenant, i) =>
        sender.send(tenant, contracts.leases.address, contracts.leases.abi, "closeLease", [BigInt(i + 1)], 500_000n),
      ),
    ),
  );
  log(`${LEASES} leases closed`);

  // Jobs: requested, claimed by the two workers in turn, answered with signed results, finalised after the window.
  const requesterAccount = requester.account as unknown as PrivateKeyAccount;
  const workerKeys = workers.map((w) => w.key);
  await sender.track([requesterAccount, ...workerKeys]);
  const jobDeadline = (await client.getBlock()).timestamp + 7_200n;
  const jobs = Array.from({ length: JOBS }, (_, i) => ({
    jobId: BigInt(i + 1),
    inputHash: sha256(toHex(`page ${i}`)),
    output: toHex(`{"text":"page ${i}"}`),
    worker: workers[i % workers.length] as (typeof workers)[number],
  }));
  const request = (job: (typeof jobs)[number]) => ({
    requesterId,
    modelId,
    input: "0x",
    inputHash: job.inputHash,
    inputURI: `https://files.example/page-${job.jobId}.png`,
    grantIds: [],
    redundancy: 1,
    maxFeePerWorker: parseEther("2"),
    deadline: Number(jobDeadline),
    callback: zeroAddress,
    callbackGasLimit: 0,
  });
  const jobMarket = contracts.jobs;
  /** The requester sends `functionName` for every job, in job order (so the nth request becomes job n). */
  const toRequester = async (functionName: string, args: unknown[][], gas: bigint) =>
    sender.mine(
      await Promise.all(
        jobs.map((_, i) =>
          sender.send(requesterAccount, jobMarket.address, jobMarket.abi, functionName, args[i] as unknown[], gas),
        ),
      ),
    );
  await toRequester(
    "requestJob",
    jobs.map((job) => [request(job)]),
    600_000n,
  );
  await sender.mine(
    await Promise.all(
      jobs.map((job) =>
        sender.send(job.worker.key, jobMarket.address, jobMarket.abi, "claimJob", [job.jobId], 300_000n),
      ),
    ),
  );
  const answers = await Promise.all(
    jobs.map(async (job) => {
      const outputHash = sha256(job.output);
      const signature = await signJobResult({
        key: job.worker.key,
        chainId: 31337,
        jobMarket: jobMarket.address,
        jobId: job.jobId,
        modelHash,
        inputHash: job.inputHash,
        outputHash,
        workerId: job.worker.workerId,
        deadline: jobDeadline,
      });
      return [job.jobId, job.worker.workerId, outputHash, "", job.output, signature];
    }),
  );
  await toRequester("submitResult", answers, 400_000n);
  const challengeWindow = await client.readContract({ ...jobMarket, functionName: "challengeWindow" });
  await client.request({ method: "evm_increaseTime" as never, params: [Number(challengeWindow) + 1] as never });
  await toRequester(
    "finalize",
    jobs.map((job) => [job.jobId, job.output]),
    400_000n,
  );
  log(`${JOBS} jobs requested, claimed, answered and finalised`);
  // Ponder indexes the chain's last 30 blocks (its finality depth for an unknown chain) one block at a time, as live
  // blocks, with reorg bookkeeping. On a public chain those are a sliver of the history; here the whole history is
  // about 120 blocks, so empty blocks are mined on top to make every generated block one of the backfill's.
  // (One evm_mine each: hardhat_mine's reserved blocks get their parent hashes only once read, which Ponder's live
  // sync took for a reorg below the finalized block.)
  for (let i = 0; i < FINALITY_BLOCKS + 2; i++) {
    await client.request({ method: "evm_mine" as never, params: [] as never });
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
    const started = performance.now();
    const { running: ponder, url } = await startPonder({
      rpcUrl,
      dataDir: path.join(dir, name),
      args: ["--schema", `bench_${name}`],
      env,
    });
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
    leases: LEASES,
    jobs: JOBS,
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
  for (const child of running.reverse()) await stop(child);
  await rm(dir, { recursive: true, force: true });
}
