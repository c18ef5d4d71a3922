// ReputationRegistry: receipts of paid interactions, feedback against them, outcomes and attestations.
import { ponder } from "ponder:registry";
import { attestation, feedback, outcome, receipt } from "ponder:schema";
import { label, OUTCOMES } from "../lib/enums.ts";

ponder.on("ReputationRegistry:ReceiptRecorded", async ({ event, context }) => {
  const { receiptId, fromId, toId, writer, kind, ref, amount } = event.args;
  await context.db.insert(receipt).values({
    id: receiptId,
    fromId,
    toId,
    writer,
    kind,
    ref,
    amount,
    weight: amount,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
});

ponder.on("ReputationRegistry:ReceiptIncreased", async ({ event, context }) => {
  const { receiptId, amount, weight } = event.args;
  await context.db.update(receipt, { id: receiptId }).set((row) => ({ amount: row.amount + amount, weight }));
});

ponder.on("ReputationRegistry:FeedbackGiven", async ({ event, context }) => {
  const { feedbackId, receiptId, subjectId, raterId, score, tag, uri, uriHash } = event.args;
  await context.db.insert(feedback).values({
    id: feedbackId,
    receiptId,
    subjectId,
    raterId,
    score,
    tag,
    uri,
    uriHash,
    revoked: false,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
});

ponder.on("ReputationRegistry:FeedbackRevoked", async ({ event, context }) => {
  await context.db.update(feedback, { id: event.args.feedbackId }).set({ revoked: true });
});

ponder.on("ReputationRegistry:FeedbackResponded", async ({ event, context }) => {
  const { feedbackId, responderId, uri } = event.args;
  await context.db.update(feedback, { id: feedbackId }).set({ responderId, responseUri: uri });
});

ponder.on("ReputationRegistry:OutcomeRecorded", async ({ event, context }) => {
  const { subjectId, outcome: kind, ref, writer } = event.args;
  await context.db.insert(outcome).values({
    id: event.id,
    subjectId,
    outcome: label(OUTCOMES, kind, 0),
    ref,
    writer,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
});

ponder.on("ReputationRegistry:Attested", async ({ event, context }) => {
  const { attestationId, subjectId, schema, certifier, expiresAt, dataHash, uri } = event.args;
  await context.db.insert(attestation).values({
    id: attestationId,
    subjectId,
    schema,
    certifier,
    expiresAt,
    dataHash,
    uri,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
});

ponder.on("ReputationRegistry:AttestationRevoked", async ({ event, context }) => {
  await context.db.update(attestation, { id: event.args.attestationId }).set({ revokedBy: event.args.revoker });
});
