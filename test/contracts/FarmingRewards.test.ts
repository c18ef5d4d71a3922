import { expect } from "chai";
import { deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import { bindKey, Purpose } from "./helpers.ts";

const { time } = networkHelpers;
// deploy/parameters/hardhat.json
const EPOCH = 600n;
const MAX_GAP = 300n;
const NODE = { cpu: 4, memoryMiB: 8_192, ssdGiB: 100, hddGiB: 0, gpus: 0 };
// 4 cores x 1,024 + 8 GiB x 256 + 100 GiB x 10 (deploy/modules/Fourfold.ts's default weights)
const UNITS = 4n * 1_024n + 8n * 256n + 100n * 10n;
const PRICES = { cpu: 1n, memoryGiB: 1n, ssdGiB: 1n, hddGiB: 0n, gpu: 0n };

/** alice's farm 1 with nodes 1 and 2 (identical), keys k1 and k2; `epoch` is the next epoch, starting at `start`. */
async function withNodes() {
  const base = await deployFourfold();
  const [deployer, alice, payout, k1, k2, certifier, stranger] = base.signers;
  const { identityRegistry: reg, nodeRegistry: nodes, farmingRewards: rewards } = base;
  await reg.connect(alice).register("alice", "");
  await nodes.connect(alice).createFarm(1n, "farm", payout.address);
  for (const key of [k1, k2]) {
    await (await bindKey(reg, alice, 1n, key, Purpose.Node)).wait();
    await nodes.connect(alice).registerNode(1n, key.address, NODE, { country: "0x4245", region: "" }, PRICES);
  }
  const rep = base.reputationRegistry;
  await rep.connect(deployer).grantRole(await rep.CERTIFIER_ROLE(), certifier.address);
  const epoch = (await rewards.currentEpoch()) + 2n;
  const start = await rewards.epochStart(epoch);
  return { ...base, nodes, rewards, rep, alice, payout, k1, k2, certifier, stranger, epoch, start };
}

type Ctx = Awaited<ReturnType<typeof withNodes>>;

/** Heartbeats of the given keys (node i+1 for keys[i]) at each time, all of a time in one block. */
async function beats(c: Ctx, times: bigint[], keys = [c.k1]) {
  await ethers.provider.send("evm_setAutomine", [false]);
  try {
    for (const t of times) {
      await time.setNextBlockTimestamp(t);
      const sent = [];
      for (const [i, key] of keys.entries()) {
        sent.push(await c.nodes.connect(key).heartbeat(BigInt(i + 1), { gasLimit: 300_000n }));
      }
      await ethers.provider.send("evm_mine", []);
      for (const tx of sent) expect((await tx.wait())?.status).to.equal(1);
    }
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
}

/** Every MAX_GAP seconds from `from` to `to`, inclusive. */
function every(from: bigint, to: bigint, step = MAX_GAP): bigint[] {
  const out: bigint[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
}

describe("Farming rewards", () => {
  it("gives a node online for a whole epoch alone the whole emission, and never more", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const { start, epoch } = c;
    // From 100 s before the epoch to 200 s after it: every second of the epoch is proven.
    await beats(c, every(start - 100n, start + EPOCH + 200n));
    const closed = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, epoch));
    expect(closed).to.have.length(1);
    expect(closed[0]?.args.seconds_).to.equal(EPOCH);
    expect(closed[0]?.args.points).to.equal(EPOCH * UNITS);
    expect(await c.nodes.epochPoints(epoch)).to.equal(EPOCH * UNITS);

    // Claimable once the epoch after it has ended.
    await time.increaseTo((await c.rewards.epochStart(epoch + 2n)) + 1n);
    const before = await c.nodes.epochPoints(epoch - 1n); // the 100 s before the epoch: node 1 alone again
    expect(before).to.equal(100n * UNITS);
    const expected = (await c.rewards.emission(epoch - 1n)) + (await c.rewards.emission(epoch));
    expect(await c.rewards.pendingRewards(1n)).to.equal(expected);
    const tx = c.rewards.connect(c.stranger).claim(1n);
    await expect(tx).to.emit(c.rewards, "RewardsClaimed").withArgs(1n, c.payout.address, expected);
    await expect(tx).to.changeTokenBalance(ethers, c.foldToken, c.payout, expected);
    expect(await c.rewards.totalClaimed()).to.equal(expected);
  });

  it("splits an epoch equally between two identical nodes with the same uptime", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n), [c.k1, c.k2]);
    await time.increaseTo((await c.rewards.epochStart(c.epoch + 2n)) + 1n);
    const one = await c.rewards.pendingRewards(1n);
    expect(one).to.equal(await c.rewards.pendingRewards(2n));
    const emitted = (await c.rewards.emission(c.epoch - 1n)) + (await c.rewards.emission(c.epoch));
    expect(2n * one).to.be.at.most(emitted);
    expect(emitted - 2n * one).to.be.at.most(2n, "rounding only");
  });

  it("gives a certified node 1.25 times the points of an identical uncertified one", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const schema = await c.rewards.certificationSchema(2n);
    await c.rep.connect(c.certifier).attest(1n, schema, 0n, ethers.ZeroHash, "");
    await expect(c.nodes.connect(c.stranger).refreshCertification(2n))
      .to.emit(c.nodes, "CertificationRefreshed")
      .withArgs(2n, true);
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n), [c.k1, c.k2]);
    const [plain] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch));
    const [certified] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(2n, c.epoch));
    expect(certified?.args.points).to.equal(((plain?.args.points ?? 0n) * 5n) / 4n);

    // Revoked: the next refresh drops the bonus.
    await c.rep.connect(c.certifier).revokeAttestation(1n);
    await expect(c.nodes.refreshCertification(2n)).to.emit(c.nodes, "CertificationRefreshed").withArgs(2n, false);
    await expect(c.nodes.refreshCertification(2n)).not.to.emit(c.nodes, "CertificationRefreshed");
  });

  it("credits nothing for time offline beyond one heartbeat interval", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    // Online for the first 200 s of the epoch, then silent until 100 s into the next: one maxGap is credited.
    await beats(c, [c.start - 100n, c.start + 200n, c.start + EPOCH + 100n]);
    const [closed] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch));
    expect(closed?.args.seconds_).to.equal(200n + MAX_GAP);
  });

  it("splits a heartbeat's credit exactly at the epoch boundary", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    // The credit of the heartbeat at start + 50 covers [start - 150, start + 50]: 150 s before, 50 s after.
    await beats(c, [c.start - 150n, c.start + 50n]);
    const [closed] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch - 1n));
    expect(closed?.args.seconds_).to.equal(150n);
    expect((await c.nodes.rewardState(1n)).cumStart).to.equal(150n);
  });

  it("forfeits an epoch a node closes only after the next one has ended", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    await beats(c, [c.start + 10n, c.start + 300n]);
    // Silent for the whole next epoch: its first heartbeat after that closes the epoch with no points. The seconds
    // are still reported: 290 proven, plus the one interval of tolerance after the last heartbeat.
    await beats(c, [c.start + 2n * EPOCH + 10n]);
    const [closed] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch));
    expect(closed?.args.seconds_).to.equal(290n + MAX_GAP);
    expect(closed?.args.points).to.equal(0n);
    expect(await c.nodes.epochPoints(c.epoch)).to.equal(0n);
  });

  type Lease = { tenant: Ctx["alice"]; tenantId: bigint; nodeId: bigint; resources: typeof NODE; pending?: boolean };

  /**
   * Both nodes heartbeat 250 s before the epoch; then each lease is opened by its tenant for its identity and, unless
   * `pending`, acknowledged by its node's key, 10 s apart. Returns the lease ids in order.
   */
  async function leaseBefore(c: Ctx, leases: Lease[]) {
    const market = c.leaseMarket;
    const [deployer] = c.signers;
    for (const tenant of new Set(leases.map((l) => l.tenant))) {
      await c.foldToken.connect(deployer).transfer(tenant.address, 100n * 10n ** 18n);
      await c.foldToken.connect(tenant).approve(await market.getAddress(), 100n * 10n ** 18n);
    }
    await beats(c, [c.start - 250n], [c.k1, c.k2]);
    const keys = [c.k1, c.k2];
    let t = c.start - 240n;
    const ids: bigint[] = [];
    for (const { tenant, tenantId, nodeId, resources, pending } of leases) {
      await time.setNextBlockTimestamp(t);
      await market.connect(tenant).openLease(tenantId, nodeId, resources, 10n ** 18n, PRICES, ethers.ZeroHash);
      const leaseId = await market.leaseCount();
      ids.push(leaseId);
      if (!pending) {
        await time.setNextBlockTimestamp(t + 5n);
        const key = keys[Number(nodeId) - 1];
        if (key === undefined) throw new Error(`no key for node ${nodeId}`);
        await market.connect(key).acknowledgeLease(leaseId, "https://node.example");
      }
      t += 10n;
    }
    return ids;
  }

  /** bob, registered as identity 2. */
  async function withBob(c: Ctx) {
    const bob = c.signers[7];
    if (bob === undefined) throw new Error("no signer for bob");
    await c.identityRegistry.connect(bob).register("bob", "");
    return bob;
  }

  const HALF = { cpu: 2, memoryMiB: 4_096, ssdGiB: 50, hddGiB: 0, gpus: 0 };

  it("gives leased capacity a utilisation bonus: x1.5 fully leased, x1.25 half leased", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const bob = await withBob(c);
    await leaseBefore(c, [
      { tenant: bob, tenantId: 2n, nodeId: 1n, resources: NODE },
      { tenant: bob, tenantId: 2n, nodeId: 2n, resources: HALF },
    ]);
    expect((await c.nodes.usage(1n)).leasedUnits).to.equal(UNITS);
    expect((await c.nodes.usage(2n)).leasedUnits).to.equal(UNITS / 2n);
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n), [c.k1, c.k2]);
    const [full] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch));
    const [half] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(2n, c.epoch));
    expect(full?.args.leasedUnitSeconds).to.equal(EPOCH * UNITS);
    expect(full?.args.points).to.equal((EPOCH * UNITS * 3n) / 2n);
    expect(half?.args.leasedUnitSeconds).to.equal((EPOCH * UNITS) / 2n);
    expect(half?.args.points).to.equal((EPOCH * UNITS * 5n) / 4n);
    // Each node's FOLD is its points' share of each epoch's emission, rounded down; epoch - 1 holds the 100 s of
    // leased heartbeats before the epoch, in the same 1.5 : 1.25 proportion.
    await time.increaseTo((await c.rewards.epochStart(c.epoch + 2n)) + 1n);
    let paid = 0n;
    for (const nodeId of [1n, 2n]) {
      let expected = 0n;
      for (const e of [c.epoch - 1n, c.epoch]) {
        const [closed] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(nodeId, e));
        expected += ((closed?.args.points ?? 0n) * (await c.rewards.emission(e))) / (await c.nodes.epochPoints(e));
      }
      expect(await c.rewards.pendingRewards(nodeId)).to.equal(expected);
      paid += expected;
    }
    expect(paid).to.be.at.most((await c.rewards.emission(c.epoch - 1n)) + (await c.rewards.emission(c.epoch)));
  });

  it("counts only running leases of other identities, for as long as they run", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const bob = await withBob(c);
    // Node 1: a lease of the farm's own identity, and bob's lease that is never acknowledged. Node 2: bob's whole
    // node, closed half-way through the epoch.
    const [, , closing] = await leaseBefore(c, [
      { tenant: c.alice, tenantId: 1n, nodeId: 1n, resources: HALF },
      { tenant: bob, tenantId: 2n, nodeId: 1n, resources: HALF, pending: true },
      { tenant: bob, tenantId: 2n, nodeId: 2n, resources: NODE },
    ]);
    expect((await c.nodes.usage(1n)).leasedUnits).to.equal(0n);
    await beats(c, every(c.start - 100n, c.start + 200n), [c.k1, c.k2]);
    await time.setNextBlockTimestamp(c.start + 300n);
    await c.leaseMarket.connect(bob).closeLease(closing ?? 0n);
    await beats(c, every(c.start + 500n, c.start + EPOCH + 200n), [c.k1, c.k2]);
    const [own] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch));
    const [halfTime] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(2n, c.epoch));
    expect(own?.args.leasedUnitSeconds).to.equal(0n);
    expect(own?.args.points).to.equal(EPOCH * UNITS);
    expect(halfTime?.args.leasedUnitSeconds).to.equal(300n * UNITS);
    expect(halfTime?.args.points).to.equal((EPOCH * UNITS * 5n) / 4n);
  });

  it("refuses a second claim with the exact error, and claims 30 epochs in one call", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    await beats(c, every(c.start - 100n, c.start + 30n * EPOCH + 200n));
    await time.increaseTo((await c.rewards.epochStart(c.epoch + 31n)) + 1n);
    let expected = 0n;
    for (let e = c.epoch - 1n; e < c.epoch + 30n; e++) expected += await c.rewards.emission(e);
    expect(await c.rewards.pendingRewards(1n)).to.equal(expected);
    const receipt = await (await c.rewards.claim(1n)).wait();
    const block = await ethers.provider.getBlock("latest");
    expect(receipt?.gasUsed).to.be.below((block?.gasLimit ?? 0n) / 100n, "one claim, whatever the number of epochs");
    await expect(c.rewards.claim(1n)).to.be.revertedWithCustomError(c.rewards, "RewardsNothingToClaim").withArgs(1n);
    await expect(c.rewards.claim(9n)).to.be.revertedWithCustomError(c.nodes, "NodeUnknown").withArgs(9n);
  });

  it("excludes a farm from the current epoch on and keeps what it had earned", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const [deployer] = c.signers;
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n));
    // Excluded during epoch + 1: epoch + 1 earns nothing, epochs before it are kept.
    await expect(c.rewards.connect(c.stranger).excludeFarm(1n, [1n, 2n]))
      .to.be.revertedWithCustomError(c.rewards, "AccessControlUnauthorizedAccount")
      .withArgs(c.stranger.address, await c.rewards.GOVERNOR_ROLE());
    await expect(c.rewards.connect(deployer).excludeFarm(1n, [1n]))
      .to.be.revertedWithCustomError(c.nodes, "FarmNodesIncomplete")
      .withArgs(1n, 1n, 2n);
    await expect(c.rewards.connect(deployer).excludeFarm(1n, [2n, 1n]))
      .to.be.revertedWithCustomError(c.nodes, "FarmNodesIncomplete")
      .withArgs(1n, 1n, 2n);
    await expect(c.rewards.connect(deployer).excludeFarm(1n, [1n, 2n]))
      .to.emit(c.nodes, "FarmExcluded")
      .withArgs(1n, c.epoch + 1n);
    await expect(c.rewards.connect(deployer).excludeFarm(1n, [1n, 2n]))
      .to.be.revertedWithCustomError(c.nodes, "FarmAlreadyExcluded")
      .withArgs(1n);
    await beats(c, every(c.start + EPOCH + 500n, c.start + 2n * EPOCH + 200n));
    const [excluded] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch + 1n));
    expect(excluded?.args.points).to.equal(0n);
    await time.increaseTo((await c.rewards.epochStart(c.epoch + 3n)) + 1n);
    const kept = (await c.rewards.emission(c.epoch - 1n)) + (await c.rewards.emission(c.epoch));
    expect(await c.rewards.pendingRewards(1n)).to.equal(kept);
    await c.rewards.claim(1n);
  });

  it("answers its wiring and refuses unknown nodes and farms", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const [deployer] = c.signers;
    expect(await c.rewards.token()).to.equal(await c.foldToken.getAddress());
    expect(await c.rewards.nodeRegistry()).to.equal(await c.nodes.getAddress());
    await expect(c.nodes.rewardState(9n)).to.be.revertedWithCustomError(c.nodes, "NodeUnknown").withArgs(9n);
    await expect(c.rewards.pendingRewards(9n)).to.be.revertedWithCustomError(c.nodes, "NodeUnknown").withArgs(9n);
    await expect(c.rewards.connect(deployer).excludeFarm(7n, []))
      .to.be.revertedWithCustomError(c.nodes, "FarmUnknown")
      .withArgs(7n);
    const state = await c.nodes.rewardState(1n);
    expect([state.cumStart, state.pendingEpoch, state.units, state.pendingPoints, state.owed]).to.deep.equal([
      0n,
      0n,
      UNITS,
      0n,
      0n,
    ]);
  });

  it("lets only the rewards contract take rewards, and refuses a schedule above the cap", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    await expect(c.nodes.connect(c.stranger).takeRewards(1n))
      .to.be.revertedWithCustomError(c.nodes, "AccessControlUnauthorizedAccount")
      .withArgs(c.stranger.address, await c.nodes.REWARDS_ROLE());
    const factory = await ethers.getContractFactory("FarmingRewards");
    const bound = await c.rewards.totalEmissionBound();
    expect(bound).to.equal(300_000_000n * 10n ** 18n);
    // A second token whose genesis leaves less than the bound under the cap.
    const token = await (await ethers.getContractFactory("FoldToken")).deploy(
      c.alice.address,
      800_000_000n * 10n ** 18n,
    );
    await expect(factory.deploy(token, c.nodes, c.alice.address))
      .to.be.revertedWithCustomError(factory, "RewardsScheduleExceedsCap")
      .withArgs(bound, 200_000_000n * 10n ** 18n);
  });
});
