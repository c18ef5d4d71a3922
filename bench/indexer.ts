// `npm run bench:indexer`: the indexer's backfill speed and /nodes latency, written to bench/results/indexer.json.
//
// A local chain gets 10,000 nodes (10 farms of 1,000, each node with its own key bound to the farm's identity),
// 10 rounds of signed heartbeats from every node (heartbeatBatch, 100 to a transaction), 1,000 leases opened,
// acknowledged and closed around them, and 1,000 OCR jobs requested, claimed with commitments, revealed and finalised: over 100,000
// events. Then, over the same block range:
// - getLogsSeconds: a bare eth_getLogs sweep of every Fourfold contract's logs (what any indexer must fetch);
// - pgliteSeconds / postgresSeconds: `ponder start` on a fresh database until every block is indexed and queryable;
// - ratioPglite / ratioPostgres: each over getLogsSeconds (goal: ratioPostgres <= 2);
// - nodesQueryP50Ms / nodesQueryP95Ms: GET /nodes with filters over the 10,000 indexed nodes (goal: p95 < 50 ms).
// Postgres is FOURFOLD_TEST_DATABASE_URL's server (a database of the bench's own, dropped after), else this
// machine's on 127.0.0.1:5432 if it answers; without one, the Postgres keys are null and the reason is written.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, type PrivateKeyAccount, parseEther, sha256, toHex, zeroAddress } from "viem";
import { testDatabase } from "../indexer/test/support/database.ts";
import { startPonder, stop, untilIndexed } from "../indexer/test/support/ponder.ts";
import { freePort, type Running, startChain } from "../scripts/test/support.ts";
import { sealJobResult } from "../worker/src/inference/job-result.ts";
import { connectGrid, type Grid } from "../worker/test/support/grid.ts";
import { heartbeatRound, log, percentile, registerNodes, round1, Sender, saveResults } from "./support/load.ts";

const FARMS = 10;
const NODES_PER_FARM = 1_000;
const ROUNDS = 10;
const LEASES = 1_000;
const JOBS = 1_000;
const QUERIES = 200;
const FINALITY_BLOCKS = 30;

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

  const loaded = await registerNodes(grid, sender, { farms: FARMS, nodesPerFarm: NODES_PER_FARM });
  const { keys, relayer } = loaded;

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

  // Heartbeats: every node, ROUNDS times a minute apart.
  for (let round = 0; round < ROUNDS; round++) {
    await heartbeatRound(grid, sender, loaded);
    log(`heartbeat round ${round + 1}/${ROUNDS}: ${keys.length} heartbeats`);
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
  // Each worker claims with its commitment (k = 1, so the claim opens the reveals), then the requester relays the
  // reveals.
  const sealed = await Promise.all(
    jobs.map((job) =>
      sealJobResult({
        key: job.worker.key,
        chainId: 31337,
        jobMarket: jobMarket.address,
        jobId: job.jobId,
        modelHash,
        inputHash: job.inputHash,
        outputHash: sha256(job.output),
        workerId: job.worker.workerId,
        deadline: jobDeadline,
      }),
    ),
  );
  await sender.mine(
    await Promise.all(
      jobs.map((job, i) =>
        sender.send(
          job.worker.key,
          jobMarket.address,
          jobMarket.abi,
          "claimJob",
          [job.jobId, sealed[i]?.commitment],
          300_000n,
        ),
      ),
    ),
  );
  const answers = jobs.map((job, i) => {
    const { salt, signature } = sealed[i] as { salt: string; signature: string };
    return [job.jobId, 0n, sha256(job.output), salt, "", job.output, signature];
  });
  await toRequester("revealResult", answers, 400_000n);
  const challengeWindow = await client.readContract({ ...jobMarket, functionName: "challengeWindow" });
  await client.request({ method: "evm_increaseTime" as never, params: [Number(challengeWindow) + 1] as never });
  await toRequester(
    "finalize",
    jobs.map((job) => [job.jobId, job.output]),
    400_000n,
  );
  log(`${JOBS} jobs requested, claimed with commitments, revealed and finalised`);
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
    await untilIndexed({ running: ponder, url }, head, 3_600_000);
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
  });
  await saveResults("indexer", result, {
    "ratioPostgres <= 2": typeof result.ratioPostgres === "number" && result.ratioPostgres <= 2,
    "nodesQueryP95Ms < 50": (result.nodesQueryP95Ms as number) < 50,
  });
} finally {
  for (const child of running.reverse()) await stop(child);
  await rm(dir, { recursive: true, force: true });
}
