// IdentityRegistry: identities (ERC-721 tokens), their signing keys, encryption keys, agents and agents' action logs.

import { ponder } from "ponder:registry";
import { agentAction, identity, identityKey, identityOperator } from "ponder:schema";
import { eq } from "ponder";
import { zeroAddress, zeroHash } from "viem";
import { IDENTITY_KINDS, KEY_PURPOSES, label } from "../lib/enums.ts";

ponder.on("IdentityRegistry:IdentityRegistered", async ({ event, context }) => {
  const { identityId, owner, controllerId, kind, handle, metadataURI } = event.args;
  await context.db.insert(identity).values({
    id: identityId,
    owner,
    controllerId,
    kind: label(IDENTITY_KINDS, kind, 0),
    handle,
    metadataUri: metadataURI,
    keyEpoch: 0,
    agentPaused: false,
    actionCount: 0,
    createdBlock: event.block.number,
    createdAt: event.block.timestamp,
  });
});

ponder.on("IdentityRegistry:MetadataURISet", async ({ event, context }) => {
  await context.db.update(identity, { id: event.args.identityId }).set({ metadataUri: event.args.metadataURI });
});

ponder.on("IdentityRegistry:EncryptionKeySet", async ({ event, context }) => {
  const key = event.args.encryptionKey;
  await context.db
    .update(identity, { id: event.args.identityId })
    .set({ encryptionKey: key === zeroHash ? null : key });
});

ponder.on("IdentityRegistry:KeyBound", async ({ event, context }) => {
  const { identityId, key, purpose } = event.args;
  const bound = { identityId, purpose: label(KEY_PURPOSES, purpose), active: true, boundAt: event.block.timestamp };
  await context.db
    .insert(identityKey)
    .values({ key, ...bound })
    .onConflictDoUpdate({ ...bound, unboundAt: null });
});

ponder.on("IdentityRegistry:KeyUnbound", async ({ event, context }) => {
  await context.db
    .update(identityKey, { key: event.args.key })
    .set({ active: false, unboundAt: event.block.timestamp });
});

// A transfer drops every key of the identity.
ponder.on("IdentityRegistry:KeysDropped", async ({ event, context }) => {
  const { identityId, keyEpoch } = event.args;
  await context.db.update(identity, { id: identityId }).set({ keyEpoch });
  await context.db.sql
    .update(identityKey)
    .set({ active: false, unboundAt: event.block.timestamp })
    .where(eq(identityKey.identityId, identityId));
});

ponder.on("IdentityRegistry:AgentPauseSet", async ({ event, context }) => {
  await context.db.update(identity, { id: event.args.agentId }).set({ agentPaused: event.args.paused });
});

ponder.on("IdentityRegistry:ActionLogged", async ({ event, context }) => {
  const { agentId, sequence, actionType, key, dataHash, uri, head } = event.args;
  await context.db.insert(agentAction).values({
    agentId,
    sequence,
    actionType,
    key,
    dataHash,
    uri,
    head,
    txHash: event.transaction.hash,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
  await context.db
    .update(identity, { id: agentId })
    .set((row) => ({ actionCount: row.actionCount + 1, actionHead: head }));
});

// A mint is recorded by IdentityRegistered (which follows it); a transfer moves the identity and clears its approval.
ponder.on("IdentityRegistry:Transfer", async ({ event, context }) => {
  const { from, to, tokenId } = event.args;
  if (from === zeroAddress) return;
  await context.db.update(identity, { id: tokenId }).set({ owner: to, approved: null });
});

ponder.on("IdentityRegistry:Approval", async ({ event, context }) => {
  const { approved, tokenId } = event.args;
  if ((await context.db.find(identity, { id: tokenId })) === null) return; // the mint's own approval reset
  await context.db.update(identity, { id: tokenId }).set({ approved: approved === zeroAddress ? null : approved });
});

ponder.on("IdentityRegistry:ApprovalForAll", async ({ event, context }) => {
  const { owner, operator, approved } = event.args;
  await context.db.insert(identityOperator).values({ owner, operator, approved }).onConflictDoUpdate({ approved });
});
