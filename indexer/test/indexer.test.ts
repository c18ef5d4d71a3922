// The indexer end to end: a real local chain (scripts/start.ts on a port this test chose), real transactions, and
// the real Ponder program on PGlite (or on Postgres when FOURFOLD_TEST_DATABASE_URL is set: a database of its own,
// dropped after), queried over GraphQL. A reorganisation (evm_snapshot / evm_revert) removes the rows it undid, and
// a restarted indexer resumes without indexing again from the start.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, parseEther, sha256, toHex, zeroAddress } from "viem";
import { freePort, type Running, runNode, startChain } from "../../scripts/test/support.ts";
import { KeyPurpose } from "../../worker/src/identity.ts";
import { signJobResult } from "../../worker/src/inference/job-result.ts";
import { connectGrid, eventually, type Grid, ROOT } from "../../worker/test/support/grid.ts";
import { postgresUrl, type TestDatabase, testDatabase } from "./support/database.ts";

const INDEXER = path.join(ROOT, "indexer");
const PONDER = path.join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
const RESOURCES = { cpu: 8, memoryMiB: 16_384, ssdGiB: 500, hddGiB: 0, gpus: 0 };
const PRICES = {
  cpu: parseEther("0.01"),
  memoryGiB: parseEther("0.001"),
  ssdGiB: parseEther("0.0001"),
  hddGiB: 0n,
  gpu: 0n,
};
const LEASE = { cpu: 2, memoryMiB: 4_096, ssdGiB: 50, hddGiB: 0, gpus: 0 };

for (const kind of ["pglite", "postgres"] as const) {
  const skip =
    kind === "postgres" && postgresUrl() === undefined
      ? "FOURFOLD_TEST_DATABASE_URL is not set (a Postgres server URL): the Postgres run needs one"
      : false;
  if (skip) console.log(`# indexer on Postgres skipped: ${skip}`);
  describe(`indexer on ${kind} (integration)`, { timeout: 600_000, skip }, () => suite(kind));
}

function suite(kind: "pglite" | "postgres") {
  let chain: Running;
  let indexer: Running | undefined;
  let grid: Grid;
  let rpcUrl: string;
  let dir: string;
  let database: TestDatabase;
  let apiUrl: string;
  const schema = `fourfold_test_${process.pid}`;

  /** Starts Ponder on this test's database; resolves once it serves HTTP. */
  async function startIndexer(): Promise<Running> {
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    const running = runNode([PONDER, "start", "--schema", schema, "--port", String(port), "--hostname", "127.0.0.1"], {
      cwd: INDEXER,
      env: {
        PONDER_TELEMETRY_DISABLED: "1",
        PONDER_RPC_URL_31337: rpcUrl,
        FOURFOLD_INDEXER_PGLITE_DIR: path.join(dir, "pglite"),
        FOURFOLD_INDEXER_POLLING_MS: "100",
        ...database.env,
      },
    });
    await running.until(/Created HTTP server/, 120_000);
    return running;
  }

  async function stopIndexer(): Promise<void> {
    if (indexer === undefined || indexer.child.exitCode !== null) return;
    indexer.child.kill("SIGINT");
    await indexer.exited;
  }

  /** A GraphQL query's data; its errors fail the test. */
  async function gql<T = Record<string, unknown>>(query: string): Promise<T> {
    const response = await fetch(`${apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data as T;
  }

  /** A REST route's status and JSON body. */
  async function rest<T = Record<string, unknown>>(route: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${apiUrl}${route}`);
    return { status: response.status, body: (await response.json()) as T };
  }

  /** Waits until the indexer has indexed the chain's latest block. */
  async function synced(): Promise<void> {
    const head = await grid.client.getBlockNumber({ cacheTime: 0 });
    await eventually(
      `indexed up to block ${head}`,
      async () => {
        const data = await gql<{ _meta: { status: { fourfold: { block: { number: number } | null } } } }>(
          "{ _meta { status } }",
        );
        const indexed = data._meta.status.fourfold.block?.number ?? 0;
        return indexed >= Number(head) ? true : undefined;
      },
      60_000,
    );
  }

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-indexer-"));
    database = await testDatabase(kind);
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    chain = await startChain(port);
    grid = await connectGrid(rpcUrl);
    indexer = await startIndexer();
  });

  after(async () => {
    await stopIndexer();
    if (chain.child.exitCode === null) {
      chain.child.kill("SIGINT");
      await chain.exited;
    }
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  let farmerId: bigint;
  let farmId: bigint;
  let nodeId: bigint;
  let nodeKey: Awaited<ReturnType<Grid["bindFreshKey"]>>;

  it("indexes identities and keys, farms, nodes, and heartbeats as uptime per node per hour", async () => {
    const farmer = grid.wallet(1);
    const { contracts, call } = grid;
    farmerId = await grid.register(farmer, "farmer-one");
    nodeKey = await grid.bindFreshKey(farmer, farmerId, KeyPurpose.Node);
    farmId = await call<bigint>(farmer, contracts.nodes, "createFarm", [
      farmerId,
      "Green Acres",
      farmer.account.address,
    ]);
    nodeId = await call<bigint>(farmer, contracts.nodes, "registerNode", [
      farmId,
      nodeKey.address,
      RESOURCES,
      { country: toHex("NL", { size: 2 }), region: "eu-west" },
      PRICES,
    ]);
    // Heartbeats: three a minute apart, then one in the next hour (too late to be credited).
    const node = grid.wallet(nodeKey);
    const hourOf = async () => {
      const { timestamp } = await grid.client.getBlock();
      return timestamp - (timestamp % 3_600n);
    };
    const beats: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      await call(node, contracts.nodes, "heartbeat", [nodeId]);
      beats.push(await hourOf());
      await grid.advanceTime(60);
    }
    await grid.advanceTime(3_600);
    await call(node, contracts.nodes, "heartbeat", [nodeId]);
    beats.push(await hourOf());
    await synced();

    const data = await gql<{
      identity: { handle: string; owner: string; kind: string; keys: { items: { key: string; purpose: string }[] } };
      farm: { name: string; identityId: string; nodes: { items: { id: string }[] } };
      node: Record<string, unknown> & {
        uptime: { items: { hour: string; heartbeats: number; onlineSeconds: string }[] };
      };
    }>(`{
      identity(id: "${farmerId}") { handle owner kind keys { items { key purpose } } }
      farm(id: "${farmId}") { name identityId nodes { items { id } } }
      node(id: "${nodeId}") {
        country region status cpu memoryMiB ssdGiB priceCpu heartbeats onlineSeconds lastHeartbeat
        uptime(orderBy: "hour") { items { hour heartbeats onlineSeconds } }
      }
    }`);
    assert.equal(data.identity.handle, "farmer-one");
    assert.equal(data.identity.owner, farmer.account.address.toLowerCase());
    assert.equal(data.identity.kind, "Standard");
    assert.deepEqual(data.identity.keys.items, [{ key: nodeKey.address.toLowerCase(), purpose: "Node" }]);
    assert.deepEqual(data.farm, {
      name: "Green Acres",
      identityId: String(farmerId),
      nodes: { items: [{ id: String(nodeId) }] },
    });
    const onChain = await grid.client.readContract({ ...contracts.nodes, functionName: "node", args: [nodeId] });
    assert.equal(data.node.country, "NL");
    assert.equal(data.node.region, "eu-west");
    assert.equal(data.node.status, "Active");
    assert.equal(data.node.cpu, 8);
    assert.equal(data.node.memoryMiB, "16384");
    assert.equal(data.node.priceCpu, PRICES.cpu.toString());
    assert.equal(data.node.heartbeats, "4");
    assert.equal(data.node.onlineSeconds, String(onChain.onlineSeconds));
    assert.equal(data.node.lastHeartbeat, String(onChain.lastHeartbeat));
    // One row per node-hour, however many heartbeats: the hours seen, the heartbeats in each, the seconds credited.
    const hours = [...new Set(beats)];
    assert.deepEqual(
      data.node.uptime.items.map((row) => row.hour),
      hours.map(String),
    );
    assert.deepEqual(
      data.node.uptime.items.map((row) => row.heartbeats),
      hours.map((hour) => beats.filter((b) => b === hour).length),
    );
    const credited = data.node.uptime.items.reduce((sum, row) => sum + BigInt(row.onlineSeconds), 0n);
    assert.equal(credited, BigInt(onChain.onlineSeconds));
  });

  it("follows a lease through Active, Grace and expiry, with its settlements and top-up", async () => {
    const tenant = grid.wallet(2);
    const { contracts, call } = grid;
    const tenantId = await grid.register(tenant, "tenant-one");
    await grid.fundFold(tenant, parseEther("1000"), contracts.leases.address);
    // The smallest deposit the market takes: the grace reserve (read from the refusal of a zero deposit).
    const minimum = await grid.client
      .simulateContract({
        ...contracts.leases,
        functionName: "openLease",
        args: [tenantId, nodeId, LEASE, 0n, PRICES, keccak256(toHex("app"))],
        account: tenant.account,
      })
      .then(
        () => assert.fail("a zero deposit was taken"),
        (error: { walk: (fn: (e: unknown) => boolean) => { data?: { args?: readonly bigint[] } } | null }) =>
          error.walk((e) => (e as { data?: { errorName?: string } }).data?.errorName === "LeaseDepositTooLow")?.data
            ?.args?.[1] as bigint,
      );
    const leaseId = await call<bigint>(tenant, contracts.leases, "openLease", [
      tenantId,
      nodeId,
      LEASE,
      minimum * 2n,
      PRICES,
      keccak256(toHex("app")),
    ]);
    const node = grid.wallet(nodeKey);
    await call(node, contracts.leases, "acknowledgeLease", [leaseId, "https://node.example/app"]);
    // Online long enough to spend more than half the deposit: a settlement leaves it short, so it enters Grace.
    const gracePeriod = await grid.client.readContract({ ...contracts.leases, functionName: "gracePeriod" });
    for (let i = 0; i < 12; i++) {
      await grid.advanceTime(Number(gracePeriod) / 10);
      await call(node, contracts.nodes, "heartbeat", [nodeId]);
    }
    await call(tenant, contracts.leases, "settle", [leaseId]);
    await call(tenant, contracts.leases, "topUp", [leaseId, 1n]);
    // Past the grace period without enough money: anyone may expire it.
    await grid.advanceTime(Number(gracePeriod) + 1);
    await call(grid.deployer, contracts.leases, "expireLease", [leaseId]);
    await synced();

    const onChain = await grid.client.readContract({ ...contracts.leases, functionName: "lease", args: [leaseId] });
    const data = await gql<{
      lease: Record<string, string> & {
        states: { items: { state: string; reason: string | null }[] };
        payments: { items: { kind: string; amount: string; fee: string | null; escrowAfter: string }[] };
      };
      node: { reservedCpu: number; leasedUnits: string };
    }>(`{
      lease(id: "${leaseId}") {
        state endReason tenant tenantId farmId endpoint cpu deposit escrow paid toppedUp refund
        states(orderBy: "block") { items { state reason } }
        payments(orderBy: "block") { items { kind amount fee escrowAfter } }
      }
      node(id: "${nodeId}") { reservedCpu leasedUnits }
    }`);
    const { lease } = data;
    assert.equal(lease.state, "Ended");
    assert.equal(lease.endReason, "OutOfFunds");
    assert.equal(lease.tenant, tenant.account.address.toLowerCase());
    assert.equal(lease.tenantId, String(tenantId));
    assert.equal(lease.farmId, String(farmId));
    assert.equal(lease.endpoint, "https://node.example/app");
    assert.equal(lease.deposit, String(minimum * 2n));
    assert.equal(lease.escrow, "0");
    assert.equal(lease.paid, String(onChain.paid));
    assert.equal(lease.toppedUp, "1");
    assert.deepEqual(
      lease.states.items.map((s) => [s.state, s.reason]),
      [
        ["Pending", null],
        ["Active", null],
        ["Grace", null],
        ["Ended", "OutOfFunds"],
      ],
    );
    const kinds = lease.payments.items.map((p) => p.kind);
    assert.ok(kinds.includes("topUp") && kinds.includes("settlement"), kinds.join(","));
    const settled = lease.payments.items.filter((p) => p.kind === "settlement");
    assert.equal(
      settled.reduce((sum, p) => sum + BigInt(p.amount), 0n),
      BigInt(onChain.paid),
      "the settlements add up to what the lease paid",
    );
    assert.deepEqual(data.node, { reservedCpu: 0, leasedUnits: "0" }, "the ended lease released its capacity");
  });

  it("answers GET /nodes with free-capacity, region, price and online filters, sorted and paginated", async () => {
    const farmer = grid.wallet(1);
    const { contracts, call } = grid;
    // Two more nodes: a big expensive one in us-east, a small cheap one in eu-west.
    const more = [
      { resources: { ...RESOURCES, cpu: 32, memoryMiB: 65_536 }, country: "US", region: "us-east", cpuPrice: "0.05" },
      { resources: { ...RESOURCES, cpu: 4, memoryMiB: 8_192 }, country: "DE", region: "eu-west", cpuPrice: "0.002" },
    ];
    const ids = [nodeId];
    const keys = [nodeKey];
    for (const spec of more) {
      const key = await grid.bindFreshKey(farmer, farmerId, KeyPurpose.Node);
      keys.push(key);
      ids.push(
        await call<bigint>(farmer, contracts.nodes, "registerNode", [
          farmId,
          key.address,
          spec.resources,
          { country: toHex(spec.country, { size: 2 }), region: spec.region },
          { ...PRICES, cpu: parseEther(spec.cpuPrice) },
        ]),
      );
    }
    // The first two nodes are online now; the third never sent a heartbeat.
    for (const i of [0, 1])
      await call(grid.wallet(keys[i] as Awaited<ReturnType<Grid["bindFreshKey"]>>), contracts.nodes, "heartbeat", [
        ids[i],
      ]);
    await synced();
    type Nodes = { total: number; nodes: { id: string; online: boolean; hourlyPrice: string | null }[] };
    const idsOf = (body: Nodes) => body.nodes.map((n) => n.id);
    const all = await rest<Nodes>("/nodes");
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 3);
    assert.deepEqual(idsOf(all.body), ids.map(String));
    assert.deepEqual(
      all.body.nodes.map((n) => n.online),
      [true, true, false],
    );
    assert.deepEqual(idsOf((await rest<Nodes>("/nodes?minCpu=16")).body), [String(ids[1])]);
    assert.deepEqual(idsOf((await rest<Nodes>("/nodes?region=eu-west&online=true")).body), [String(ids[0])]);
    assert.deepEqual(idsOf((await rest<Nodes>("/nodes?online=false")).body), [String(ids[2])]);
    assert.deepEqual(idsOf((await rest<Nodes>("/nodes?country=US")).body), [String(ids[1])]);
    // Priced for 2 cores: 0.02, 0.1 and 0.004 FOLD an hour; at most 0.05 leaves the first and the third, cheapest first.
    const cheap = (await rest<Nodes>(`/nodes?minCpu=2&maxHourlyPrice=${parseEther("0.05")}&sort=price`)).body;
    assert.deepEqual(idsOf(cheap), [String(ids[2]), String(ids[0])]);
    assert.deepEqual(
      cheap.nodes.map((n) => n.hourlyPrice),
      [String(parseEther("0.004")), String(parseEther("0.02"))],
    );
    const page = (await rest<Nodes>("/nodes?sort=cpu&order=desc&limit=1&offset=1")).body;
    assert.equal(page.total, 3);
    assert.deepEqual(idsOf(page), [String(ids[0])]);
    // Bad parameters: a 400 that names the parameter.
    for (const [query, named] of [
      ["minCpu=-1", "minCpu"],
      ["minCpu=1.5", "minCpu"],
      ["sort=cheapest", "sort"],
      ["limit=0", "limit"],
      ["limit=1000", "limit"],
      ["online=yes", "online"],
      ["country=nl", "country"],
      ["maxHourlyPrice=5", "maxHourlyPrice"],
      ["colour=blue", "colour"],
      ["region=a&region=b", "region"],
    ]) {
      const { status, body } = await rest<{ error: string }>(`/nodes?${query}`);
      assert.equal(status, 400, query);
      assert.match(body.error, new RegExp(named as string), query);
    }
  });

  it("answers a 2-of-3 job's provenance: model, input, verified signatures, the liar slashed, the payments", async () => {
    const { contracts, call, client } = grid;
    const owner = grid.wallet(5);
    const ownerId = await grid.register(owner, "model-owner");
    const modelHash = keccak256(toHex("weights"));
    const modelId = await call<bigint>(owner, contracts.jobs, "registerModel", [
      ownerId,
      modelHash,
      "ocr",
      "npm:x",
      1_000n,
    ]);
    const minStake = await client.readContract({ ...contracts.jobs, functionName: "minStake" });
    const price = parseEther("1");
    const workers = [];
    for (const [i, who] of [6, 7, 8].entries()) {
      workers.push(await grid.registerWorker(grid.wallet(who), `worker-${i}`, [modelId], price, minStake));
    }
    const requester = grid.wallet(9);
    const requesterId = await grid.register(requester, "requester");
    await grid.fundFold(requester, parseEther("10"), contracts.jobs.address);
    const inputHash = sha256(toHex("a scanned page"));
    const deadline = (await client.getBlock()).timestamp + 7_200n;
    const jobId = await call<bigint>(requester, contracts.jobs, "requestJob", [
      {
        requesterId,
        modelId,
        input: "0x",
        inputHash,
        inputURI: "https://files.example/page.png",
        grantIds: [],
        redundancy: 3,
        maxFeePerWorker: parseEther("2"),
        deadline: Number(deadline),
        callback: zeroAddress,
        callbackGasLimit: 0,
      },
    ]);
    const honest = toHex('{"text":"POLICY 12345"}');
    const lie = toHex('{"text":"nothing"}');
    for (const [i, w] of workers.entries()) {
      await call(grid.wallet(w.key), contracts.jobs, "claimJob", [jobId]);
      const output = i === 2 ? lie : honest;
      const outputHash = sha256(output);
      const signature = await signJobResult({
        key: w.key,
        chainId: 31337,
        jobMarket: contracts.jobs.address,
        jobId,
        modelHash,
        inputHash,
        outputHash,
        workerId: w.workerId,
        deadline,
      });
      await call(requester, contracts.jobs, "submitResult", [jobId, w.workerId, outputHash, "", output, signature]);
    }
    await grid.advanceTime(3_601);
    await call(requester, contracts.jobs, "finalize", [jobId, honest]);
    await synced();

    type Provenance = {
      job: { state: string; requester: { handle: string } };
      model: { modelHash: string; owner: { handle: string }; ownerFeeBps: number };
      input: { hash: string; uri: string };
      output: { finalHash: string; votes: number };
      workers: {
        worker: { id: string; handle: string };
        state: string;
        signer: string;
        signerIsWorkerKey: boolean;
        agreesWithFinal: boolean;
        paid: string;
        ownerCut: string;
        slashed: { toRequester: string; toOthers: string } | null;
      }[];
      payments: { toWorkers: string; toModelOwner: string; paid: string; refund: string; slashed: string };
      challenge: null;
    };
    const { status, body } = await rest<Provenance>(`/jobs/${jobId}/provenance`);
    assert.equal(status, 200);
    assert.equal(body.job.state, "Final");
    assert.equal(body.job.requester.handle, "requester");
    assert.deepEqual(body.model, { ...body.model, modelHash, ownerFeeBps: 1000 });
    assert.equal(body.model.owner.handle, "model-owner");
    assert.deepEqual(body.input, { ...body.input, hash: inputHash, uri: "https://files.example/page.png" });
    assert.deepEqual(body.output, { ...body.output, finalHash: sha256(honest), votes: 2 });
    assert.deepEqual(
      body.workers.map((w) => [w.worker.handle, w.signer, w.signerIsWorkerKey, w.agreesWithFinal]),
      workers.map((w, i) => [`worker-${i}`, w.key.address, true, i !== 2]),
    );
    const cut = price / 10n;
    assert.deepEqual(
      body.workers.map((w) => [w.state, w.paid, w.ownerCut]),
      [
        ["Submitted", String(price - cut), String(cut)],
        ["Submitted", String(price - cut), String(cut)],
        ["Slashed", "0", "0"],
      ],
    );
    const [slash] = await client.getContractEvents({
      ...contracts.jobs,
      eventName: "WorkerSlashed",
      args: { jobId },
      fromBlock: 0n,
    });
    assert.deepEqual(body.workers[2]?.slashed, {
      toRequester: String(slash?.args.toRequester),
      toOthers: String(slash?.args.toOthers),
    });
    assert.deepEqual(body.payments, {
      toWorkers: String(2n * (price - cut)),
      toModelOwner: String(2n * cut),
      paid: String(2n * price),
      refund: body.payments.refund,
      slashed: String((slash?.args.toRequester ?? 0n) + (slash?.args.toOthers ?? 0n)),
    });
    assert.equal(body.challenge, null);
    assert.equal((await rest(`/jobs/${jobId + 100n}/provenance`)).status, 404);
    assert.equal((await rest("/jobs/abc/provenance")).status, 400);

    // The farm's earnings and the grid's stats, from the same history.
    type Earnings = { perLease: { id: string; earned: string }[]; totals: { leases: string } };
    const earnings = await rest<Earnings>(`/farms/${farmId}/earnings`);
    assert.equal(earnings.status, 200);
    const leases = await gql<{ leases: { items: { id: string; paid: string; fees: string }[] } }>(
      `{ leases(where: { farmId: "${farmId}" }) { items { id paid fees } } }`,
    );
    assert.deepEqual(
      earnings.body.perLease.map((l) => [l.id, l.earned]),
      leases.leases.items.map((l) => [l.id, String(BigInt(l.paid) - BigInt(l.fees))]),
    );
    assert.equal((await rest("/farms/999/earnings")).status, 404);
    type Stats = { nodes: { total: number }; jobsPerHour: { requested: number; finalized: number }[] };
    const stats = await rest<Stats>("/stats");
    assert.equal(stats.status, 200);
    assert.equal(stats.body.nodes.total, 3);
    assert.equal(
      stats.body.jobsPerHour.reduce((sum, h) => sum + h.requested, 0),
      1,
    );
    assert.equal((await rest("/stats?verbose=1")).status, 400);
  });

  it("drops the rows of blocks a reorganisation removed", async () => {
    const { call } = grid;
    const snapshot = await grid.client.request({ method: "evm_snapshot" as never, params: [] as never });
    const ephemeral = await grid.register(grid.wallet(3), "ephemeral");
    await synced();
    const seen = await gql<{ identity: { handle: string } | null }>(`{ identity(id: "${ephemeral}") { handle } }`);
    assert.equal(seen.identity?.handle, "ephemeral");
    assert.equal(await grid.client.request({ method: "evm_revert" as never, params: [snapshot] as never }), true);
    // A different history, longer than the one it replaces.
    const other = await grid.register(grid.wallet(4), "survivor");
    assert.equal(other, ephemeral, "the same id, now someone else's");
    for (let i = 0; i < 3; i++)
      await call(grid.deployer, grid.contracts.token, "transfer", [grid.deployer.account.address, 1n]);
    await synced();
    await eventually("the reorganised identity", async () => {
      const data = await gql<{ identity: { handle: string } | null }>(`{ identity(id: "${ephemeral}") { handle } }`);
      return data.identity?.handle === "survivor" ? true : undefined;
    });
    const handles = await gql<{ identitys: { items: { handle: string }[] } }>(
      `{ identitys(where: { handle: "ephemeral" }) { items { handle } } }`,
    );
    assert.deepEqual(handles.identitys.items, []);
  });

  it("resumes after a restart without indexing again from the start, and without duplicate rows", async () => {
    const count = async () => {
      const data = await gql<Record<string, { totalCount: number }>>(
        "{ identitys { totalCount } nodeUptimeHours { totalCount } leaseStateChanges { totalCount } tokenTransfers { totalCount } }",
      );
      return Object.fromEntries(Object.entries(data).map(([table, { totalCount }]) => [table, totalCount]));
    };
    const before = await count();
    await stopIndexer();
    const grower = await grid.register(grid.wallet(5), "after-restart");
    indexer = await startIndexer();
    await synced();
    await eventually("the identity registered while stopped", async () => {
      const data = await gql<{ identity: { handle: string } | null }>(`{ identity(id: "${grower}") { handle } }`);
      return data.identity?.handle === "after-restart" ? true : undefined;
    });
    const afterRestart = await count();
    assert.deepEqual(afterRestart, { ...before, identitys: before.identitys + 1 });
    // Ponder found its checkpoint, and fetched only the blocks after it.
    assert.match(indexer.output(), /Detected crash recovery/);
    const from = indexer.output().match(/Started backfill indexing chain=fourfold block_range=\[(\d+),/)?.[1];
    assert.ok(Number(from) > 1, `the backfill starts at block ${from}, not at the deployment`);
  });
}
