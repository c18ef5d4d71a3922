// LeaseMarket: leases with every state they entered, their settlements and top-ups, and fees to the treasury.
import { ponder } from "ponder:registry";
import { lease, leasePayment, leaseStateChange, node } from "ponder:schema";
import { LEASE_END_REASONS, LEASE_STATES, label } from "../lib/enums.ts";
import { withdrawn } from "../lib/shared.ts";

type State = (typeof LEASE_STATES)[number];
type EndReason = (typeof LEASE_END_REASONS)[number];

/** Records that lease `leaseId` entered `state` with the event `event`. */
async function enter(
  // biome-ignore lint/suspicious/noExplicitAny: Ponder's context type is per event; only context.db is used
  context: { db: any },
  event: { id: string; block: { number: bigint; timestamp: bigint } },
  leaseId: bigint,
  state: State,
  reason: EndReason | null = null,
) {
  await context.db.insert(leaseStateChange).values({
    id: event.id,
    leaseId,
    state,
    reason,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
}

ponder.on("LeaseMarket:LeaseOpened", async ({ event, context }) => {
  const { leaseId, nodeId, tenant, tenantId, resources, scaledRate, deposit, deploymentHash } = event.args;
  const host = await context.db.find(node, { id: nodeId });
  await context.db.insert(lease).values({
    id: leaseId,
    nodeId,
    farmId: host?.farmId ?? 0n,
    tenant,
    tenantId,
    cpu: resources.cpu,
    memoryMiB: BigInt(resources.memoryMiB),
    ssdGiB: BigInt(resources.ssdGiB),
    hddGiB: BigInt(resources.hddGiB),
    gpus: resources.gpus,
    scaledRate,
    deposit,
    escrow: deposit,
    deploymentHash,
    state: "Pending",
    paid: 0n,
    fees: 0n,
    paidSeconds: 0n,
    toppedUp: 0n,
    openedBlock: event.block.number,
    openedAt: event.block.timestamp,
  });
  await enter(context, event, leaseId, "Pending");
});

ponder.on("LeaseMarket:LeaseManifest", async ({ event, context }) => {
  await context.db.update(lease, { id: event.args.leaseId }).set({ sealedManifest: event.args.sealedManifest });
});

ponder.on("LeaseMarket:LeaseAcknowledged", async ({ event, context }) => {
  const { leaseId, endpoint, startSeconds } = event.args;
  await context.db.update(lease, { id: leaseId }).set({ state: "Active", endpoint, startSeconds });
  await enter(context, event, leaseId, "Active");
});

ponder.on("LeaseMarket:LeaseRejected", async ({ event, context }) => {
  await context.db.update(lease, { id: event.args.leaseId }).set({ rejection: event.args.reason });
});

ponder.on("LeaseMarket:LeaseStateChanged", async ({ event, context }) => {
  const state = label(LEASE_STATES, event.args.state);
  await context.db.update(lease, { id: event.args.leaseId }).set({ state });
  await enter(context, event, event.args.leaseId, state);
});

ponder.on("LeaseMarket:LeaseReclaimNotice", async ({ event, context }) => {
  await context.db.update(lease, { id: event.args.leaseId }).set({ reclaimAt: event.args.reclaimAt });
});

ponder.on("LeaseMarket:LeaseToppedUp", async ({ event, context }) => {
  const { leaseId, from, amount, escrow } = event.args;
  const topped = await context.db
    .update(lease, { id: leaseId })
    .set((row) => ({ escrow, toppedUp: row.toppedUp + amount }));
  await context.db.insert(leasePayment).values({
    id: event.id,
    leaseId,
    farmId: topped.farmId,
    kind: "topUp",
    from,
    amount,
    escrowAfter: escrow,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
});

// `amount` left the tenant's escrow for `seconds_` of proven online time; the farm got it less the market's `fee`.
ponder.on("LeaseMarket:LeaseSettled", async ({ event, context }) => {
  const { leaseId, seconds_, amount, fee, escrow } = event.args;
  const settled = await context.db.update(lease, { id: leaseId }).set((row) => ({
    escrow,
    paid: row.paid + amount,
    fees: row.fees + fee,
    paidSeconds: row.paidSeconds + seconds_,
  }));
  await context.db.insert(leasePayment).values({
    id: event.id,
    leaseId,
    farmId: settled.farmId,
    kind: "settlement",
    seconds: seconds_,
    amount,
    fee,
    escrowAfter: escrow,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
});

ponder.on("LeaseMarket:LeaseEnded", async ({ event, context }) => {
  const { leaseId, reason, refund } = event.args;
  const endReason = label(LEASE_END_REASONS, reason);
  await context.db
    .update(lease, { id: leaseId })
    .set({ state: "Ended", endReason, refund, escrow: 0n, endedAt: event.block.timestamp });
  await enter(context, event, leaseId, "Ended", endReason);
});

ponder.on("LeaseMarket:FeesWithdrawn", async ({ event, context }) => {
  await withdrawn(context, event, "LeaseMarket", event.args.treasury, event.args.amount);
});
