// The indexer end to end: a real local chain (scripts/start.ts on a port this test chose), real transactions, and
// the real Ponder program on PGlite (or on Postgres when FOURFOLD_TEST_DATABASE_URL is set: a database of its own,
// dropped after), queried over GraphQL. A reorganisation (evm_snapshot / evm_revert) removes the rows it undid, and
// a restarted indexer resumes without indexing again from the start.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { stripVTControlCharacters } from "node:util";
import fc from "fast-check";
import { getIntrospectionQuery } from "graphql";
import pg from "pg";
import { type Hex, keccak256, parseEther, sha256, toHex, zeroAddress } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { freePort, type Running, startChain } from "../../scripts/test/support.ts";
import { KeyPurpose } from "../../worker/src/identity.ts";
import { connectGrid, eventually, type Grid } from "../../worker/test/support/grid.ts";
import { postgresUrl, type TestDatabase, testDatabase } from "./support/database.ts";
import { startPonder, stop, untilIndexed } from "./support/ponder.ts";

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
    const started = await launch(["--schema", schema]);
    apiUrl = started.url;
    return started.running;
  }

  /** Runs `ponder start` with `args` (a schema, maybe a views schema) on this test's chain and database. */
  const launch = (args: string[]) => startPonder({ rpcUrl, dataDir: dir, args, env: database.env });

  const stopIndexer = () => stop(indexer);

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
    await untilIndexed({ running: indexer as Running, url: apiUrl }, head, 60_000);
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
    await stop(chain);
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
      node: { reservedCpu: number };
    }>(`{
      lease(id: "${leaseId}") {
        state endReason tenant tenantId farmId endpoint cpu deposit escrow paid toppedUp refund
        states(orderBy: "block") { items { state reason } }
        payments(orderBy: "block") { items { kind amount fee escrowAfter } }
      }
      node(id: "${nodeId}") { reservedCpu }
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
    assert.deepEqual(data.node, { reservedCpu: 0 }, "the ended lease released its capacity");
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
    type Nodes = { now: string; total: number; nodes: { id: string; online: boolean; hourlyPrice: string | null }[] };
    const idsOf = (body: Nodes) => body.nodes.map((n) => n.id);
    const all = await rest<Nodes>("/nodes");
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 3);
    // The chain's time the answer was made at (its latest block's, read at most a second before).
    const head = await grid.client.getBlock();
    assert.ok(BigInt(all.body.now) <= head.timestamp && BigInt(all.body.now) > head.timestamp - 600n, all.body.now);
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
      // Beyond what the chain can hold (a node's cores and GPUs are uint16, its memory and disks uint32): once a 500
      // (Postgres: integer out of range).
      ["minCpu=2147483648", "minCpu"],
      ["minCpu=12345678901234567890123456789012345678901234", "minCpu"],
      ["minGpus=2147483648", "minGpus"],
      ["minMemoryMiB=4294967296", "minMemoryMiB"],
      ["minSsdGiB=4294967296", "minSsdGiB"],
      ["minHddGiB=4294967296", "minHddGiB"],
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

  it("refuses a query that could exhaust it (nested 15 deep, a 10 MB body, not JSON, too many objects) with a 4xx within 1 s, and keeps serving", async () => {
    /** POSTs `body` to /graphql: its status, its JSON and how long it took. */
    const post = async (body: string | Uint8Array) => {
      const started = performance.now();
      const response = await fetch(`${apiUrl}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const text = await response.text();
      return { status: response.status, text, ms: performance.now() - started };
    };
    // nodes -> farm -> nodes -> farm ...: 15 fields deep (each page at its default 50).
    const deep = `{ ${"nodes { items { farm { ".repeat(4)}nodes { items { id } } ${"} } } ".repeat(4)}}`;
    const refusals: [string, string | Uint8Array, number, RegExp][] = [
      ["nested 15 deep", JSON.stringify({ query: deep }), 400, /nested 15 fields deep; at most 10 are allowed/],
      ["a 10 MB body", new Uint8Array(10 * 1024 * 1024).fill(0x20), 413, /over 64 KiB/],
      ["not JSON", "query { nodes { totalCount } }", 400, /not JSON/],
      ["no query", JSON.stringify({ variables: {} }), 400, /query: a GraphQL document is needed/],
      ["bad syntax", JSON.stringify({ query: "{ nodes { " }), 400, /query: Syntax Error/],
      [
        "a million objects, two levels deep",
        JSON.stringify({ query: "{ farms(limit: 1000) { items { nodes(limit: 1000) { items { id } } } } }" }),
        400,
        /may return 1,001,000 objects; at most 25,000/,
      ],
      ["a field that does not exist", JSON.stringify({ query: "{ nodes { colour } }" }), 400, /colour/],
    ];
    let slowest = 0;
    for (const [what, body, status, message] of refusals) {
      const answer = await post(body);
      assert.equal(answer.status, status, `${what}: ${answer.text}`);
      assert.match(answer.text, message, what);
      assert.ok(answer.ms < 1_000, `${what} answered in ${answer.ms} ms`);
      slowest = Math.max(slowest, answer.ms);
    }
    console.log(`# ${refusals.length} abusive requests refused, the slowest in ${Math.round(slowest)} ms`);

    // What a user may ask still runs: a page of nodes with their farms, and GraphiQL's introspection.
    const fine = await post(
      JSON.stringify({ query: "{ nodes(limit: 100) { totalCount items { id farm { name } } } }" }),
    );
    assert.equal(fine.status, 200, fine.text);
    assert.equal((JSON.parse(fine.text) as { data: { nodes: { totalCount: number } } }).data.nodes.totalCount, 3);
    const introspection = await post(JSON.stringify({ query: getIntrospectionQuery() }));
    assert.equal(introspection.status, 200);
    assert.ok((JSON.parse(introspection.text) as { data: { __schema: unknown } }).data.__schema);

    // SQL over HTTP (@ponder/client): a parameter that is not its encoding, and SQL it refuses, are 400s.
    const sql = async (param: string) => {
      const response = await fetch(`${apiUrl}/sql/db?sql=${encodeURIComponent(param)}`);
      return { status: response.status, body: (await response.json()) as { error: string } };
    };
    const nope = await sql("nope");
    assert.equal(nope.status, 400);
    assert.match(nope.body.error, /^sql: /);
    const write = await sql(JSON.stringify({ json: { sql: "DELETE FROM node", params: [] } }));
    assert.equal(write.status, 400, JSON.stringify(write.body));
    assert.match(write.body.error, /^sql: /);

    // And right after, /nodes answers as before.
    const after = await rest<{ total: number }>("/nodes");
    assert.equal(after.status, 200);
    assert.equal(after.body.total, 3);
  });

  it("answers jobs' provenance: sealed results, verified signatures, payments; a round's verdict slashing a liar", async () => {
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
    const workers: { workerId: bigint; key: PrivateKeyAccount; owner: Hex }[] = [];
    // Three original workers, and a fourth for a committee (the local chain's rounds draw one member).
    for (const [i, who] of [6, 7, 8, 10].entries()) {
      const owner = grid.wallet(who);
      const registered = await grid.registerWorker(owner, `worker-${i}`, [modelId], price, minStake);
      workers.push({ ...registered, owner: owner.account.address });
    }
    const requester = grid.wallet(9);
    const requesterId = await grid.register(requester, "requester");
    await grid.fundFold(requester, parseEther("20"), contracts.jobs.address);
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
    const sealedJob = { modelHash, inputHash, deadline };
    const sealed = await Promise.all(
      workers.slice(0, 3).map((w, i) => grid.sealedResult(w, jobId, i === 2 ? lie : honest, sealedJob)),
    );
    for (const result of sealed) await result.claim();
    await synced();
    // Sealed until the third commitment: the indexer has commitments, no output.
    const sealedView = await gql<{
      job: { state: string; claims: { items: { commitment: string; outputHash: null }[] } };
    }>(`{ job(id: "${jobId}") { state claims { items { commitment outputHash } } } }`);
    assert.equal(sealedView.job.state, "Revealing");
    assert.deepEqual(
      sealedView.job.claims.items.map((c) => c.outputHash),
      [null, null, null],
    );
    for (const [entry, result] of sealed.entries()) await result.reveal(requester, BigInt(entry));
    await grid.advanceTime(3_601);
    await call(requester, contracts.jobs, "finalize", [jobId, honest]);
    await synced();

    type Worker = {
      worker: { id: string; handle: string };
      member: boolean;
      state: string;
      commitment: string | null;
      signer: string;
      signerIsWorkerKey: boolean;
      agreesWithFinal: boolean;
      paid: string;
      ownerCut: string;
      slashed: { amount: string; silent: boolean } | null;
    };
    type Provenance = {
      job: { state: string; requester: { handle: string } };
      model: { modelHash: string; owner: { handle: string }; ownerFeeBps: number };
      input: { hash: string; uri: string };
      output: { finalHash: string; votes: number };
      workers: Worker[];
      committee: Worker[];
      payments: {
        toWorkers: string;
        toModelOwner: string;
        paid: string;
        refund: string;
        slashed: string;
        potShares: { account: string; amount: string }[];
      };
      round: null | {
        challenger: string | null;
        committeeSize: number;
        verdictHash: string;
        verdictVotes: number;
        upheld: boolean;
        failure: string | null;
      };
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
      body.workers.map((w) => [w.worker.handle, w.signer, w.signerIsWorkerKey, w.agreesWithFinal, w.commitment]),
      workers.slice(0, 3).map((w, i) => [`worker-${i}`, w.key.address, true, i !== 2, sealed[i]?.commitment]),
    );
    const cut = price / 10n;
    // The outvoted worker is neither paid nor slashed: only a round's verdict slashes an output.
    assert.deepEqual(
      body.workers.map((w) => [w.state, w.paid, w.ownerCut, w.slashed]),
      [
        ["Revealed", String(price - cut), String(cut), null],
        ["Revealed", String(price - cut), String(cut), null],
        ["Revealed", "0", "0", null],
      ],
    );
    assert.deepEqual(body.payments, {
      toWorkers: String(2n * (price - cut)),
      toModelOwner: String(2n * cut),
      paid: String(2n * price),
      refund: body.payments.refund,
      slashed: "0",
      potShares: [],
    });
    assert.equal(body.round, null);
    assert.deepEqual(body.committee, []);
    assert.equal((await rest(`/jobs/${jobId + 100n}/provenance`)).status, 404);
    // A bad path parameter names itself (the REST fuzz test found it named "query").
    assert.deepEqual(await rest("/jobs/abc/provenance"), {
      status: 400,
      body: { error: "id: must be a positive whole number" },
    });

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
    type Stats = {
      nodes: { total: number; online: number };
      pricesOnline: { cpu: { min: string | null; max: string | null } };
      cpuPriceHistogram: { from: string; to: string; nodes: number }[];
      regions: { region: string; nodes: number; online: number; cpuOnline: string; cpuFree: string }[];
      jobsPerHour: { requested: number; finalized: number }[];
    };
    const stats = await rest<Stats>("/stats");
    assert.equal(stats.status, 200);
    assert.equal(stats.body.nodes.total, 3);
    // Regions by node count (eu-west has two of the three), and online nodes spread over the CPU price's range.
    assert.deepEqual(
      stats.body.regions.map((r) => [r.region, r.nodes]),
      [
        ["eu-west", 2],
        ["us-east", 1],
      ],
    );
    assert.equal(
      stats.body.regions.reduce((sum, r) => sum + r.online, 0),
      stats.body.nodes.online,
    );
    const histogram = stats.body.cpuPriceHistogram;
    assert.equal(
      histogram.reduce((sum, b) => sum + b.nodes, 0),
      stats.body.nodes.online,
    );
    if (stats.body.nodes.online > 0) {
      assert.equal(histogram.length, 8);
      assert.equal(histogram[0]?.from, stats.body.pricesOnline.cpu.min);
      assert.ok(BigInt(histogram[7]?.to ?? 0) > BigInt(stats.body.pricesOnline.cpu.max ?? 0));
    }
    assert.equal(
      stats.body.jobsPerHour.reduce((sum, h) => sum + h.requested, 0),
      1,
    );
    assert.equal((await rest("/stats?verbose=1")).status, 400);

    // k = 2 without a majority: a round by itself, whose one member re-runs the job and sides with the honest worker;
    // the liar's collateral goes to the honest worker and the member.
    const disputed = await call<bigint>(requester, contracts.jobs, "requestJob", [
      {
        requesterId,
        modelId,
        input: "0x",
        inputHash,
        inputURI: "https://files.example/page.png",
        grantIds: [],
        redundancy: 2,
        maxFeePerWorker: parseEther("2"),
        deadline: Number(deadline),
        callback: zeroAddress,
        callbackGasLimit: 0,
      },
    ]);
    const pair = await Promise.all(
      workers.slice(0, 2).map((w, i) => grid.sealedResult(w, disputed, i === 1 ? lie : honest, sealedJob)),
    );
    for (const result of pair) await result.claim();
    for (const [entry, result] of pair.entries()) await result.reveal(requester, BigInt(entry));
    // The committee is drawn from the hash of the block after the round opened: mine it, and one more to draw in.
    await grid.advanceTime(1);
    await grid.advanceTime(1);
    await call(requester, contracts.jobs, "drawCommittee", [disputed]);
    const seat = await client.readContract({ ...contracts.jobs, functionName: "claim", args: [disputed, 2n] });
    const member = workers.find((w) => w.workerId === seat.workerId);
    assert.ok(member, "the member is one of the two workers not in the job");
    const memberResult = await grid.sealedResult(member, disputed, honest, sealedJob);
    await memberResult.commitAsMember(2n);
    await memberResult.reveal(requester, 2n);
    await call(requester, contracts.jobs, "closeReveals", [disputed]);
    await call(requester, contracts.jobs, "finalize", [disputed, honest]);
    await synced();
    const round = (await rest<Provenance>(`/jobs/${disputed}/provenance`)).body;
    assert.equal(round.job.state, "Final");
    assert.deepEqual(round.round, {
      ...round.round,
      challenger: null,
      committeeSize: 1,
      verdictHash: sha256(honest),
      verdictVotes: 1,
      upheld: false,
      failure: null,
    });
    assert.deepEqual(
      round.workers.map((w) => [w.state, w.slashed]),
      [
        ["Revealed", null],
        ["Slashed", { amount: String(minStake), silent: false }],
      ],
    );
    assert.deepEqual(
      round.committee.map((w) => [w.worker.id, w.member, w.state, w.paid]),
      [[String(member.workerId), true, "Revealed", "0"]],
    );
    const owners = [workers[0]?.owner ?? "", member.owner].map((o) => o.toLowerCase()).sort();
    assert.deepEqual(
      round.payments.potShares.map((p) => [p.account, p.amount]).sort(),
      owners.map((o) => [o, String(minStake / 2n)]),
    );
    assert.equal(round.payments.slashed, String(minStake));

    // A job nobody claims (here: no worker could use its input) is refunded when its commit phase closes.
    const unclaimed = await call<bigint>(requester, contracts.jobs, "requestJob", [
      {
        requesterId,
        modelId,
        input: "0x",
        inputHash,
        inputURI: "https://files.example/broken.png",
        grantIds: [],
        redundancy: 1,
        maxFeePerWorker: parseEther("2"),
        deadline: Number((await client.getBlock()).timestamp + 600n),
        callback: zeroAddress,
        callbackGasLimit: 0,
      },
    ]);
    await grid.advanceTime(601);
    await call(requester, contracts.jobs, "closeCommits", [unclaimed]);
    await synced();
    const refunded = await gql<{ job: { state: string; committed: number; refund: string; claims: { items: [] } } }>(
      `{ job(id: "${unclaimed}") { state committed refund claims { items { state } } } }`,
    );
    assert.deepEqual(refunded.job, {
      state: "Refunded",
      committed: 0,
      refund: String(parseEther("2")),
      claims: { items: [] },
    });
  });

  it("indexes agents and their action logs, operators, receipts, feedback, outcomes, attestations, rewards, data grants and uses, withdrawals and FOLD", async () => {
    const { contracts, call, client } = grid;
    const farmer = grid.wallet(1);
    const tenant = grid.wallet(2);
    const events = async (contract: { address: `0x${string}`; abi: readonly unknown[] }, eventName: string) =>
      // biome-ignore lint/suspicious/noExplicitAny: a test reads events of several contracts by name
      (await client.getContractEvents({ ...(contract as any), eventName, fromBlock: 0n })) as any[];

    // An agent of the farmer, with an Agent key that logs two actions, then paused; an operator for the farmer.
    const agentId = await call<bigint>(farmer, contracts.identities, "registerAgent", [
      farmerId,
      "farm-bot",
      "ipfs://bot",
    ]);
    const agentKey = await grid.bindFreshKey(farmer, agentId, KeyPurpose.Agent);
    for (const uri of ["ipfs://first", "ipfs://second"]) {
      await call(grid.wallet(agentKey), contracts.identities, "logAction", [
        agentId,
        keccak256(toHex("rebalance")),
        keccak256(toHex(uri)),
        uri,
      ]);
    }
    await call(farmer, contracts.identities, "setAgentPaused", [agentId, true]);
    await call(farmer, contracts.identities, "setApprovalForAll", [tenant.account.address, true]);

    // Feedback by the tenant against the lease's receipt, and the farmer's response; an attestation of the farm.
    const [receiptEvent] = (await events(contracts.reputation, "ReceiptRecorded")).filter(
      (e) => e.args.toId === farmerId,
    );
    const receiptId = receiptEvent.args.receiptId as bigint;
    const feedbackId = await call<bigint>(tenant, contracts.reputation, "giveFeedback", [
      receiptId,
      4,
      keccak256(toHex("uptime")),
      "ipfs://review",
      keccak256(toHex("review")),
    ]);
    await call(farmer, contracts.reputation, "respond", [feedbackId, "ipfs://thanks"]);
    const certifier = keccak256(toHex("CERTIFIER_ROLE"));
    await call(grid.deployer, contracts.reputation, "grantRole", [certifier, grid.deployer.account.address]);
    const attestationId = await call<bigint>(grid.deployer, contracts.reputation, "attest", [
      farmerId,
      keccak256(toHex("datacenter-tier")),
      0n,
      keccak256(toHex("audit")),
      "ipfs://audit",
    ]);
    await call(grid.deployer, contracts.reputation, "revokeAttestation", [attestationId]);
    // The first node certified (a certifier attests its schema about the farm's identity; anyone refreshes the
    // node's cache), and an identity excluded from farming rewards by governance before it farms at all.
    const schema = await client.readContract({
      ...contracts.rewards,
      functionName: "certificationSchema",
      args: [nodeId],
    });
    await call(grid.deployer, contracts.reputation, "attest", [farmerId, schema, 0n, schema, ""]);
    await call(tenant, contracts.nodes, "refreshCertification", [nodeId]);
    const excludedId = await grid.register(grid.wallet(8), "excluded-farmer");
    await call(grid.deployer, contracts.rewards, "excludeIdentity", [excludedId, [], []]);
    const excludedFrom = await client.readContract({ ...contracts.rewards, functionName: "currentEpoch" });

    // Farming rewards for the first node: its closed epochs, and a claim.
    await call(grid.wallet(nodeKey), contracts.nodes, "heartbeat", [nodeId]);
    await call(tenant, contracts.rewards, "claim", [nodeId]);

    // A dataset of the farmer's, auto-approved access for the tenant, the key delivered, a use, then revoked; the
    // farmer withdraws what it earned, and so does a worker of the job test.
    const terms = {
      pricePerDay: parseEther("1"),
      pricePerUse: parseEther("0.1"),
      maxDuration: 30 * 86_400,
      purposes: (1 << 1) | (1 << 3),
      autoApprove: true,
      licenceHash: keccak256(toHex("licence")),
    };
    const datasetId = await call<bigint>(farmer, contracts.data, "registerDataset", [
      farmerId,
      "Weather, Antwerp",
      keccak256(toHex("weather")),
      "ipfs://weather.enc",
      terms,
      [],
    ]);
    const payment = await client.readContract({
      ...contracts.data,
      functionName: "quote",
      args: [datasetId, 86_400n, 2n],
    });
    await grid.fundFold(tenant, payment, contracts.data.address);
    const tenantId = await client.readContract({
      ...contracts.identities,
      functionName: "idOfHandle",
      args: ["tenant-one"],
    });
    const encryptionKey = keccak256(toHex("the tenant's X25519 public key"));
    await call(tenant, contracts.identities, "setEncryptionKey", [tenantId, encryptionKey]);
    const grantId = await call<bigint>(tenant, contracts.data, "requestAccess", [
      datasetId,
      tenantId,
      3,
      86_400n,
      2n,
      payment,
    ]);
    await call(farmer, contracts.data, "deliverKey", [grantId, toHex("sealed key")]);
    await call(tenant, contracts.data, "recordUse", [grantId, 3, keccak256(toHex("monthly report"))]);
    await call(farmer, contracts.data, "revoke", [grantId]);
    await call(farmer, contracts.data, "withdraw", []);
    await call(grid.wallet(6), contracts.jobs, "withdraw", []);
    await synced();

    type Items<T> = { items: T[] };
    const data = await gql<{
      identity: {
        kind: string;
        controllerId: string;
        agentPaused: boolean;
        actionCount: number;
        actionHead: string;
        keys: Items<{ purpose: string }>;
      };
      agentActions: Items<{ sequence: string; uri: string; head: string }>;
      identityOperators: Items<{ owner: string; operator: string; approved: boolean }>;
      receipt: { fromId: string; toId: string; amount: string };
      feedback: { score: number; raterId: string; subjectId: string; responseUri: string; revoked: boolean };
      outcomes: Items<{ outcome: string; ref: string }>;
      attestation: { subjectId: string; uri: string; revokedBy: string };
      nodeEpochs: Items<{ epoch: string; points: string; seconds: string }>;
      rewardClaims: Items<{ nodeId: string; farmId: string; amount: string }>;
      dataset: {
        ownerId: string;
        purposes: number;
        autoApprove: boolean;
        useCount: string;
        earned: string;
        payees: unknown;
      };
      grant: { state: string; purpose: string; usesLeft: string; sealedKey: string; escrow: string };
      dataUses: Items<{ grantId: string; purpose: string; amount: string }>;
      withdrawals: Items<{ contract: string; account: string; amount: string }>;
      workerModels: Items<{ modelId: string; serving: boolean }>;
      roleChanges: { totalCount: number };
      node: { certified: boolean; certifiedUntil: string | null; excludedFromEpoch: string | null };
      excluded: { rewardsExcludedFromEpoch: string | null };
    }>(`{
      identity(id: "${agentId}") { kind controllerId agentPaused actionCount actionHead keys { items { purpose } } }
      agentActions(where: { agentId: "${agentId}" }, orderBy: "sequence") { items { sequence uri head } }
      identityOperators(where: { owner: "${farmer.account.address.toLowerCase()}" }) { items { owner operator approved } }
      receipt(id: "${receiptId}") { fromId toId amount }
      feedback(id: "${feedbackId}") { score raterId subjectId responseUri revoked }
      outcomes(where: { subjectId: "${farmerId}" }) { items { outcome ref } }
      attestation(id: "${attestationId}") { subjectId uri revokedBy }
      nodeEpochs(where: { nodeId: "${nodeId}" }, orderBy: "epoch") { items { epoch points seconds } }
      rewardClaims(where: { nodeId: "${nodeId}" }) { items { nodeId farmId amount } }
      dataset(id: "${datasetId}") { ownerId purposes autoApprove useCount earned payees }
      grant(id: "${grantId}") { state purpose usesLeft sealedKey escrow }
      dataUses(where: { grantId: "${grantId}" }) { items { grantId purpose amount } }
      withdrawals(orderBy: "block") { items { contract account amount } }
      workerModels { items { modelId serving } }
      roleChanges(where: { role: "${certifier}" }) { totalCount }
      node(id: "${nodeId}") { certified certifiedUntil excludedFromEpoch }
      excluded: identity(id: "${excludedId}") { rewardsExcludedFromEpoch }
    }`);
    const tenantIdentity = await gql<{ identity: { encryptionKey: string } }>(
      `{ identity(id: "${tenantId}") { encryptionKey } }`,
    );
    assert.equal(tenantIdentity.identity.encryptionKey, encryptionKey);
    // Agents and their action log, hash-chain head included.
    const logged = await events(contracts.identities, "ActionLogged");
    assert.deepEqual(data.identity, {
      kind: "Agent",
      controllerId: String(farmerId),
      agentPaused: true,
      actionCount: 2,
      actionHead: logged.at(-1).args.head,
      keys: { items: [{ purpose: "Agent" }] },
    });
    assert.deepEqual(
      data.agentActions.items,
      logged.map((e) => ({ sequence: String(e.args.sequence), uri: e.args.uri, head: e.args.head })),
    );
    assert.deepEqual(data.identityOperators.items, [
      { owner: farmer.account.address.toLowerCase(), operator: tenant.account.address.toLowerCase(), approved: true },
    ]);
    // Reputation: the lease's receipt (what the tenant paid), the feedback with its response, the lease's outcome.
    const lease = await client.readContract({ ...contracts.leases, functionName: "lease", args: [1n] });
    assert.deepEqual(data.receipt, { fromId: String(tenantId), toId: String(farmerId), amount: String(lease.paid) });
    assert.deepEqual(data.feedback, {
      score: 4,
      raterId: String(tenantId),
      subjectId: String(farmerId),
      responseUri: "ipfs://thanks",
      revoked: false,
    });
    assert.deepEqual(data.outcomes.items, [{ outcome: "Completed", ref: toHex(1n, { size: 32 }) }]);
    assert.deepEqual(data.attestation, {
      subjectId: String(farmerId),
      uri: "ipfs://audit",
      revokedBy: grid.deployer.account.address.toLowerCase(),
    });
    // Rewards: every closed epoch of the node, and the claim.
    const closed = (await events(contracts.nodes, "EpochClosed")).filter((e) => e.args.nodeId === nodeId);
    assert.ok(closed.length > 0, "the node closed epochs");
    assert.deepEqual(
      data.nodeEpochs.items,
      closed.map((e) => ({
        epoch: String(e.args.epoch),
        points: String(e.args.points),
        seconds: String(e.args.seconds_),
      })),
    );
    assert.deepEqual(data.node, { certified: true, certifiedUntil: String(2n ** 40n - 1n), excludedFromEpoch: null });
    assert.deepEqual(data.excluded, { rewardsExcludedFromEpoch: String(excludedFrom) });
    const [claimed] = (await events(contracts.rewards, "RewardsClaimed")).filter((e) => e.args.nodeId === nodeId);
    assert.deepEqual(data.rewardClaims.items, [
      { nodeId: String(nodeId), farmId: String(farmId), amount: String(claimed.args.amount) },
    ]);
    // Data: the dataset, its grant through delivery, use and revocation, the use, and what its owner earned.
    const used = (await events(contracts.data, "DataUsed"))[0];
    const settled = (await events(contracts.data, "GrantSettled")).reduce((sum, e) => sum + e.args.amount, 0n);
    assert.deepEqual(data.dataset, {
      ownerId: String(farmerId),
      purposes: terms.purposes,
      autoApprove: true,
      useCount: "1",
      earned: String(used.args.amount + settled),
      payees: [],
    });
    assert.deepEqual(data.grant, {
      state: "Revoked",
      purpose: "Analytics",
      usesLeft: "1",
      sealedKey: toHex("sealed key"),
      escrow: "0",
    });
    assert.deepEqual(data.dataUses.items, [
      { grantId: String(grantId), purpose: "Analytics", amount: String(used.args.amount) },
    ]);
    // Withdrawals from both markets, as their events say.
    const withdrawn = [
      ...(await events(contracts.data, "Withdrawn")).map((e) => ["DataMarket", e]),
      ...(await events(contracts.jobs, "Withdrawn")).map((e) => ["JobMarket", e]),
    ];
    assert.deepEqual(
      data.withdrawals.items,
      withdrawn.map(([contract, e]) => ({
        contract,
        account: e.args.account.toLowerCase(),
        amount: String(e.args.amount),
      })),
    );
    assert.equal(data.workerModels.items.length, 4);
    assert.ok(data.workerModels.items.every((row) => row.serving));
    assert.equal(data.roleChanges.totalCount, 1);
    // FOLD: balances and allowances as the token has them.
    for (const who of [farmer, tenant, grid.deployer]) {
      const address = who.account.address.toLowerCase() as `0x${string}`;
      const [{ account }, balance] = await Promise.all([
        gql<{ account: { balance: string } }>(`{ account(address: "${address}") { balance } }`),
        client.readContract({ ...contracts.token, functionName: "balanceOf", args: [address] }),
      ]);
      assert.equal(account.balance, String(balance), `balance of ${address}`);
    }
    // Approvals: the last amount approved (spending emits no event, so it is not the allowance left).
    const approvals = await events(contracts.token, "Approval");
    const last = new Map(approvals.map((e) => [`${e.args.owner}-${e.args.spender}`.toLowerCase(), e.args.value]));
    const indexed = await gql<{ approvals: Items<{ owner: string; spender: string; value: string }> }>(
      "{ approvals(limit: 1000) { items { owner spender value } } }",
    );
    assert.equal(indexed.approvals.items.length, last.size);
    for (const row of indexed.approvals.items) {
      assert.equal(row.value, String(last.get(`${row.owner}-${row.spender}`)), `approval ${row.owner} ${row.spender}`);
    }
  });

  it("answers every REST route, whatever its parameters, with 200 or a 4xx that names the parameter, never a 5xx (fast-check)", async () => {
    // The parameters each route knows, and names and values no client should send: huge and negative numbers, text,
    // NUL and other control characters, unicode, prototype keys.
    const known = [
      ...["minCpu", "minMemoryMiB", "minSsdGiB", "minHddGiB", "minGpus", "region", "country", "maxHourlyPrice"],
      ...["online", "sort", "order", "limit", "offset", "__proto__", "constructor", "toString"],
    ];
    const name = fc.oneof(fc.constantFrom(...known), fc.string({ unit: "binary", maxLength: 12 }));
    const value = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map(String),
      fc.integer().map(String),
      fc.constantFrom(
        "",
        "0",
        "true",
        "false",
        "1.5",
        "1e3",
        "-0",
        "NaN",
        "Infinity",
        "0x10",
        " 1",
        "NL",
        "nl",
        "\u0000",
        "price",
        "desc",
      ),
    );
    const params = fc.array(fc.tuple(name, value), { maxLength: 5 });
    const pathId = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 300n }).map(String),
      fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
      fc.constantFrom("0", "-1", "1.0", "01", "\u0000"),
    );
    const route = fc.oneof(
      fc.constant("/nodes"),
      fc.constant("/stats"),
      pathId.map((id) => `/jobs/${encodeURIComponent(id)}/provenance`),
      pathId.map((id) => `/farms/${encodeURIComponent(id)}/earnings`),
    );
    let requests = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(route, params, async (path, pairs) => {
        const query = new URLSearchParams(pairs).toString();
        const response = await fetch(`${apiUrl}${path}${query === "" ? "" : `?${query}`}`);
        requests += 1;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        assert.ok([200, 400, 404].includes(response.status), `${response.status} for ${path}?${query}: ${text}`);
        if (response.status === 400) {
          const body = JSON.parse(text) as { error?: string };
          const names = [...pairs.map(([n]) => n), "id"];
          assert.ok(
            typeof body.error === "string" &&
              names.some((n) => body.error?.startsWith(`${n}:`) || body.error?.includes(`"${n}"`)),
            `the 400 for ${path}?${query} names no parameter: ${text}`,
          );
        }
      }),
      { numRuns: 400 },
    );
    console.log(`# REST fuzz: ${requests} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
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
    // Without colours, whatever the terminal: Ponder colours its log where it guesses it may (CI=true without NO_COLOR).
    const log = stripVTControlCharacters(indexer.output());
    assert.match(log, /Detected crash recovery/);
    const from = log.match(/Started backfill indexing chain=fourfold block_range=\[(\d+),/)?.[1];
    assert.ok(Number(from) > 1, `the backfill starts at block ${from}, not at the deployment`);
  });

  // docs/indexer.md's redeployment recipe: a second deployment in a schema of its own, beside the first, publishes
  // its tables under a stable views schema once it is ready; SQL readers use that one name. Postgres only: a PGlite
  // database belongs to one process, so there is no second deployment beside the first.
  if (kind !== "postgres") return;
  it("publishes a redeployment's tables under a stable views schema", async () => {
    const views = `${schema}_views`;
    const redeployed = await launch(["--schema", `${schema}_v2`, "--views-schema", views]);
    const sql = new pg.Client({ connectionString: database.env.DATABASE_URL });
    try {
      await sql.connect();
      await eventually(
        "the redeployment is ready",
        async () => ((await fetch(`${redeployed.url}/ready`)).status === 200 ? true : undefined),
        60_000,
      );
      const latest = await grid.register(grid.wallet(6), "seen-through-views");
      await eventually("the new identity in the views schema", async () => {
        const { rows } = await sql.query(`SELECT handle FROM "${views}".identity WHERE id = $1`, [String(latest)]);
        return rows[0]?.handle === "seen-through-views" ? true : undefined;
      });
      await synced();
      // The views show the redeployment's rows, which are the first deployment's: the same chain, indexed again.
      const counts = async (from: string) => {
        const { rows } = await sql.query(
          `SELECT (SELECT count(*) FROM "${from}".identity) AS identities, (SELECT count(*) FROM "${from}".node_uptime_hour) AS hours, (SELECT count(*) FROM "${from}".token_transfer) AS transfers`,
        );
        return rows[0];
      };
      assert.deepEqual(await counts(views), await counts(schema));
    } finally {
      await sql.end().catch(() => {});
      await stop(redeployed.running);
    }
  });
}
