// Every Fourfold contract's history, as the indexer keeps it. Tables are snake_case in SQL and camelCase here; ids are
// the contracts' own (bigint) where a contract numbers things, and `<tx hash>-<log index>` for rows that are events.
// Each row that comes from an event keeps the block and timestamp it was made at. Enum values are the Solidity names.
import { index, onchainEnum, onchainTable, primaryKey, relations } from "ponder";
import {
  CLAIM_STATES,
  DATA_PURPOSES,
  GRANT_STATES,
  IDENTITY_KINDS,
  JOB_STATES,
  KEY_PURPOSES,
  LEASE_END_REASONS,
  LEASE_STATES,
  NODE_STATUSES,
  OUTCOMES,
  ROUND_FAILURES,
} from "./lib/enums.ts";

// ---------------------------------------------------------------------------------------------------------------
// Enums (the contracts' own, without their None members).

export const identityKind = onchainEnum("identity_kind", IDENTITY_KINDS);
export const keyPurpose = onchainEnum("key_purpose", KEY_PURPOSES);
export const outcomeKind = onchainEnum("outcome_kind", OUTCOMES);
export const nodeStatus = onchainEnum("node_status", NODE_STATUSES);
export const leaseState = onchainEnum("lease_state", LEASE_STATES);
export const leaseEndReason = onchainEnum("lease_end_reason", LEASE_END_REASONS);
export const dataPurpose = onchainEnum("data_purpose", DATA_PURPOSES);
export const grantState = onchainEnum("grant_state", GRANT_STATES);
export const jobState = onchainEnum("job_state", JOB_STATES);
export const claimState = onchainEnum("claim_state", CLAIM_STATES);
export const roundFailure = onchainEnum("round_failure", ROUND_FAILURES);

// ---------------------------------------------------------------------------------------------------------------
// Identities, keys, agents (IdentityRegistry)

export const identity = onchainTable(
  "identity",
  (t) => ({
    id: t.bigint().primaryKey(),
    owner: t.hex().notNull(),
    controllerId: t.bigint().notNull(),
    kind: identityKind("kind").notNull(),
    handle: t.text().notNull(),
    metadataUri: t.text().notNull(),
    encryptionKey: t.hex(),
    /** The approved address of the identity's token (ERC-721), if any. */
    approved: t.hex(),
    keyEpoch: t.integer().notNull(),
    agentPaused: t.boolean().notNull(),
    /** How many actions the agent logged (the `actions` relation lists them). */
    actionCount: t.integer().notNull(),
    actionHead: t.hex(),
    /** The first epoch its farms' nodes earn no farming rewards in, once governance excluded it. */
    rewardsExcludedFromEpoch: t.bigint(),
    createdBlock: t.bigint().notNull(),
    createdAt: t.bigint().notNull(),
  }),
  (table) => ({ ownerIdx: index().on(table.owner), handleIdx: index().on(table.handle) }),
);

export const identityKey = onchainTable(
  "identity_key",
  (t) => ({
    key: t.hex().primaryKey(),
    identityId: t.bigint().notNull(),
    purpose: keyPurpose("purpose").notNull(),
    active: t.boolean().notNull(),
    boundAt: t.bigint().notNull(),
    unboundAt: t.bigint(),
  }),
  (table) => ({ identityIdx: index().on(table.identityId) }),
);

/** ERC-721 operators of an owner's identities (ApprovalForAll). */
export const identityOperator = onchainTable(
  "identity_operator",
  (t) => ({ owner: t.hex().notNull(), operator: t.hex().notNull(), approved: t.boolean().notNull() }),
  (table) => ({ pk: primaryKey({ columns: [table.owner, table.operator] }) }),
);

export const agentAction = onchainTable(
  "agent_action",
  (t) => ({
    agentId: t.bigint().notNull(),
    sequence: t.bigint().notNull(),
    actionType: t.hex().notNull(),
    key: t.hex().notNull(),
    dataHash: t.hex().notNull(),
    uri: t.text().notNull(),
    head: t.hex().notNull(),
    txHash: t.hex().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.agentId, table.sequence] }) }),
);

// ---------------------------------------------------------------------------------------------------------------
// Reputation (ReputationRegistry)

export const receipt = onchainTable(
  "receipt",
  (t) => ({
    id: t.bigint().primaryKey(),
    fromId: t.bigint().notNull(),
    toId: t.bigint().notNull(),
    writer: t.hex().notNull(),
    kind: t.hex().notNull(),
    ref: t.hex().notNull(),
    /** Everything paid under it: the first amount plus every increase. */
    amount: t.bigint().notNull(),
    /** The amount that weighs the feedback given against it (frozen once either side has rated). */
    weight: t.bigint().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ toIdx: index().on(table.toId), fromIdx: index().on(table.fromId), refIdx: index().on(table.ref) }),
);

export const feedback = onchainTable(
  "feedback",
  (t) => ({
    id: t.bigint().primaryKey(),
    receiptId: t.bigint().notNull(),
    subjectId: t.bigint().notNull(),
    raterId: t.bigint().notNull(),
    score: t.integer().notNull(),
    tag: t.hex().notNull(),
    uri: t.text().notNull(),
    uriHash: t.hex().notNull(),
    revoked: t.boolean().notNull(),
    responderId: t.bigint(),
    responseUri: t.text(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ subjectIdx: index().on(table.subjectId) }),
);

export const outcome = onchainTable(
  "outcome",
  (t) => ({
    id: t.text().primaryKey(),
    subjectId: t.bigint().notNull(),
    outcome: outcomeKind("outcome").notNull(),
    ref: t.hex().notNull(),
    writer: t.hex().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ subjectIdx: index().on(table.subjectId), refIdx: index().on(table.ref) }),
);

export const attestation = onchainTable(
  "attestation",
  (t) => ({
    id: t.bigint().primaryKey(),
    subjectId: t.bigint().notNull(),
    schema: t.hex().notNull(),
    certifier: t.hex().notNull(),
    expiresAt: t.bigint().notNull(),
    dataHash: t.hex().notNull(),
    uri: t.text().notNull(),
    revokedBy: t.hex(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ subjectIdx: index().on(table.subjectId) }),
);

// ---------------------------------------------------------------------------------------------------------------
// Farms, nodes, uptime, rewards (NodeRegistry, FarmingRewards)

export const farm = onchainTable(
  "farm",
  (t) => ({
    id: t.bigint().primaryKey(),
    identityId: t.bigint().notNull(),
    name: t.text().notNull(),
    payout: t.hex().notNull(),
    createdBlock: t.bigint().notNull(),
    createdAt: t.bigint().notNull(),
  }),
  (table) => ({ identityIdx: index().on(table.identityId) }),
);

export const node = onchainTable(
  "node",
  (t) => ({
    id: t.bigint().primaryKey(),
    farmId: t.bigint().notNull(),
    key: t.hex().notNull(),
    country: t.text().notNull(),
    region: t.text().notNull(),
    status: nodeStatus("status").notNull(),
    cpu: t.integer().notNull(),
    memoryMiB: t.bigint().notNull(),
    ssdGiB: t.bigint().notNull(),
    hddGiB: t.bigint().notNull(),
    gpus: t.integer().notNull(),
    /** Reserved by markets (leases), in the same units. */
    reservedCpu: t.integer().notNull(),
    reservedMemoryMiB: t.bigint().notNull(),
    reservedSsdGiB: t.bigint().notNull(),
    reservedHddGiB: t.bigint().notNull(),
    reservedGpus: t.integer().notNull(),
    /** Prices per hour in FOLD wei: per core, per GiB of memory, SSD and HDD, per GPU. */
    priceCpu: t.bigint().notNull(),
    priceMemoryGiB: t.bigint().notNull(),
    priceSsdGiB: t.bigint().notNull(),
    priceHddGiB: t.bigint().notNull(),
    priceGpu: t.bigint().notNull(),
    bond: t.bigint().notNull(),
    /** The node's certification as NodeRegistry cached it: a certifier audited its declared resources. Certified, it
     * earns on all of them (times 1.25) until `certifiedUntil` (2^40 - 1: no expiry); uncertified, on at most the
     * policy's baseline units. */
    certified: t.boolean().notNull(),
    certifiedUntil: t.bigint(),
    /** The first epoch it earns no farming rewards in (its identity or its key was excluded). */
    excludedFromEpoch: t.bigint(),
    lastHeartbeat: t.bigint(),
    onlineSeconds: t.bigint().notNull(),
    heartbeats: t.bigint().notNull(),
    /** FOLD its closed epochs turned into, and FOLD taken out to be minted to the farm. */
    rewardsOwed: t.bigint().notNull(),
    rewardsTaken: t.bigint().notNull(),
    /** The closed epoch whose points wait to become FOLD (when the next epoch ends). */
    pendingEpoch: t.bigint(),
    registeredBlock: t.bigint().notNull(),
    registeredAt: t.bigint().notNull(),
  }),
  (table) => ({
    farmIdx: index().on(table.farmId),
    regionIdx: index().on(table.region),
    heartbeatIdx: index().on(table.lastHeartbeat),
  }),
);

/** Heartbeats aggregated per node per hour (UTC, by block time): one row per node-hour, never one per heartbeat. */
export const nodeUptimeHour = onchainTable(
  "node_uptime_hour",
  (t) => ({
    nodeId: t.bigint().notNull(),
    /** The hour's start, in seconds since the epoch. */
    hour: t.bigint().notNull(),
    heartbeats: t.integer().notNull(),
    /** Seconds the contract credited as online in the hour. */
    onlineSeconds: t.bigint().notNull(),
    /** Heartbeats the contract refused, by reason, in the hour. */
    skipped: t.integer().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.nodeId, table.hour] }) }),
);

/** A node's closed reward epoch: uptime, the capacity units it earned on, points and the rewards it came to. */
export const nodeEpoch = onchainTable(
  "node_epoch",
  (t) => ({
    nodeId: t.bigint().notNull(),
    epoch: t.bigint().notNull(),
    farmId: t.bigint().notNull(),
    seconds: t.bigint().notNull(),
    /** Capacity units (times 1,024) it earned on: all it declared while certified, at most the baseline otherwise. */
    units: t.bigint().notNull(),
    points: t.bigint().notNull(),
    /** The FOLD the epoch's points became, once final (the epoch after it ended). */
    rewards: t.bigint(),
    closedBlock: t.bigint().notNull(),
    closedAt: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.nodeId, table.epoch] }), farmIdx: index().on(table.farmId) }),
);

/** Rewards minted to a node's farm payout (FarmingRewards' RewardsClaimed). */
export const rewardClaim = onchainTable(
  "reward_claim",
  (t) => ({
    id: t.text().primaryKey(),
    nodeId: t.bigint().notNull(),
    farmId: t.bigint().notNull(),
    payout: t.hex().notNull(),
    amount: t.bigint().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ nodeIdx: index().on(table.nodeId), farmIdx: index().on(table.farmId) }),
);

// ---------------------------------------------------------------------------------------------------------------
// Leases (LeaseMarket)

export const lease = onchainTable(
  "lease",
  (t) => ({
    id: t.bigint().primaryKey(),
    nodeId: t.bigint().notNull(),
    farmId: t.bigint().notNull(),
    tenant: t.hex().notNull(),
    tenantId: t.bigint().notNull(),
    cpu: t.integer().notNull(),
    memoryMiB: t.bigint().notNull(),
    ssdGiB: t.bigint().notNull(),
    hddGiB: t.bigint().notNull(),
    gpus: t.integer().notNull(),
    scaledRate: t.bigint().notNull(),
    deposit: t.bigint().notNull(),
    escrow: t.bigint().notNull(),
    deploymentHash: t.hex().notNull(),
    state: leaseState("state").notNull(),
    endReason: leaseEndReason("end_reason"),
    refund: t.bigint(),
    endpoint: t.text(),
    startSeconds: t.bigint(),
    sealedManifest: t.hex(),
    reclaimAt: t.bigint(),
    rejection: t.text(),
    paid: t.bigint().notNull(),
    fees: t.bigint().notNull(),
    paidSeconds: t.bigint().notNull(),
    toppedUp: t.bigint().notNull(),
    openedBlock: t.bigint().notNull(),
    openedAt: t.bigint().notNull(),
    endedAt: t.bigint(),
  }),
  (table) => ({
    nodeIdx: index().on(table.nodeId),
    farmIdx: index().on(table.farmId),
    tenantIdx: index().on(table.tenant),
    stateIdx: index().on(table.state),
  }),
);

/** Every state a lease entered, in order. */
export const leaseStateChange = onchainTable(
  "lease_state_change",
  (t) => ({
    id: t.text().primaryKey(),
    leaseId: t.bigint().notNull(),
    state: leaseState("state").notNull(),
    reason: leaseEndReason("reason"),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ leaseIdx: index().on(table.leaseId) }),
);

/** Money moving on a lease: settlements to the farm (with the market's fee) and top-ups by anyone. */
export const leasePayment = onchainTable(
  "lease_payment",
  (t) => ({
    id: t.text().primaryKey(),
    leaseId: t.bigint().notNull(),
    farmId: t.bigint().notNull(),
    kind: t.text().notNull(),
    from: t.hex(),
    seconds: t.bigint(),
    amount: t.bigint().notNull(),
    fee: t.bigint(),
    escrowAfter: t.bigint().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ leaseIdx: index().on(table.leaseId), farmIdx: index().on(table.farmId) }),
);

// ---------------------------------------------------------------------------------------------------------------
// Data (DataMarket)

export const dataset = onchainTable(
  "dataset",
  (t) => ({
    id: t.bigint().primaryKey(),
    ownerId: t.bigint().notNull(),
    /** What the market lists it as (1 to 64 bytes, from DatasetRegistered). */
    name: t.text().notNull(),
    contentHash: t.hex().notNull(),
    encryptedUri: t.text().notNull(),
    pricePerDay: t.bigint().notNull(),
    pricePerUse: t.bigint().notNull(),
    maxDuration: t.bigint().notNull(),
    /** A bit per purpose: 1 << Training, 1 << Inference, 1 << Analytics. */
    purposes: t.integer().notNull(),
    autoApprove: t.boolean().notNull(),
    licenceHash: t.hex().notNull(),
    payees: t.json().$type<{ account: string; bps: number }[]>().notNull(),
    delisted: t.boolean().notNull(),
    /** How many uses were recorded (the `uses` relation lists them). */
    useCount: t.bigint().notNull(),
    earned: t.bigint().notNull(),
    registeredBlock: t.bigint().notNull(),
    registeredAt: t.bigint().notNull(),
  }),
  (table) => ({ ownerIdx: index().on(table.ownerId) }),
);

export const grant = onchainTable(
  "grant",
  (t) => ({
    id: t.bigint().primaryKey(),
    datasetId: t.bigint().notNull(),
    granteeId: t.bigint().notNull(),
    requester: t.hex().notNull(),
    purpose: dataPurpose("purpose").notNull(),
    duration: t.bigint().notNull(),
    maxUses: t.bigint().notNull(),
    usesLeft: t.bigint().notNull(),
    escrow: t.bigint().notNull(),
    state: grantState("state").notNull(),
    expiresAt: t.bigint(),
    sealedKey: t.hex(),
    settled: t.bigint().notNull(),
    refund: t.bigint(),
    endReason: t.text(),
    requestedBlock: t.bigint().notNull(),
    requestedAt: t.bigint().notNull(),
  }),
  (table) => ({ datasetIdx: index().on(table.datasetId), granteeIdx: index().on(table.granteeId) }),
);

export const dataUse = onchainTable(
  "data_use",
  (t) => ({
    id: t.text().primaryKey(),
    grantId: t.bigint().notNull(),
    datasetId: t.bigint().notNull(),
    granteeId: t.bigint().notNull(),
    purpose: dataPurpose("purpose").notNull(),
    usageHash: t.hex().notNull(),
    usesLeft: t.bigint().notNull(),
    amount: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ grantIdx: index().on(table.grantId), datasetIdx: index().on(table.datasetId) }),
);

// ---------------------------------------------------------------------------------------------------------------
// Models, workers, jobs (JobMarket)

export const model = onchainTable("model", (t) => ({
  id: t.bigint().primaryKey(),
  ownerId: t.bigint().notNull(),
  modelHash: t.hex().notNull(),
  name: t.text().notNull(),
  uri: t.text().notNull(),
  ownerFeeBps: t.integer().notNull(),
  active: t.boolean().notNull(),
  registeredBlock: t.bigint().notNull(),
  registeredAt: t.bigint().notNull(),
}));

export const worker = onchainTable("worker", (t) => ({
  id: t.bigint().primaryKey(),
  pricePerJob: t.bigint().notNull(),
  stake: t.bigint().notNull(),
  unstaking: t.bigint().notNull(),
  unstakeAt: t.bigint(),
  paused: t.boolean().notNull(),
  slashed: t.bigint().notNull(),
  registeredBlock: t.bigint().notNull(),
  registeredAt: t.bigint().notNull(),
}));

export const workerModel = onchainTable(
  "worker_model",
  (t) => ({ workerId: t.bigint().notNull(), modelId: t.bigint().notNull(), serving: t.boolean().notNull() }),
  (table) => ({ pk: primaryKey({ columns: [table.workerId, table.modelId] }), modelIdx: index().on(table.modelId) }),
);

export const job = onchainTable(
  "job",
  (t) => ({
    id: t.bigint().primaryKey(),
    modelId: t.bigint().notNull(),
    requesterId: t.bigint().notNull(),
    requester: t.hex().notNull(),
    input: t.hex(),
    inputHash: t.hex().notNull(),
    inputUri: t.text().notNull(),
    redundancy: t.integer().notNull(),
    maxFeePerWorker: t.bigint().notNull(),
    deadline: t.bigint().notNull(),
    callback: t.hex().notNull(),
    callbackGasLimit: t.bigint().notNull(),
    state: jobState("state").notNull(),
    /** Original workers that claimed it with a commitment, and those that revealed: JobMarket's own counts. */
    committed: t.integer().notNull(),
    revealed: t.integer().notNull(),
    /** While Revealing, when reveals are due; while Proposed, when the challenge window ends. */
    windowEnds: t.bigint(),
    proposedOutputHash: t.hex(),
    votes: t.integer(),
    /** A re-execution round: who challenged (null for reveals without a majority) with what bond, the block whose
     * hash draws the committee, when it must be drawn and committed, its size once drawn, and how it ended: the
     * verdict (and whether it overturned the proposal) or why it failed. */
    disputed: t.boolean().notNull(),
    challenger: t.hex(),
    bond: t.bigint(),
    drawBlock: t.bigint(),
    roundCommitEnds: t.bigint(),
    committeeSize: t.integer(),
    verdictOutputHash: t.hex(),
    verdictVotes: t.integer(),
    upheld: t.boolean(),
    roundFailure: roundFailure("round_failure"),
    outputHash: t.hex(),
    paid: t.bigint(),
    refund: t.bigint(),
    callbackOk: t.boolean(),
    requestedBlock: t.bigint().notNull(),
    requestedAt: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    endedAt: t.bigint(),
  }),
  (table) => ({
    modelIdx: index().on(table.modelId),
    requesterIdx: index().on(table.requesterId),
    stateIdx: index().on(table.state),
  }),
);

/** A worker's part in a job: an original claim or a committee seat, its commitment, its revealed result (and
 * signature), and any slash (for silence, or for contradicting a round's verdict). */
export const jobClaim = onchainTable(
  "job_claim",
  (t) => ({
    jobId: t.bigint().notNull(),
    workerId: t.bigint().notNull(),
    entry: t.integer().notNull(),
    member: t.boolean().notNull(),
    price: t.bigint().notNull(),
    state: claimState("state").notNull(),
    commitment: t.hex(),
    outputHash: t.hex(),
    outputUri: t.text(),
    inlineOutput: t.hex(),
    signature: t.hex(),
    slashed: t.bigint(),
    slashedSilent: t.boolean(),
    claimedAt: t.bigint().notNull(),
    committedAt: t.bigint(),
    revealedAt: t.bigint(),
    revealTxHash: t.hex(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.jobId, table.workerId] }), workerIdx: index().on(table.workerId) }),
);

/** What a job's pot (slashes, forfeited bonds, silence penalties) credited each account; a pot nobody earned is
 * burnt, and recorded as a share of JobMarket's BURN_ADDRESS. */
export const jobPotShare = onchainTable(
  "job_pot_share",
  (t) => ({ jobId: t.bigint().notNull(), account: t.hex().notNull(), amount: t.bigint().notNull() }),
  (table) => ({ pk: primaryKey({ columns: [table.jobId, table.account] }), accountIdx: index().on(table.account) }),
);

/** The data grants a job cited, and whether its use was recorded (GrantUseFailed says it was not). */
export const jobGrant = onchainTable(
  "job_grant",
  (t) => ({ jobId: t.bigint().notNull(), grantId: t.bigint().notNull(), useFailed: t.boolean().notNull() }),
  (table) => ({ pk: primaryKey({ columns: [table.jobId, table.grantId] }), grantIdx: index().on(table.grantId) }),
);

// ---------------------------------------------------------------------------------------------------------------
// Across contracts: the FOLD token, withdrawals of earnings, and role changes.

export const account = onchainTable("account", (t) => ({
  address: t.hex().primaryKey(),
  balance: t.bigint().notNull(),
}));

/** The last amount each owner approved for each spender. Not the allowance left: OpenZeppelin's ERC-20 spends an
 * allowance without an event (read `allowance()` on-chain for that). */
export const approval = onchainTable(
  "approval",
  (t) => ({
    owner: t.hex().notNull(),
    spender: t.hex().notNull(),
    value: t.bigint().notNull(),
    block: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.owner, table.spender] }) }),
);

export const tokenTransfer = onchainTable(
  "token_transfer",
  (t) => ({
    id: t.text().primaryKey(),
    from: t.hex().notNull(),
    to: t.hex().notNull(),
    value: t.bigint().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ fromIdx: index().on(table.from), toIdx: index().on(table.to) }),
);

/** FoldToken's minter (the FarmingRewards contract) and total supply. One row, id 1. */
export const token = onchainTable("token", (t) => ({
  id: t.integer().primaryKey(),
  minter: t.hex(),
  totalSupply: t.bigint().notNull(),
}));

/** Earnings withdrawn from a market (DataMarket, JobMarket) or fees withdrawn to the treasury (LeaseMarket). */
export const withdrawal = onchainTable(
  "withdrawal",
  (t) => ({
    id: t.text().primaryKey(),
    contract: t.text().notNull(),
    account: t.hex().notNull(),
    amount: t.bigint().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account) }),
);

/** AccessControl's RoleGranted, RoleRevoked and RoleAdminChanged, on every contract that has roles. */
export const roleChange = onchainTable(
  "role_change",
  (t) => ({
    id: t.text().primaryKey(),
    contract: t.text().notNull(),
    role: t.hex().notNull(),
    kind: t.text().notNull(),
    account: t.hex(),
    sender: t.hex(),
    previousAdminRole: t.hex(),
    newAdminRole: t.hex(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ contractRoleIdx: index().on(table.contract, table.role) }),
);

// ---------------------------------------------------------------------------------------------------------------
// Relations, for GraphQL's nested queries.

export const identityRelations = relations(identity, ({ many }) => ({
  keys: many(identityKey),
  actions: many(agentAction),
  farms: many(farm),
}));
export const identityKeyRelations = relations(identityKey, ({ one }) => ({
  identity: one(identity, { fields: [identityKey.identityId], references: [identity.id] }),
}));
export const agentActionRelations = relations(agentAction, ({ one }) => ({
  agent: one(identity, { fields: [agentAction.agentId], references: [identity.id] }),
}));
export const farmRelations = relations(farm, ({ one, many }) => ({
  identity: one(identity, { fields: [farm.identityId], references: [identity.id] }),
  nodes: many(node),
}));
export const nodeRelations = relations(node, ({ one, many }) => ({
  farm: one(farm, { fields: [node.farmId], references: [farm.id] }),
  uptime: many(nodeUptimeHour),
  epochs: many(nodeEpoch),
  leases: many(lease),
}));
export const nodeUptimeHourRelations = relations(nodeUptimeHour, ({ one }) => ({
  node: one(node, { fields: [nodeUptimeHour.nodeId], references: [node.id] }),
}));
export const nodeEpochRelations = relations(nodeEpoch, ({ one }) => ({
  node: one(node, { fields: [nodeEpoch.nodeId], references: [node.id] }),
}));
export const receiptRelations = relations(receipt, ({ one }) => ({
  /** Who was paid. */
  to: one(identity, { fields: [receipt.toId], references: [identity.id] }),
}));
export const leaseRelations = relations(lease, ({ one, many }) => ({
  node: one(node, { fields: [lease.nodeId], references: [node.id] }),
  states: many(leaseStateChange),
  payments: many(leasePayment),
}));
export const leaseStateChangeRelations = relations(leaseStateChange, ({ one }) => ({
  lease: one(lease, { fields: [leaseStateChange.leaseId], references: [lease.id] }),
}));
export const leasePaymentRelations = relations(leasePayment, ({ one }) => ({
  lease: one(lease, { fields: [leasePayment.leaseId], references: [lease.id] }),
}));
export const datasetRelations = relations(dataset, ({ many }) => ({ grants: many(grant), uses: many(dataUse) }));
export const grantRelations = relations(grant, ({ one, many }) => ({
  dataset: one(dataset, { fields: [grant.datasetId], references: [dataset.id] }),
  uses: many(dataUse),
}));
export const dataUseRelations = relations(dataUse, ({ one }) => ({
  grant: one(grant, { fields: [dataUse.grantId], references: [grant.id] }),
  dataset: one(dataset, { fields: [dataUse.datasetId], references: [dataset.id] }),
}));
export const modelRelations = relations(model, ({ many }) => ({ jobs: many(job), workers: many(workerModel) }));
export const workerRelations = relations(worker, ({ many }) => ({ models: many(workerModel), claims: many(jobClaim) }));
export const workerModelRelations = relations(workerModel, ({ one }) => ({
  worker: one(worker, { fields: [workerModel.workerId], references: [worker.id] }),
  model: one(model, { fields: [workerModel.modelId], references: [model.id] }),
}));
export const jobRelations = relations(job, ({ one, many }) => ({
  model: one(model, { fields: [job.modelId], references: [model.id] }),
  claims: many(jobClaim),
  grants: many(jobGrant),
  potShares: many(jobPotShare),
}));
export const jobPotShareRelations = relations(jobPotShare, ({ one }) => ({
  job: one(job, { fields: [jobPotShare.jobId], references: [job.id] }),
}));
export const jobClaimRelations = relations(jobClaim, ({ one }) => ({
  job: one(job, { fields: [jobClaim.jobId], references: [job.id] }),
  worker: one(worker, { fields: [jobClaim.workerId], references: [worker.id] }),
}));
export const jobGrantRelations = relations(jobGrant, ({ one }) => ({
  job: one(job, { fields: [jobGrant.jobId], references: [job.id] }),
  grant: one(grant, { fields: [jobGrant.grantId], references: [grant.id] }),
}));
