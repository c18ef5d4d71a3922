// Load for benches: many transactions signed here and sent raw, mined in full blocks with automine off; and the
// grid most benches need: farms with thousands of nodes, each with its own key bound to its farm's identity, and
// rounds of signed heartbeats from all of them (heartbeatBatch, 100 to a transaction).
import { writeFile } from "node:fs/promises";
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
import { KeyPurpose, signBindKey } from "../../worker/src/identity.ts";
import { devAccount, type Grid, ROOT } from "../../worker/test/support/grid.ts";

const RESOURCES = { cpu: 8, memoryMiB: 16_384, ssdGiB: 500, hddGiB: 0, gpus: 0 };
export const REGIONS = ["eu-west", "eu-north", "us-east", "us-west", "ap-south"];
const HEARTBEATS_PER_TX = 100;

export const round1 = (value: number) => Math.round(value * 10) / 10;
export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
/** Writes `result` (with the machine's Node version and cores) to bench/results/`name`.json, and says which goals
 * (a label each, e.g. "ratioPostgres <= 2") it met. */
export async function saveResults(name: string, result: object, goals: Record<string, boolean>): Promise<void> {
  const out = path.join(ROOT, "bench", "results", `${name}.json`);
  const written = { ...result, node: process.version, cpus: os.cpus().length };
  await writeFile(out, `${JSON.stringify(written, null, 2)}\n`);
  console.log(written);
  const verdicts = Object.entries(goals).map(([goal, met]) => `${goal}: ${met ? "met" : "NOT met"}`);
  console.log(`wrote ${path.relative(process.cwd(), out)}; ${verdicts.join("; ")}`);
}

export const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Sends raw transactions in bulk and mines them in full blocks (automine off), keeping the base fee at 1 gwei. */
export class Sender {
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
export async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
): Promise<unknown[]> {
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

export interface LoadedNodes {
  /** Each node's key; node n (from 1) has keys[n - 1]. */
  keys: PrivateKeyAccount[];
  /** Dev account 0, which relays the heartbeats. */
  relayer: PrivateKeyAccount;
}

/** Registers `farms` farms (an identity each, from dev accounts 1 and up) of `nodesPerFarm` nodes, with automine off:
 * the nodes vary in size (2-32 cores, 4-32 GiB), price (0.001-0.02 FOLD a core-hour) and region. */
export async function registerNodes(
  grid: Grid,
  sender: Sender,
  { farms: FARMS, nodesPerFarm: NODES_PER_FARM }: { farms: number; nodesPerFarm: number },
): Promise<LoadedNodes> {
  const { contracts, client } = grid;
  // Farms: an identity and a farm for each of dev accounts 1 to FARMS.
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
    const hashes = (await pool(
      keys.map((key, i) => ({ key, i })),
      64,
      async ({ key, i }) => {
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
      },
    )) as Hex[];
    await sender.mine(hashes);
    log(`${phase}: ${hashes.length} transactions mined`);
  }
  const nodeCount = await client.readContract({ ...contracts.nodes, functionName: "nodeCount" });
  if (nodeCount !== BigInt(keys.length)) throw new Error(`${nodeCount} nodes registered, not ${keys.length}`);

  return { keys, relayer };
}

/** One round of heartbeats from every node, a minute after the chain's last block, each signed by its node's key. */
export async function heartbeatRound(grid: Grid, sender: Sender, { keys, relayer }: LoadedNodes): Promise<void> {
  const { contracts, client } = grid;
  // 100 to a batch: up to about 65,000 gas each (the first heartbeat of a node in a new epoch closes the last one).
  const domain = {
    name: "Fourfold NodeRegistry",
    version: "1",
    chainId: 31337,
    verifyingContract: contracts.nodes.address,
  };
  await client.request({ method: "evm_increaseTime" as never, params: [60] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
  const timestamp = (await client.getBlock()).timestamp;
  const signed = (await pool(
    keys.map((key, i) => ({ key, nodeId: BigInt(i + 1) })),
    64,
    async ({ key, nodeId }) => {
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
    },
  )) as unknown[];
  const hashes: Hex[] = [];
  for (let i = 0; i < signed.length; i += HEARTBEATS_PER_TX) {
    const batch = signed.slice(i, i + HEARTBEATS_PER_TX);
    hashes.push(
      await sender.send(relayer, contracts.nodes.address, contracts.nodes.abi, "heartbeatBatch", [batch], 7_000_000n),
    );
  }
  await sender.mine(hashes);
}
