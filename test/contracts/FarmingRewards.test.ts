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
      .withArgs(2n, true, 2n ** 40n - 1n);
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n), [c.k1, c.k2]);
    const [plain] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch));
    const [certified] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(2n, c.epoch));
    expect(certified?.args.points).to.equal(((plain?.args.points ?? 0n) * 5n) / 4n);

    // Revoked: the next refresh drops the bonus.
    await c.rep.connect(c.certifier).revokeAttestation(1n);
    await expect(c.nodes.refreshCertification(2n)).to.emit(c.nodes, "CertificationRefreshed").withArgs(2n, false, 0n);
    await expect(c.nodes.refreshCertification(2n)).not.to.emit(c.nodes, "CertificationRefreshed");
  });

  it("lets a certification lapse at its expiry, without a refresh", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const schema = await c.rewards.certificationSchema(2n);
    // Certified until the middle of the epoch after `epoch`: `epoch` closes (early in epoch + 1) certified, and
    // epoch + 1 closes (in epoch + 2) uncertified, with nobody refreshing in between.
    const until = c.start + EPOCH + 300n;
    await c.rep.connect(c.certifier).attest(1n, schema, until, ethers.ZeroHash, "");
    await expect(c.nodes.refreshCertification(2n)).to.emit(c.nodes, "CertificationRefreshed").withArgs(2n, true, until);
    expect((await c.nodes.rewardStanding(2n)).certifiedUntil).to.equal(until);
    await beats(c, every(c.start - 100n, c.start + 2n * EPOCH + 200n), [c.k1, c.k2]);
    const points = async (nodeId: bigint, e: bigint) =>
      (await c.nodes.queryFilter(c.nodes.filters.EpochClosed(nodeId, e)))[0]?.args.points ?? 0n;
    expect(await points(2n, c.epoch)).to.equal(((await points(1n, c.epoch)) * 5n) / 4n);
    expect(await points(2n, c.epoch + 1n)).to.equal(await points(1n, c.epoch + 1n));
    const standing = await c.nodes.rewardStanding(2n);
    expect([standing.units, standing.earningUnits, standing.certifiedUntil, standing.excluded]).to.deep.equal([
      UNITS,
      UNITS,
      0n,
      false,
    ]);
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

  it("gives leased capacity no bonus: a node earns the same leased or idle (wash leasing earns nothing)", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const bob = await withBob(c);
    // Node 1 wholly leased by another identity (bob), node 2 idle.
    await leaseBefore(c, [{ tenant: bob, tenantId: 2n, nodeId: 1n, resources: NODE }]);
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n), [c.k1, c.k2]);
    const [leased] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(1n, c.epoch));
    const [idle] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(2n, c.epoch));
    expect(leased?.args.points).to.equal(EPOCH * UNITS);
    expect(idle?.args.points).to.equal(EPOCH * UNITS);
  });

  it("caps what an uncertified node earns on at the baseline, whatever it declares", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const [policy] = await c.nodes.rewardPolicy();
    expect(policy.baselineUnits).to.equal(8_192n);
    // A third node declaring 2,047 GPUs: 2,047 x 8,192 + 1,024 + 256 units, capped at the baseline.
    const big = c.signers[8];
    if (big === undefined) throw new Error("no signer");
    await (await bindKey(c.identityRegistry, c.alice, 1n, big, Purpose.Node)).wait();
    const gpus = { cpu: 1, memoryMiB: 1_024, ssdGiB: 0, hddGiB: 0, gpus: 2_047 };
    await c.nodes.connect(c.alice).registerNode(1n, big.address, gpus, { country: "0x4245", region: "" }, PRICES);
    const declared = 2_047n * 8_192n + 1_024n + 256n;
    const standing = await c.nodes.rewardStanding(3n);
    expect([standing.units, standing.earningUnits]).to.deep.equal([declared, 8_192n]);
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n), [c.k1, c.k2, big]);
    const [closed] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(3n, c.epoch));
    expect(closed?.args.units).to.equal(8_192n);
    expect(closed?.args.points).to.equal(EPOCH * 8_192n);
    // Certified (a certifier audited the declared resources), it earns on all of them, times 1.25.
    await c.rep.connect(c.certifier).attest(1n, await c.rewards.certificationSchema(3n), 0n, ethers.ZeroHash, "");
    await c.nodes.refreshCertification(3n);
    await beats(c, every(c.start + EPOCH + 500n, c.start + 2n * EPOCH + 200n), [c.k1, c.k2, big]);
    const [certified] = await c.nodes.queryFilter(c.nodes.filters.EpochClosed(3n, c.epoch + 1n));
    expect(certified?.args.units).to.equal(declared);
    expect(certified?.args.points).to.equal((EPOCH * declared * 5n) / 4n);
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

  it("excludes an identity from the current epoch on and keeps what it had earned", async () => {
    const c = await networkHelpers.loadFixture(withNodes);
    const [deployer] = c.signers;
    await beats(c, every(c.start - 100n, c.start + EPOCH + 200n));
    // Excluded during epoch + 1: epoch + 1 earns nothing, epochs before it are kept.
    await expect(c.rewards.connect(c.stranger).excludeIdentity(1n, [1n], [1n, 2n]))
      .to.be.revertedWithCustomError(c.rewards, "AccessControlUnauthorizedAccount")
      .withArgs(c.stranger.address, await c.rewards.GOVERNOR_ROLE());
    await expect(c.rewards.connect(deployer).excludeIdentity(1n, [], [1n, 2n]))
      .to.be.revertedWithCustomError(c.nodes, "ExclusionIncomplete")
      .withArgs(1n, 0n, 1n);
    // A second farm of the same identity: it must be listed too.
    await c.nodes.connect(c.alice).createFarm(1n, "second", c.payout.address);
    expect(await c.nodes.farmCountOf(1n)).to.equal(2n);
    await expect(c.rewards.connect(deployer).excludeIdentity(1n, [2n, 1n], [1n, 2n]))
      .to.be.revertedWithCustomError(c.nodes, "ExclusionIncomplete")
      .withArgs(1n, 1n, 2n);
    await expect(c.rewards.connect(deployer).excludeIdentity(1n, [1n], [1n, 2n]))
      .to.be.revertedWithCustomError(c.nodes, "ExclusionIncomplete")
      .withArgs(1n, 1n, 2n);
    await expect(c.rewards.connect(deployer).excludeIdentity(1n, [1n, 2n], [1n]))
      .to.be.revertedWithCustomError(c.nodes, "ExclusionIncomplete")
      .withArgs(1n, 1n, 2n);
    await expect(c.rewards.connect(deployer).excludeIdentity(1n, [1n, 2n], [2n, 1n]))
      .to.be.revertedWithCustomError(c.nodes, "ExclusionIncomplete")
      .withArgs(1n, 1n, 2n);
    const tx = c.rewards.connect(deployer).excludeIdentity(1n, [1n, 2n], [1n, 2n]);
    await expect(tx)
      .to.emit(c.nodes, "IdentityExcluded")
      .withArgs(1n, c.epoch + 1n);
    await expect(tx)
      .to.emit(c.nodes, "NodeExcluded")
      .withArgs(1n, c.epoch + 1n);
    await expect(tx)
      .to.emit(c.nodes, "NodeExcluded")
      .withArgs(2n, c.epoch + 1n);
    expect(await c.nodes.excludedFrom(1n)).to.equal(c.epoch + 2n);
    expect(await c.nodes.isKeyExcluded(c.k1.address)).to.equal(true);
    expect((await c.nodes.rewardStanding(1n)).excluded).to.equal(true);
    await expect(c.rewards.connect(deployer).excludeIdentity(1n, [1n, 2n], [1n, 2n]))
      .to.be.revertedWithCustomError(c.nodes, "IdentityAlreadyExcluded")
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
    await expect(c.nodes.rewardStanding(9n)).to.be.revertedWithCustomError(c.nodes, "NodeUnknown").withArgs(9n);
    await expect(c.rewards.pendingRewards(9n)).to.be.revertedWithCustomError(c.nodes, "NodeUnknown").withArgs(9n);
    await expect(c.rewards.connect(deployer).excludeIdentity(7n, [1n], []))
      .to.be.revertedWithCustomError(c.nodes, "ExclusionIncomplete")
      .withArgs(7n, 1n, 0n);
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
