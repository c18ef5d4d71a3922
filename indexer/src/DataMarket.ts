// DataMarket: datasets and their terms, access requests and grants (with their delivered keys), every recorded use,
// and earnings withdrawn.
import { ponder } from "ponder:registry";
import { dataset, dataUse, grant } from "ponder:schema";
import { DATA_PURPOSES, GRANT_STATES, label } from "../lib/enums.ts";
import { withdrawn } from "../lib/shared.ts";

/** A dataset's terms as its columns. */
const termColumns = (terms: {
  pricePerDay: bigint;
  pricePerUse: bigint;
  maxDuration: number;
  purposes: number;
  autoApprove: boolean;
  licenceHash: `0x${string}`;
}) => ({ ...terms, maxDuration: BigInt(terms.maxDuration) });

ponder.on("DataMarket:DatasetRegistered", async ({ event, context }) => {
  const { datasetId, ownerId, name, contentHash, encryptedURI, terms, payees } = event.args;
  await context.db.insert(dataset).values({
    id: datasetId,
    ownerId,
    name,
    contentHash,
    encryptedUri: encryptedURI,
    ...termColumns(terms),
    payees: payees.map((p) => ({ account: p.account, bps: p.bps })),
    delisted: false,
    useCount: 0n,
    earned: 0n,
    registeredBlock: event.block.number,
    registeredAt: event.block.timestamp,
  });
});

ponder.on("DataMarket:TermsUpdated", async ({ event, context }) => {
  const { datasetId, terms } = event.args;
  await context.db.update(dataset, { id: datasetId }).set(termColumns(terms));
});

ponder.on("DataMarket:DatasetDelisted", async ({ event, context }) => {
  await context.db.update(dataset, { id: event.args.datasetId }).set({ delisted: true });
});

ponder.on("DataMarket:AccessRequested", async ({ event, context }) => {
  const { grantId, datasetId, granteeId, requester, purpose, duration, maxUses, escrow } = event.args;
  await context.db.insert(grant).values({
    id: grantId,
    datasetId,
    granteeId,
    requester,
    purpose: label(DATA_PURPOSES, purpose),
    duration,
    maxUses,
    usesLeft: maxUses,
    escrow,
    state: "Requested",
    settled: 0n,
    requestedBlock: event.block.number,
    requestedAt: event.block.timestamp,
  });
});

ponder.on("DataMarket:GrantApproved", async ({ event, context }) => {
  await context.db.update(grant, { id: event.args.grantId }).set({ state: "Active", expiresAt: event.args.expiresAt });
});

ponder.on("DataMarket:KeyDelivered", async ({ event, context }) => {
  await context.db.update(grant, { id: event.args.grantId }).set({ sealedKey: event.args.sealedKey });
});

/** `amount` of the grant's escrow went to the dataset's payees. */
async function paid(
  // biome-ignore lint/suspicious/noExplicitAny: Ponder's context type is per event; only context.db is used
  context: { db: any },
  grantId: bigint,
  amount: bigint,
  use: boolean,
) {
  const row = await context.db
    .update(grant, { id: grantId })
    .set((g: typeof grant.$inferSelect) => ({ settled: g.settled + amount, escrow: g.escrow - amount }));
  await context.db
    .update(dataset, { id: row.datasetId })
    .set((d: typeof dataset.$inferSelect) => ({ earned: d.earned + amount, useCount: d.useCount + (use ? 1n : 0n) }));
}

ponder.on("DataMarket:DataUsed", async ({ event, context }) => {
  const { grantId, datasetId, granteeId, purpose, usageHash, usesLeft, amount } = event.args;
  await context.db.insert(dataUse).values({
    id: event.id,
    grantId,
    datasetId,
    granteeId,
    purpose: label(DATA_PURPOSES, purpose),
    usageHash,
    usesLeft,
    amount,
    txHash: event.transaction.hash,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
  await context.db.update(grant, { id: grantId }).set({ usesLeft });
  await paid(context, grantId, amount, true);
});

ponder.on("DataMarket:GrantSettled", async ({ event, context }) => {
  await paid(context, event.args.grantId, event.args.amount, false);
});

ponder.on("DataMarket:GrantEnded", async ({ event, context }) => {
  const { grantId, state, refund, reason } = event.args;
  await context.db
    .update(grant, { id: grantId })
    .set({ state: label(GRANT_STATES, state), refund, escrow: 0n, endReason: reason });
});

ponder.on("DataMarket:Withdrawn", async ({ event, context }) => {
  await withdrawn(context, event, "DataMarket", event.args.account, event.args.amount);
});
