// Leases from the tenant's side: a quote, a lease opened by permit with its workload's manifest sealed to the farm's
// X25519 key (only the node's agent can read it; the chain holds its hash), its state and what it costs, top-ups and
// closing. The node's agent acknowledges it and names the endpoint.
import { hexToBytes, toHex } from "viem";
import { revertName } from "../chain.ts";
import { seal } from "../crypto/seal.ts";
import { manifestOf } from "../manifest.ts";
import { type ActionContext, contractOf, type Signer, send } from "./context.ts";
import { NODE_STATUSES, type NodeResources } from "./farm.ts";
import { signPermit } from "./permit.ts";

export const LEASE_STATES = ["None", "Pending", "Active", "Grace", "Ended"] as const;
export const END_REASONS = ["None", "ClosedByTenant", "OutOfFunds", "Reclaimed", "NodeGone", "Rejected", "Cancelled"];

/** What an hour of `resources` on `nodeId` costs now, and the least deposit (the grace reserve). */
export async function quoteLease(ctx: ActionContext, nodeId: bigint, resources: NodeResources) {
  const [scaledRate, minDeposit] = await ctx.chain.publicClient.readContract({
    ...contractOf(ctx, "LeaseMarket"),
    functionName: "quote",
    args: [nodeId, resources],
  });
  return { scaledRate, perHour: scaledRate / 1_024n, minDeposit };
}

/** What a lease asks for: enough to check it against the chain before anything is sent. */
export interface LeaseRequest {
  readonly nodeId: bigint;
  readonly resources: NodeResources;
  readonly hours: number;
}

/**
 * Checks a lease against what the chain knows now, and throws in words what would make it revert: less than
 * LeaseMarket's minimum, a node that is unknown, on standby, offline or short of free capacity, fewer hours than
 * the grace reserve, or a farm without an encryption key. Returns what opening it needs.
 */
export async function checkLease(ctx: ActionContext, lease: LeaseRequest) {
  const client = ctx.chain.publicClient;
  const nodes = contractOf(ctx, "NodeRegistry");
  const market = contractOf(ctx, "LeaseMarket");
  const node = await client
    .readContract({ ...nodes, functionName: "node", args: [lease.nodeId] })
    .catch((error: unknown) => {
      throw revertName(error) === "NodeUnknown" ? new Error(`there is no node #${lease.nodeId}`) : error;
    });
  const [minCpu, minMemoryMiB, [total, reserved], online] = await Promise.all([
    client.readContract({ ...market, functionName: "MIN_CPU" }),
    client.readContract({ ...market, functionName: "MIN_MEMORY_MIB" }),
    client.readContract({ ...nodes, functionName: "capacity", args: [lease.nodeId] }),
    client.readContract({ ...nodes, functionName: "isOnline", args: [lease.nodeId] }),
  ]);
  const { cpu, memoryMiB } = lease.resources;
  if (cpu < minCpu || memoryMiB < minMemoryMiB) {
    throw new Error(
      `a lease holds at least ${minCpu} CPU core and ${minMemoryMiB} MiB of memory (LeaseMarket's minimum), not ${cpu} and ${memoryMiB}`,
    );
  }
  const status = NODE_STATUSES[node.status];
  if (status !== "Active") throw new Error(`node #${lease.nodeId} is ${status}: it takes no new leases`);
  if (!online) throw new Error(`node #${lease.nodeId} is offline: it has not sent a heartbeat recently`);
  const short = (Object.keys(lease.resources) as (keyof NodeResources)[]).filter(
    (name) => BigInt(lease.resources[name]) > BigInt(total[name]) - BigInt(reserved[name]),
  );
  if (short.length > 0) {
    const free = short.map((name) => `${name} ${BigInt(total[name]) - BigInt(reserved[name])}`).join(", ");
    throw new Error(`node #${lease.nodeId} has less free capacity than asked for: ${free} free`);
  }
  const [quote, prices, sealTo] = await Promise.all([
    quoteLease(ctx, lease.nodeId, lease.resources),
    client.readContract({ ...nodes, functionName: "prices", args: [lease.nodeId] }),
    client.readContract({
      ...contractOf(ctx, "IdentityRegistry"),
      functionName: "encryptionKeyOf",
      args: [node.identityId],
    }),
  ]);
  const deposit = (quote.scaledRate * BigInt(lease.hours) + 1_023n) / 1_024n;
  if (deposit < quote.minDeposit) {
    throw new Error(
      `${lease.hours} h prepaid is less than the grace reserve of ${quote.minDeposit} base units: prepay more hours`,
    );
  }
  if (BigInt(sealTo) === 0n) {
    throw new Error(`node #${lease.nodeId}'s farm has no encryption key, so its agent could not read the manifest`);
  }
  return { quote, prices, sealTo, deposit };
}

/** Opens a lease for `tenant`'s identity `tenantId` on `nodeId`, prepaying `hours` of online time by permit, at most
 * at the node's prices now (checked first: `checkLease`); then posts the manifest, sealed to the farm's encryption
 * key. Returns the lease's id. */
export async function openLease(
  ctx: ActionContext,
  tenant: Signer,
  lease: LeaseRequest & {
    readonly tenantId: bigint;
    readonly template: string;
    readonly params: Record<string, string | number>;
  },
): Promise<{ leaseId: bigint; deposit: bigint; perHour: bigint }> {
  const market = contractOf(ctx, "LeaseMarket");
  const { quote, prices, sealTo, deposit } = await checkLease(ctx, lease);
  const manifest = manifestOf(lease.template, lease.params);
  const permit = await signPermit(ctx, tenant, market.address, deposit);
  const leaseId = await send<bigint>(ctx, tenant, "LeaseMarket", "openLeaseWithPermit", [
    lease.tenantId,
    lease.nodeId,
    lease.resources,
    deposit,
    prices,
    manifest.hash,
    permit,
  ]);
  await send(ctx, tenant, "LeaseMarket", "postManifest", [leaseId, toHex(seal(hexToBytes(sealTo), manifest.bytes))]);
  return { leaseId, deposit, perHour: quote.perHour };
}

/** A lease as the chain has it: state, why it ended, escrow, paid, due now, its price an hour and its endpoint. */
export async function leaseStatus(ctx: ActionContext, leaseId: bigint) {
  const market = contractOf(ctx, "LeaseMarket");
  const client = ctx.chain.publicClient;
  const lease = await client
    .readContract({ ...market, functionName: "lease", args: [leaseId] })
    .catch((error: unknown) => {
      throw revertName(error) === "LeaseUnknown" ? new Error(`there is no lease #${leaseId}`) : error;
    });
  const fromBlock = BigInt(ctx.chain.deployment("LeaseMarket").startBlock);
  const [due, acknowledged, ended] = await Promise.all([
    lease.state === 2 || lease.state === 3
      ? client.readContract({ ...market, functionName: "due", args: [leaseId] })
      : Promise.resolve(0n),
    client.getContractEvents({ ...market, eventName: "LeaseAcknowledged", args: { leaseId }, fromBlock }),
    client.getContractEvents({ ...market, eventName: "LeaseEnded", args: { leaseId }, fromBlock }),
  ]);
  return {
    leaseId,
    nodeId: BigInt(lease.nodeId),
    tenant: lease.tenant,
    state: LEASE_STATES[lease.state] ?? "None",
    endReason: lease.state === 4 ? (END_REASONS[lease.endReason] ?? "None") : undefined,
    perHour: lease.scaledRate / 1_024n,
    escrow: lease.escrow,
    paid: lease.paid,
    due,
    refund: ended[0]?.args.refund,
    endpoint: acknowledged[0]?.args.endpoint,
    resources: { ...lease.resources },
  };
}

/** Adds `amount` to the lease's escrow from `tenant` (approved here: LeaseMarket's top-up takes no permit). */
export async function topUpLease(ctx: ActionContext, tenant: Signer, leaseId: bigint, amount: bigint): Promise<void> {
  const status = await leaseStatus(ctx, leaseId);
  if (status.state === "Ended") throw new Error(`lease #${leaseId} has ended: it takes no top-up`);
  await send(ctx, tenant, "FoldToken", "approve", [contractOf(ctx, "LeaseMarket").address, amount]);
  await send(ctx, tenant, "LeaseMarket", "topUp", [leaseId, amount]);
}

/** Ends the lease for its tenant: the node is paid for its proven online time, the rest comes back. */
export async function closeLease(ctx: ActionContext, tenant: Signer, leaseId: bigint) {
  await send(ctx, tenant, "LeaseMarket", "closeLease", [leaseId]);
  return leaseStatus(ctx, leaseId);
}
