import type { ContractTransactionResponse, Signer } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import { deployFourfold } from "../deploy/in-process.ts";
import {
  bindKey,
  bytes32,
  Outcome,
  PERMIT_TYPES,
  Purpose,
  signBindKey,
  signedHeartbeat,
  signHeartbeat,
  URI_66,
} from "../test/contracts/helpers.ts";
import { JOB_RESULT_TYPES, jobResultDomain } from "../worker/src/inference/job-result.ts";

/**
 * Gas budgets from issues 2, 3 and 4, each at or under the best public implementation of the same call (ERC-8004's
 * reference registries and EAS, measured with solc 0.8.37 and 200 optimizer runs). Tests fail above them.
 */
export const GAS_BUDGETS: Readonly<Record<string, number>> = {
  "IdentityRegistry.register": 200_000,
  "IdentityRegistry.bindKey": 90_000,
  "IdentityRegistry.logAction": 50_000,
  "ReputationRegistry.giveFeedback": 110_000,
  "ReputationRegistry.attest": 140_000,
  "FoldToken.transfer": 52_000,
  "NodeRegistry.registerNode": 260_000,
  "NodeRegistry.heartbeat": 50_000,
  "NodeRegistry.heartbeatBatchPerNode": 20_000,
  "LeaseMarket.openLease": 230_000,
  "LeaseMarket.settle": 100_000,
  "LeaseMarket.closeLease": 130_000,
  "FarmingRewards.claim": 80_000,
  "FarmingRewards.claim10": 260_000,
  "DataMarket.registerDataset": 200_000,
  "DataMarket.requestAccess": 200_000,
  "DataMarket.recordUse": 70_000,
  "DataMarket.revoke": 90_000,
  "JobMarket.requestJob": 200_000,
  "JobMarket.claimJob": 100_000,
  "JobMarket.revealResult": 100_000,
  "JobMarket.challenge": 150_000,
  "JobMarket.commitResult": 70_000,
  "JobMarket.memberReveal": 100_000,
  "JobMarket.finalize": 200_000,
};

/** Nodes in the heartbeat batch the per-node budget is stated for. */
export const HEARTBEAT_BATCH_SIZE = 50;

/**
 * A fixed scenario that calls every user-facing function once in the state the budgets are stated for, and returns
 * the gas each transaction used (from its receipt), keyed `Contract.function`:
 * - `IdentityRegistry.register`: a new holder's identity with a handle and a 66-byte URI, not the first identity;
 * - `IdentityRegistry.logAction`: steady state (the agent's second action);
 * - `ReputationRegistry.giveFeedback`: steady state (the subject already has feedback with that tag);
 * - `ReputationRegistry.attest`: a new subject, not the first attestation;
 * - `FoldToken.transfer`: to an address that held no FOLD;
 * - `NodeRegistry.registerNode`: a farm's second node;
 * - `NodeRegistry.decommission`: a bonded node (the bond is refunded);
 * - `NodeRegistry.heartbeat`, `heartbeatBySig`: steady state (not the node's first heartbeat, nor its first in an
 *   epoch);
 * - `NodeRegistry.heartbeatNewEpoch`: a node's first heartbeat in an epoch, after a full epoch of heartbeats, with a
 *   lease running (it closes the epoch and converts the one before into FOLD owed);
 * - `NodeRegistry.heartbeatBatchPerNode`: a batch of 50 nodes' signed heartbeats in steady state, the
 *   transaction's gas divided by 50;
 * - `LeaseMarket.openLease`: a tenant's second lease on a node (the market already holds escrow);
 * - `LeaseMarket.settle`: steady state (the lease's receipt exists; the farm and treasury hold FOLD);
 * - `LeaseMarket.closeLease`: a lease with proven seconds to pay at close, on a farm with earlier outcomes;
 * - `FarmingRewards.claim`, `claim10`: a node's claim after one epoch and after ten (its farm's payout already
 *   holds FOLD). Rewards accrue per node as epochs close, so a claim costs the same for any number of epochs;
 * - `DataMarket.registerDataset`: the owner's second dataset, with a 20-byte name, a 66-byte URI and no split;
 * - `DataMarket.requestAccess`: auto-approved, with escrow, the grantee's second grant on the dataset (another
 *   purpose); `recordUse`: the grant's second use (its receipt exists); `revoke`: after those uses;
 * - `JobMarket.requestJob`: k = 1, the input as hash and URI, with escrow, no grant, the requester's second job;
 *   `requestJobWithGrant`: the same citing one grant; `claimJob`: the worker's second claim, with its commitment
 *   (which, k being 1, opens the reveals); `revealResult`: with an output URI and no inline output, which proposes
 *   the result; `finalize`: k = 1 with one grant, in steady state (the accounts paid already hold earnings, the
 *   grant's receipt exists); `challenge`: of that proposal, with the bond (the committee is then three of the three
 *   other workers serving the model); `commitResult`: a member's commitment; `memberReveal`: a member's reveal;
 *   `closeRound`: `closeReveals` deciding the round once all three revealed (the challenge failed: the bond is
 *   shared among the worker and the three members).
 */
export async function measureGas(connection: NetworkConnection): Promise<Record<string, number>> {
  const { ethers, networkHelpers } = connection;
  // A fixed deployment time, so that the epochs (which NodeRegistry counts from its deployment) are the same in
  // every run: epoch 0 begins at 3,999,995,400 and the scenario's heartbeats fall in epochs 7 to 9.
  await networkHelpers.time.increaseTo(3_999_996_000n);
  const {
    foldToken,
    identityRegistry,
    reputationRegistry,
    nodeRegistry,
    leaseMarket,
    farmingRewards,
    dataMarket,
    jobMarket,
  } = await deployFourfold(connection);
  const [deployer, alice, bob, carol, dave, minter, newHolder, nodeSigner, payout] = await ethers.getSigners();
  const gas: Record<string, number> = {};
  async function record(name: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
    const receipt = await (await tx).wait();
    if (receipt === null) throw new Error(`${name}: no receipt`);
    gas[name] = Number(receipt.gasUsed);
  }
  const deadline = 2n ** 40n - 1n;
  /** A signer for a wired contract's address: the deployment seals the markets' roles, so the scenario calls the
   * registries as the lease market does. */
  async function asContract(address: string) {
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 20n);
    return ethers.getSigner(address);
  }
  const asLeaseMarket = await asContract(await leaseMarket.getAddress());

  // FoldToken
  await record("FoldToken.transfer", foldToken.transfer(newHolder.address, 10n ** 18n));
  await record("FoldToken.approve", foldToken.approve(alice.address, 10n ** 18n));
  await record("FoldToken.transferFrom", foldToken.connect(alice).transferFrom(deployer.address, bob.address, 1n));
  const permitDomain = {
    name: "Fourfold",
    version: "1",
    chainId: (await ethers.provider.getNetwork()).chainId,
    verifyingContract: await foldToken.getAddress(),
  };
  const permit = { owner: deployer.address, spender: bob.address, value: 5n, nonce: 0n, deadline };
  const permitSig = ethers.Signature.from(await deployer.signTypedData(permitDomain, PERMIT_TYPES, permit));
  await record(
    "FoldToken.permit",
    foldToken.permit(deployer.address, bob.address, 5n, deadline, permitSig.v, permitSig.r, permitSig.s),
  );
  // The module already made FarmingRewards the minter: measure setMinter and mint on a token of their own.
  const standalone = await (await ethers.getContractFactory("FoldToken")).deploy(deployer.address, 10n ** 24n);
  await record("FoldToken.setMinter", standalone.setMinter(minter.address));
  await record("FoldToken.mint", standalone.connect(minter).mint(carol.address, 10n ** 18n));

  // IdentityRegistry
  await identityRegistry.connect(alice).register("alice", URI_66);
  await record("IdentityRegistry.register", identityRegistry.connect(bob).register("bob-the-builder", URI_66));
  await identityRegistry.connect(carol).register("carol", URI_66);
  const aliceId = await identityRegistry.idOfHandle("alice");
  const bobId = await identityRegistry.idOfHandle("bob-the-builder");
  const carolId = await identityRegistry.idOfHandle("carol");
  await record("IdentityRegistry.setMetadataURI", identityRegistry.connect(alice).setMetadataURI(aliceId, URI_66));
  await record(
    "IdentityRegistry.setEncryptionKey",
    identityRegistry.connect(alice).setEncryptionKey(aliceId, ethers.keccak256("0x01")),
  );

  // A fixed key: calldata gas depends on the bytes of the key and its signature.
  const nodeKey = new ethers.Wallet(ethers.id("fourfold gas scenario node key"));
  const nodeSig = await signBindKey(identityRegistry, nodeKey, {
    identityId: aliceId,
    purpose: Purpose.Node,
    nonce: 0n,
    deadline,
  });
  await record(
    "IdentityRegistry.bindKey",
    identityRegistry.connect(alice).bindKey(aliceId, nodeKey.address, Purpose.Node, deadline, nodeSig),
  );
  await record("IdentityRegistry.unbindKey", identityRegistry.connect(alice).unbindKey(nodeKey.address));

  await record(
    "IdentityRegistry.registerAgent",
    identityRegistry.connect(alice).registerAgent(aliceId, "alice-agent", URI_66),
  );
  const agentId = await identityRegistry.idOfHandle("alice-agent");
  const agentKey = dave;
  await bindKey(identityRegistry, alice, agentId, agentKey, Purpose.Agent);
  const action = bytes32("inference.request");
  const uri = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
  await identityRegistry.connect(agentKey).logAction(agentId, action, ethers.keccak256("0x01"), uri);
  await record(
    "IdentityRegistry.logAction",
    identityRegistry.connect(agentKey).logAction(agentId, action, ethers.keccak256("0x02"), uri),
  );
  await record("IdentityRegistry.setAgentPaused", identityRegistry.connect(alice).setAgentPaused(agentId, true));
  await record(
    "IdentityRegistry.transferFrom",
    identityRegistry.connect(carol).transferFrom(carol.address, dave.address, carolId),
  );

  // ReputationRegistry
  await reputationRegistry.grantRole(await reputationRegistry.CERTIFIER_ROLE(), deployer.address);
  const kind = bytes32("lease");
  const writer = reputationRegistry.connect(asLeaseMarket);
  await writer.recordReceipt(aliceId, bobId, kind, ethers.ZeroHash, 10n ** 18n);
  await record(
    "ReputationRegistry.recordReceipt",
    writer.recordReceipt(aliceId, bobId, kind, bytes32("lease-2"), 2n * 10n ** 18n),
  );
  const tag = bytes32("uptime");
  const feedbackUri = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
  await reputationRegistry.connect(alice).giveFeedback(1, 90, tag, feedbackUri, ethers.keccak256("0x03"));
  await record(
    "ReputationRegistry.giveFeedback",
    reputationRegistry.connect(alice).giveFeedback(2, 80, tag, feedbackUri, ethers.keccak256("0x04")),
  );
  await record("ReputationRegistry.respond", reputationRegistry.connect(bob).respond(2, feedbackUri));
  await record("ReputationRegistry.revokeFeedback", reputationRegistry.connect(alice).revokeFeedback(2));
  await record("ReputationRegistry.recordOutcome", writer.recordOutcome(bobId, Outcome.Completed, bytes32("lease-2")));
  const schema = bytes32("node-certified");
  await reputationRegistry.attest(aliceId, schema, 0, ethers.ZeroHash, "");
  await record(
    "ReputationRegistry.attest",
    reputationRegistry.attest(bobId, schema, deadline, ethers.keccak256("0x05"), URI_66),
  );
  await record("ReputationRegistry.revokeAttestation", reputationRegistry.revokeAttestation(2));

  // NodeRegistry: alice's farm; node 1's key sends its own heartbeats, the batch's nodes' keys only sign.
  await record(
    "NodeRegistry.createFarm",
    nodeRegistry.connect(alice).createFarm(aliceId, "Alice's farm", payout.address),
  );
  const farmId = 1n;
  await record("NodeRegistry.setFarmPayout", nodeRegistry.connect(alice).setFarmPayout(farmId, payout.address));
  const resources = { cpu: 16, memoryMiB: 65_536, ssdGiB: 1_000, hddGiB: 4_000, gpus: 2 };
  const location = { country: "0x4245", region: "u151" };
  const prices = {
    cpu: 10n ** 16n,
    memoryGiB: 5n * 10n ** 15n,
    ssdGiB: 10n ** 14n,
    hddGiB: 2n * 10n ** 13n,
    gpu: 5n * 10n ** 17n,
  };
  async function addNode(key: Signer & { address: string }) {
    await bindKey(identityRegistry, alice, aliceId, key, Purpose.Node);
    return nodeRegistry.connect(alice).registerNode(farmId, key.address, resources, location, prices);
  }
  await addNode(nodeSigner);
  const batchKeys = Array.from(
    { length: HEARTBEAT_BATCH_SIZE },
    (_, i) => new ethers.Wallet(ethers.id(`fourfold gas scenario batch node ${i}`)),
  );
  const [secondKey] = batchKeys;
  if (secondKey === undefined) throw new Error("no batch keys");
  await record("NodeRegistry.registerNode", addNode(secondKey));
  for (const key of batchKeys.slice(1)) await addNode(key);

  // Fixed times from here on: signed timestamps are calldata, and their bytes change the gas.
  const { time } = networkHelpers;
  // An epoch boundary (epochs are 600 s on the local chain, at multiples of 600): everything up to the lease
  // market's part happens within one epoch, so those heartbeats are steady state.
  const t0 = 4_000_000_200n;
  await time.setNextBlockTimestamp(t0);
  await nodeRegistry.connect(nodeSigner).heartbeat(1n);
  await time.setNextBlockTimestamp(t0 + 60n);
  await record("NodeRegistry.heartbeat", nodeRegistry.connect(nodeSigner).heartbeat(1n));
  const signedAt = t0 + 90n;
  await time.setNextBlockTimestamp(signedAt + 5n);
  await record(
    "NodeRegistry.heartbeatBySig",
    nodeRegistry.heartbeatBySig(1n, signedAt, await signHeartbeat(nodeRegistry, nodeSigner, 1n, signedAt)),
  );
  async function batch(at: bigint) {
    return Promise.all(batchKeys.map((key, i) => signedHeartbeat(nodeRegistry, key, BigInt(i + 2), at)));
  }
  const firstAt = signedAt + 60n;
  const firstBatch = await batch(firstAt);
  await time.setNextBlockTimestamp(firstAt);
  await nodeRegistry.heartbeatBatch(firstBatch);
  const steadyAt = firstAt + 60n;
  const steadyBatch = await batch(steadyAt);
  await time.setNextBlockTimestamp(steadyAt);
  const batchReceipt = await (await nodeRegistry.heartbeatBatch(steadyBatch)).wait();
  if (batchReceipt === null) throw new Error("heartbeatBatch: no receipt");
  gas["NodeRegistry.heartbeatBatchPerNode"] = Math.ceil(Number(batchReceipt.gasUsed) / HEARTBEAT_BATCH_SIZE);

  await record(
    "NodeRegistry.updatePrices",
    nodeRegistry.connect(alice).updatePrices(1n, { ...prices, cpu: 2n * prices.cpu }),
  );
  const lease = { cpu: 2, memoryMiB: 4_096, ssdGiB: 100, hddGiB: 0, gpus: 0 };
  const market = nodeRegistry.connect(asLeaseMarket);
  await market.reserve(1n, lease);
  await record("NodeRegistry.reserve", market.reserve(1n, lease));
  await record("NodeRegistry.release", market.release(1n, lease));
  await record("NodeRegistry.setStandby", nodeRegistry.connect(alice).setStandby(2n, true));
  await foldToken.transfer(alice.address, 10n ** 18n);
  await foldToken.connect(alice).approve(await nodeRegistry.getAddress(), 10n ** 18n);
  await record("NodeRegistry.bond", nodeRegistry.connect(alice).bond(3n, 10n ** 17n));
  await record("NodeRegistry.decommission", nodeRegistry.connect(alice).decommission(3n));

  // LeaseMarket: bob leases from node 1, whose key heartbeats every minute.
  const one = 10n ** 18n;
  const marketAddress = await leaseMarket.getAddress();
  await foldToken.transfer(bob.address, 100n * one);
  await foldToken.connect(bob).approve(marketAddress, 100n * one);
  const current = await nodeRegistry.prices(1n);
  const maxPrices = {
    cpu: current.cpu,
    memoryGiB: current.memoryGiB,
    ssdGiB: current.ssdGiB,
    hddGiB: current.hddGiB,
    gpu: current.gpu,
  };
  const deploymentHash = ethers.keccak256("0x0f");
  const endpoint = "https://node-1.fourfold.example:8443";
  const beatAt = async (at: bigint) => {
    await time.setNextBlockTimestamp(at);
    await nodeRegistry.connect(nodeSigner).heartbeat(1n);
  };
  const atTime = async (at: bigint, name: string | null, send: () => Promise<ContractTransactionResponse>) => {
    await time.setNextBlockTimestamp(at);
    if (name === null) await (await send()).wait();
    else await record(name, send());
  };
  const open = () => leaseMarket.connect(bob).openLease(bobId, 1n, lease, 10n * one, maxPrices, deploymentHash);
  let t = steadyAt + 100n;
  await beatAt(t);
  // A first lease, run to its end, so that the market, the receipt counter and the farm's outcomes are warm.
  await atTime(t + 1n, null, open);
  await atTime(t + 2n, null, () => leaseMarket.connect(nodeSigner).acknowledgeLease(1n, endpoint));
  await beatAt(t + 60n);
  await atTime(t + 61n, null, () => leaseMarket.settle(1n));
  await atTime(t + 62n, null, () => leaseMarket.connect(bob).closeLease(1n));
  t += 100n;
  await atTime(t, "LeaseMarket.openLease", open);
  await atTime(t + 1n, "LeaseMarket.acknowledgeLease", () =>
    leaseMarket.connect(nodeSigner).acknowledgeLease(2n, endpoint),
  );
  await beatAt(t + 60n);
  await atTime(t + 61n, "LeaseMarket.settleFirst", () => leaseMarket.settle(2n));
  await beatAt(t + 120n);
  await atTime(t + 121n, "LeaseMarket.settle", () => leaseMarket.settle(2n));
  await atTime(t + 122n, "LeaseMarket.topUp", () => leaseMarket.connect(bob).topUp(2n, one));
  await beatAt(t + 180n);
  await atTime(t + 181n, "LeaseMarket.closeLease", () => leaseMarket.connect(bob).closeLease(2n));
  // A third lease keeps running across the epoch boundary below, as on a busy node. (Since issue 21 a lease no longer
  // changes what the epoch's close costs: there is no utilisation accounting. The scenario keeps its state, and so its
  // figures comparable with earlier snapshots.)
  await atTime(t + 182n, null, open);
  await atTime(t + 183n, null, () => leaseMarket.connect(nodeSigner).acknowledgeLease(3n, endpoint));

  // Node 1 crosses into the next epochs, heartbeating every 200 s: its first crossing closes its first epoch; the
  // second is the steady case (it also turns the first epoch's points into FOLD owed).
  const epochLength = 600n;
  const next = t0 + epochLength;
  for (const at of [next + 30n, next + 230n, next + 430n]) await beatAt(at);
  await time.setNextBlockTimestamp(next + epochLength + 30n);
  await record("NodeRegistry.heartbeatNewEpoch", nodeRegistry.connect(nodeSigner).heartbeat(1n));

  // FarmingRewards: a first claim (the payout's first FOLD), then claims after one epoch and after ten more.
  let at = next + epochLength + 30n;
  const runEpochs = async (count: bigint) => {
    for (const end = at + count * epochLength; at < end; ) {
      at += 200n;
      await beatAt(at);
    }
  };
  await runEpochs(2n);
  await time.setNextBlockTimestamp(at + 10n);
  await farmingRewards.claim(1n);
  await runEpochs(1n);
  await time.setNextBlockTimestamp(at + 10n);
  await record("FarmingRewards.claim", farmingRewards.claim(1n));
  await runEpochs(10n);
  await time.setNextBlockTimestamp(at + 10n);
  await record("FarmingRewards.claim10", farmingRewards.claim(1n));

  // DataMarket: alice's datasets (a 66-byte URI, no split), bob's grants on the second, auto-approved.
  const dataAddress = await dataMarket.getAddress();
  await identityRegistry.connect(bob).setEncryptionKey(bobId, ethers.keccak256("0x02"));
  await foldToken.connect(bob).approve(dataAddress, 100n * one);
  const terms = {
    pricePerDay: 86_400n * 10n ** 12n,
    pricePerUse: 10n ** 15n,
    maxDuration: 30n * 86_400n,
    purposes: 0b1110,
    autoApprove: true,
    licenceHash: ethers.keccak256("0x03"),
  };
  const dataset = (hash: string) =>
    dataMarket.connect(alice).registerDataset(aliceId, "EU city temperatures", hash, URI_66, terms, []);
  await dataset(ethers.keccak256("0x04"));
  await record("DataMarket.registerDataset", dataset(ethers.keccak256("0x05")));
  const ask = (purpose: number) => dataMarket.connect(bob).requestAccess(2n, bobId, purpose, 86_400n, 10n, one);
  await ask(1);
  await record("DataMarket.requestAccess", ask(2));
  await record("DataMarket.deliverKey", dataMarket.connect(alice).deliverKey(2n, `0x${"ab".repeat(72)}`));
  await dataMarket.connect(bob).recordUse(2n, 2, ethers.keccak256("0x06"));
  await record("DataMarket.recordUse", dataMarket.connect(bob).recordUse(2n, 2, ethers.keccak256("0x07")));
  await record("DataMarket.revoke", dataMarket.connect(alice).revoke(2n));
  await record("DataMarket.withdraw", dataMarket.connect(alice).withdraw());

  // JobMarket: alice's model (10 % owner fee), a worker (identity 3, dave's since the transfer above) with a fixed
  // Worker key, three more workers for a committee, and bob's jobs citing his Inference grant 3 on dataset 2.
  const jobsAddress = await jobMarket.getAddress();
  await ask(2);
  await dataMarket.connect(alice).deliverKey(3n, `0x${"ab".repeat(72)}`);
  await record(
    "JobMarket.registerModel",
    jobMarket.connect(alice).registerModel(aliceId, ethers.keccak256("0x08"), "tesseract-eng", URI_66, 1_000n),
  );
  const wallet = async (seed: string) => {
    const w = new ethers.Wallet(ethers.id(seed), ethers.provider);
    await deployer.sendTransaction({ to: w.address, value: one });
    return w;
  };
  const workerKey = await wallet("fourfold gas scenario worker key");
  await (await bindKey(identityRegistry, dave, carolId, workerKey, Purpose.Worker)).wait();
  await foldToken.transfer(dave.address, 1_000n * one);
  await foldToken.connect(dave).approve(jobsAddress, 1_000n * one);
  await foldToken.connect(bob).approve(jobsAddress, 100n * one);
  await foldToken.connect(newHolder).approve(jobsAddress, 100n * one);
  await foldToken.transfer(newHolder.address, 100n * one);
  await record(
    "JobMarket.registerWorker",
    jobMarket.connect(dave).registerWorker(carolId, [1n], one / 10n, 500n * one),
  );
  const members = new Map<bigint, Signer>();
  for (const n of [1, 2, 3]) {
    const owner = await wallet(`fourfold gas scenario member ${n}`);
    const key = await wallet(`fourfold gas scenario member key ${n}`);
    await identityRegistry.connect(owner).register(`member-${n}`, "");
    const memberId = await identityRegistry.identityCount();
    await (await bindKey(identityRegistry, owner, memberId, key, Purpose.Worker)).wait();
    await foldToken.transfer(owner.address, 200n * one);
    await foldToken.connect(owner).approve(jobsAddress, 200n * one);
    await jobMarket.connect(owner).registerWorker(memberId, [1n], one / 10n, 200n * one);
    members.set(memberId, key);
  }
  const jobDeadline = BigInt(await time.latest()) + 86_400n;
  const job = (grantIds: bigint[]) =>
    jobMarket.connect(bob).requestJob({
      requesterId: bobId,
      modelId: 1n,
      input: "0x",
      inputHash: ethers.sha256(ethers.toUtf8Bytes("input")),
      inputURI: URI_66,
      grantIds,
      redundancy: 1,
      maxFeePerWorker: one / 10n,
      deadline: jobDeadline,
      callback: ethers.ZeroAddress,
      callbackGasLimit: 0,
    });
  const outputHash = ethers.sha256(ethers.toUtf8Bytes('{"text":"hello"}'));
  const jobDomain = jobResultDomain(Number(permitDomain.chainId), jobsAddress as `0x${string}`);
  const salt = (jobId: bigint, workerId: bigint) => ethers.id(`salt ${jobId} ${workerId}`);
  const sealed = (jobId: bigint, workerId: bigint) =>
    jobMarket.commitmentOf(jobId, workerId, outputHash, salt(jobId, workerId));
  const reveal = async (jobId: bigint, entry: bigint, workerId: bigint, key: Signer) => {
    const signature = await key.signTypedData(
      jobDomain,
      { JobResult: [...JOB_RESULT_TYPES.JobResult] },
      {
        jobId,
        modelHash: ethers.keccak256("0x08"),
        inputHash: ethers.sha256(ethers.toUtf8Bytes("input")),
        outputHash,
        worker: workerId,
        deadline: jobDeadline,
      },
    );
    return jobMarket
      .connect(newHolder)
      .revealResult(jobId, entry, outputHash, salt(jobId, workerId), URI_66, "0x", signature);
  };
  const claim = async (jobId: bigint) => jobMarket.connect(workerKey).claimJob(jobId, await sealed(jobId, carolId));
  // A first job, run to the end: the steady state.
  await job([3n]);
  await claim(1n);
  await reveal(1n, 0n, carolId, workerKey);
  await time.increase(3_600n);
  await jobMarket.finalize(1n, "0x");
  await record("JobMarket.requestJob", job([]));
  await record("JobMarket.requestJobWithGrant", job([3n]));
  await claim(2n);
  await record("JobMarket.claimJob", claim(3n));
  await record("JobMarket.revealResult", reveal(3n, 0n, carolId, workerKey));
  // Job 2 is challenged within its window: a round of three, which upholds the proposal.
  await reveal(2n, 0n, carolId, workerKey);
  await record("JobMarket.challenge", jobMarket.connect(newHolder).challenge(2n));
  await networkHelpers.mine(1);
  // Not recorded: the weighted draw walks the candidates up to a random point, so its gas varies with the draw (about
  // 273,000 here, reading each candidate's checkpointed weight).
  await jobMarket.connect(newHolder).drawCommittee(2n);
  // The draw orders the seats at random: the figures are recorded for one member, whatever seat it holds, committing
  // and revealing first, so that they do not depend on the draw (its calldata and signature are the same in every
  // run, and it is never the last to commit, which opens the reveals).
  const measured = [...members.keys()][1] as bigint;
  const seats: { entry: bigint; workerId: bigint }[] = [];
  for (const entry of [1n, 2n, 3n]) seats.push({ entry, workerId: (await jobMarket.claim(2n, entry)).workerId });
  seats.sort((a, b) => Number(b.workerId === measured) - Number(a.workerId === measured));
  for (const { entry, workerId } of seats) {
    const commit = jobMarket
      .connect(members.get(workerId) as Signer)
      .commitResult(2n, entry, await sealed(2n, workerId));
    if (workerId === measured) await record("JobMarket.commitResult", commit);
    else await commit;
  }
  for (const { entry, workerId } of seats) {
    const sent = reveal(2n, entry, workerId, members.get(workerId) as Signer);
    if (workerId === measured) await record("JobMarket.memberReveal", sent);
    else await sent;
  }
  await record("JobMarket.closeRound", jobMarket.connect(newHolder).closeReveals(2n));
  await time.increase(3_600n);
  await record("JobMarket.finalize", jobMarket.finalize(3n, "0x"));
  await record("JobMarket.withdraw", jobMarket.connect(dave).withdraw());
  await record("JobMarket.requestUnstake", jobMarket.connect(dave).requestUnstake(carolId, one));

  return Object.fromEntries(Object.entries(gas).sort(([a], [b]) => a.localeCompare(b)));
}
