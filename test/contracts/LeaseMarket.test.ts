import { anyUint } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import { bindKey, bytes32, EndReason, LeaseState, Outcome, Purpose, signPermit } from "./helpers.ts";

const { time } = networkHelpers;
const ONE = 10n ** 18n;
// deploy/parameters/hardhat.json
const MAX_GAP = 300n;
const GRACE = 600n;
const ACK_WINDOW = 300n;
const NOTICE = 3_600n;
const FEE_BPS = 250n;

/** 0.0036 FOLD an hour for a core and for a GiB: a lease of one core and 1 GiB costs exactly 2e12 a second. */
const HOURLY = 3_600n * 10n ** 12n;
const PRICES = { cpu: HOURLY, memoryGiB: HOURLY, ssdGiB: 10n ** 12n, hddGiB: 0n, gpu: 0n };
const NODE = { cpu: 4, memoryMiB: 8_192, ssdGiB: 100, hddGiB: 0, gpus: 0 };
const LEASE = { cpu: 1, memoryMiB: 1_024, ssdGiB: 0, hddGiB: 0, gpus: 0 };
const LEASE_TUPLE = [1n, 1_024n, 0n, 0n, 0n];
const PER_SECOND = 2n * 10n ** 12n;
const SCALED_RATE = PER_SECOND * 3_600n * 1_024n;
const MIN_DEPOSIT = GRACE * PER_SECOND;
const DEPOSIT = ONE; // 500,000 seconds at PER_SECOND
const MANIFEST_HASH = bytes32("manifest");

const fee = (amount: bigint) => (amount * FEE_BPS) / 10_000n;

/**
 * alice (identity 1) owns farm 1, paying out to `payout`, with node 1 (key `nodeKey`), online since `firstBeat`.
 * bob (identity 2) is the tenant, with 100 FOLD approved to the market. The treasury is the deployer; fees accrue in
 * the market until `withdrawFees`.
 */
async function withNode() {
  const base = await deployFourfold();
  const [deployer, alice, bob, payout, nodeKey, carol, stranger, operator] = base.signers;
  const { identityRegistry: reg, nodeRegistry: nodes, leaseMarket: market, foldToken: token } = base;
  const rep = base.reputationRegistry;
  await reg.connect(alice).register("alice", "");
  await reg.connect(bob).register("bob", "");
  await nodes.connect(alice).createFarm(1n, "Alice's farm", payout.address);
  await (await bindKey(reg, alice, 1n, nodeKey, Purpose.Node)).wait();
  await nodes.connect(alice).registerNode(1n, nodeKey.address, NODE, { country: "0x4245", region: "u151" }, PRICES);
  await token.connect(deployer).transfer(bob.address, 100n * ONE);
  await token.connect(bob).approve(await market.getAddress(), 100n * ONE);
  await nodes.connect(nodeKey).heartbeat(1n);
  const firstBeat = BigInt(await time.latest());
  return {
    ...base,
    reg,
    nodes,
    market,
    token,
    rep,
    deployer,
    alice,
    bob,
    payout,
    nodeKey,
    carol,
    stranger,
    operator,
    firstBeat,
  };
}

type Ctx = Awaited<ReturnType<typeof withNode>>;

/** Runs `send` in a block with timestamp `at`. */
async function at<T>(timestamp: bigint, send: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(timestamp);
  return send();
}

const beat = (c: Ctx, timestamp: bigint) => at(timestamp, () => c.nodes.connect(c.nodeKey).heartbeat(1n));

/** Plus lease 1 (bob, DEPOSIT), opened at firstBeat + 10 and acknowledged at firstBeat + 20 (startSeconds 20). */
async function withLease() {
  const c = await withNode();
  await at(c.firstBeat + 10n, () => c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH));
  await at(c.firstBeat + 20n, () => c.market.connect(c.nodeKey).acknowledgeLease(1n, "https://node-1.example:8443"));
  return c;
}

/** Plus a pending lease 1 opened at firstBeat + 10. */
async function withPendingLease() {
  const c = await withNode();
  await at(c.firstBeat + 10n, () => c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH));
  return c;
}

/** Keeps node 1 heartbeating every `every` seconds from `from` up to `to` (inclusive of the last whole step). */
async function keepOnline(c: Ctx, from: bigint, to: bigint, every = MAX_GAP) {
  for (let t = from + every; t <= to; t += every) await beat(c, t);
}

describe("LeaseMarket", () => {
  describe("deployment", () => {
    it("has the module's parameters and both market roles", async () => {
      const { market, nodes, rep, foldToken, deployer } = await networkHelpers
        .loadFixture(deployFourfold)
        .then((b) => ({ ...b, market: b.leaseMarket, nodes: b.nodeRegistry, rep: b.reputationRegistry }));
      expect(await market.paymentToken()).to.equal(await foldToken.getAddress());
      expect(await market.nodeRegistry()).to.equal(await nodes.getAddress());
      expect(await market.reputationRegistry()).to.equal(await rep.getAddress());
      expect(await market.treasury()).to.equal(deployer.address);
      expect(await market.protocolFeeBps()).to.equal(FEE_BPS);
      expect(await market.gracePeriod()).to.equal(GRACE);
      expect(await market.ackWindow()).to.equal(ACK_WINDOW);
      expect(await market.reclaimNotice()).to.equal(NOTICE);
      expect(await market.leaseCount()).to.equal(0n);
      expect(await market.MAX_FEE_BPS()).to.equal(1_000n);
      expect(await market.MAX_GRACE_PERIOD()).to.equal(72n * 3_600n);
      expect(await nodes.hasRole(await nodes.MARKET_ROLE(), await market.getAddress())).to.equal(true);
      expect(await rep.hasRole(await rep.WRITER_ROLE(), await market.getAddress())).to.equal(true);
      expect(await nodes.isRoleSealed(await nodes.MARKET_ROLE())).to.equal(true);
      expect(await rep.isRoleSealed(await rep.WRITER_ROLE())).to.equal(true);
    });

    const valid = { treasury: "", fee: 250n, grace: 600n, ack: 300n, notice: 3_600n };
    for (const [parameter, change, value] of [
      ["treasury", { treasury: ethers.ZeroAddress }, 0n],
      ["feeBps", { fee: 1_001n }, 1_001n],
      ["gracePeriod", { grace: 59n }, 59n],
      // Shorter than the registry's offlineAfter (300 s here): a node between two heartbeats would count as gone.
      ["gracePeriod", { grace: 299n }, 299n],
      ["gracePeriod", { grace: 72n * 3_600n + 1n }, 72n * 3_600n + 1n],
      ["ackWindow", { ack: 59n }, 59n],
      ["ackWindow", { ack: 86_401n }, 86_401n],
      ["reclaimNotice", { notice: 59n }, 59n],
      ["reclaimNotice", { notice: 30n * 86_400n + 1n }, 30n * 86_400n + 1n],
    ] as const) {
      it(`refuses ${parameter} = ${value}`, async () => {
        const { foldToken, nodeRegistry, reputationRegistry, deployer } =
          await networkHelpers.loadFixture(deployFourfold);
        const p = { ...valid, treasury: deployer.address, ...change };
        const factory = await ethers.getContractFactory("LeaseMarket");
        await expect(
          factory.deploy(foldToken, nodeRegistry, reputationRegistry, p.treasury, p.fee, p.grace, p.ack, p.notice),
        )
          .to.be.revertedWithCustomError(factory, "LeaseMarketInvalidParameter")
          .withArgs(parameter, value);
      });
    }
  });

  describe("openLease", () => {
    it("reserves capacity, fixes the rate and escrows the deposit", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      const marketAddress = await c.market.getAddress();
      expect(await c.market.quote(1n, LEASE)).to.deep.equal([SCALED_RATE, MIN_DEPOSIT]);
      const tx = c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH);
      await expect(tx)
        .to.emit(c.market, "LeaseOpened")
        .withArgs(1n, 1n, c.bob.address, 2n, LEASE_TUPLE, SCALED_RATE, DEPOSIT, MANIFEST_HASH);
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, marketAddress], [-DEPOSIT, DEPOSIT]);
      await expect(tx).to.emit(c.nodes, "CapacityReserved").withArgs(1n, marketAddress, LEASE_TUPLE);
      const lease = await c.market.lease(1n);
      expect(lease.state).to.equal(LeaseState.Pending);
      expect(lease.escrow).to.equal(DEPOSIT);
      expect(lease.paid).to.equal(0n);
      expect(lease.scaledRate).to.equal(SCALED_RATE);
      expect(lease.nodeId).to.equal(1n);
      expect(lease.tenant).to.equal(c.bob.address);
      expect(lease.tenantId).to.equal(2n);
      expect(lease.openedAt).to.equal(BigInt(await time.latest()));
      expect(lease.resources).to.deep.equal(LEASE_TUPLE);
      expect(lease.receiptId).to.equal(0n);
      expect(await c.market.leaseCount()).to.equal(1n);
      expect((await c.nodes.capacity(1n)).reserved).to.deep.equal(LEASE_TUPLE);
      expect((await c.nodes.node(1n)).activeLeases).to.equal(1n);
    });

    it("accepts exactly the grace reserve as the deposit, and one unit less is refused", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await expect(c.market.connect(c.bob).openLease(2n, 1n, LEASE, MIN_DEPOSIT - 1n, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.market, "LeaseDepositTooLow")
        .withArgs(MIN_DEPOSIT - 1n, MIN_DEPOSIT);
      await c.market.connect(c.bob).openLease(2n, 1n, LEASE, MIN_DEPOSIT, PRICES, MANIFEST_HASH);
      expect((await c.market.lease(1n)).escrow).to.equal(MIN_DEPOSIT);
    });

    it("lets an active Operator key of the tenant identity open for it, paying itself", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await (await bindKey(c.reg, c.bob, 2n, c.operator, Purpose.Operator)).wait();
      await c.token.connect(c.deployer).transfer(c.operator.address, DEPOSIT);
      await c.token.connect(c.operator).approve(await c.market.getAddress(), DEPOSIT);
      await c.market.connect(c.operator).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH);
      const lease = await c.market.lease(1n);
      expect([lease.tenant, lease.tenantId]).to.deep.equal([c.operator.address, 2n]);
    });

    it("refuses callers who neither own the tenant identity nor hold one of its Operator or Agent keys", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await (await bindKey(c.reg, c.bob, 2n, c.operator, Purpose.Worker)).wait();
      for (const caller of [c.stranger, c.operator]) {
        await expect(c.market.connect(caller).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
          .to.be.revertedWithCustomError(c.market, "LeaseNotTenantIdentity")
          .withArgs(2n, caller.address);
      }
      await expect(c.market.connect(c.bob).openLease(9n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.reg, "ERC721NonexistentToken")
        .withArgs(9n);
    });

    it("refuses a lease below one core and 64 MiB (nothing runs on less), and a deposit beyond 96 bits", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      expect(await c.market.MIN_CPU()).to.equal(1n);
      expect(await c.market.MIN_MEMORY_MIB()).to.equal(64n);
      const none = { cpu: 0, memoryMiB: 0, ssdGiB: 0, hddGiB: 0, gpus: 0 };
      for (const small of [
        none,
        { ...LEASE, cpu: 0 }, // memory only: once accepted, and the process driver ran it on every core
        { ...LEASE, memoryMiB: 63 },
        { ...none, ssdGiB: 50 },
      ]) {
        await expect(c.market.connect(c.bob).openLease(2n, 1n, small, DEPOSIT, PRICES, MANIFEST_HASH))
          .to.be.revertedWithCustomError(c.market, "LeaseTooSmall")
          .withArgs(small.cpu, small.memoryMiB);
      }
      expect((await c.nodes.capacity(1n)).reserved.cpu).to.equal(0n); // nothing reserved by the refusals
      const smallest = { ...none, cpu: 1, memoryMiB: 64 };
      await expect(c.market.connect(c.bob).openLease(2n, 1n, smallest, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.emit(c.market, "LeaseOpened")
        .withArgs(1n, 1n, c.bob.address, 2n, Object.values(smallest), anyUint, DEPOSIT, MANIFEST_HASH);
      expect((await c.nodes.capacity(1n)).reserved.cpu).to.equal(1n);
      await expect(
        c.market.connect(c.bob).openLease(2n, 1n, LEASE, 2n ** 96n, PRICES, MANIFEST_HASH),
      ).to.be.revertedWithCustomError(c.market, "LeaseEscrowTooLarge");
    });

    it("refuses a price above the tenant's maximum, so a price rise cannot be front-run into a lease", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await c.nodes.connect(c.alice).updatePrices(1n, { ...PRICES, memoryGiB: HOURLY + 1n });
      await expect(c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.market, "LeasePriceAboveMax")
        .withArgs(1n);
      // A price for a resource the lease does not use counts too: the tenant's maximum is per resource.
      await c.nodes.connect(c.alice).updatePrices(1n, { ...PRICES, gpu: 1n });
      await expect(c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.market, "LeasePriceAboveMax")
        .withArgs(1n);
    });

    it("refuses a rate beyond 96 bits", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      const max = 2n ** 96n - 1n;
      const huge = { cpu: max, memoryGiB: max, ssdGiB: max, hddGiB: max, gpu: max };
      await c.nodes.connect(c.alice).updatePrices(1n, huge);
      await expect(
        c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, huge, MANIFEST_HASH),
      ).to.be.revertedWithCustomError(c.market, "LeaseRateTooHigh");
    });

    it("refuses overbooking: reservations never exceed the node's resources", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      const half = { ...LEASE, cpu: 2, memoryMiB: 4_096 };
      await c.market.connect(c.bob).openLease(2n, 1n, half, DEPOSIT, PRICES, MANIFEST_HASH);
      await c.market.connect(c.bob).openLease(2n, 1n, half, DEPOSIT, PRICES, MANIFEST_HASH);
      await expect(c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.nodes, "NodeInsufficientCapacity")
        .withArgs(1n);
      expect((await c.nodes.capacity(1n)).reserved).to.deep.equal([4n, 8_192n, 0n, 0n, 0n]);
    });

    it("refuses offline, standby and unknown nodes", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await time.increaseTo(c.firstBeat + 301n);
      await expect(c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.nodes, "NodeOffline")
        .withArgs(1n, c.firstBeat);
      await c.nodes.connect(c.nodeKey).heartbeat(1n);
      await c.nodes.connect(c.alice).setStandby(1n, true);
      await expect(c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.nodes, "NodeNotAvailable")
        .withArgs(1n, 2);
      await expect(c.market.connect(c.bob).openLease(2n, 7n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.nodes, "NodeUnknown")
        .withArgs(7n);
    });

    it("refuses a deposit the tenant has not approved", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await c.token.connect(c.bob).approve(await c.market.getAddress(), DEPOSIT - 1n);
      await expect(c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH))
        .to.be.revertedWithCustomError(c.token, "ERC20InsufficientAllowance")
        .withArgs(await c.market.getAddress(), DEPOSIT - 1n, DEPOSIT);
      expect((await c.nodes.capacity(1n)).reserved).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
    });
  });

  describe("openLeaseWithPermit", () => {
    it("opens with a permit instead of an approval, and still when the permit was front-run", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      const marketAddress = await c.market.getAddress();
      await c.token.connect(c.bob).approve(marketAddress, 0n);
      const deadline = c.firstBeat + 3_600n;
      const permit = await signPermit(c.token, c.bob, marketAddress, DEPOSIT, deadline);
      await expect(
        c.market.connect(c.bob).openLeaseWithPermit(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH, permit),
      ).to.changeTokenBalances(ethers, c.token, [c.bob, marketAddress], [-DEPOSIT, DEPOSIT]);

      const second = await signPermit(c.token, c.bob, marketAddress, DEPOSIT, deadline);
      await c.token.permit(c.bob.address, marketAddress, DEPOSIT, deadline, second.v, second.r, second.s);
      await c.market.connect(c.bob).openLeaseWithPermit(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH, second);
      expect(await c.market.leaseCount()).to.equal(2n);
    });

    it("fails on the transfer when the permit is invalid and nothing was approved", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      const marketAddress = await c.market.getAddress();
      await c.token.connect(c.bob).approve(marketAddress, 0n);
      const permit = await signPermit(c.token, c.stranger, marketAddress, DEPOSIT, c.firstBeat + 3_600n);
      await expect(c.market.connect(c.bob).openLeaseWithPermit(2n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH, permit))
        .to.be.revertedWithCustomError(c.token, "ERC20InsufficientAllowance")
        .withArgs(marketAddress, 0n, DEPOSIT);
    });
  });

  describe("postManifest", () => {
    it("carries the sealed manifest in an event only, for the tenant, until the lease ends", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      const sealed = ethers.hexlify(ethers.randomBytes(300));
      await expect(c.market.connect(c.bob).postManifest(1n, sealed))
        .to.emit(c.market, "LeaseManifest")
        .withArgs(1n, 1n, sealed);
      await expect(c.market.connect(c.stranger).postManifest(1n, sealed))
        .to.be.revertedWithCustomError(c.market, "LeaseNotTenant")
        .withArgs(1n, c.stranger.address);
      for (const bad of ["0x", ethers.hexlify(new Uint8Array(16_385))]) {
        await expect(c.market.connect(c.bob).postManifest(1n, bad))
          .to.be.revertedWithCustomError(c.market, "LeaseInvalidManifest")
          .withArgs(ethers.dataLength(bad));
      }
      await c.market.connect(c.nodeKey).rejectLease(1n, "unknown template");
      await expect(c.market.connect(c.bob).postManifest(1n, sealed))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Ended);
      await expect(c.market.connect(c.bob).postManifest(5n, sealed))
        .to.be.revertedWithCustomError(c.market, "LeaseUnknown")
        .withArgs(5n);
    });
  });

  describe("acknowledgeLease", () => {
    it("starts billing at the acknowledgement, from the node's accrued seconds", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      await expect(at(c.firstBeat + 40n, () => c.market.connect(c.nodeKey).acknowledgeLease(1n, "10.0.0.7:22")))
        .to.emit(c.market, "LeaseAcknowledged")
        .withArgs(1n, 1n, "10.0.0.7:22", 40n);
      const lease = await c.market.lease(1n);
      expect([lease.state, lease.startSeconds, lease.settledSeconds]).to.deep.equal([
        BigInt(LeaseState.Active),
        40n,
        40n,
      ]);
    });

    it("refuses anyone but the node's active key, a bad endpoint, and a second acknowledgement", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      for (const caller of [c.stranger, c.alice, c.bob]) {
        await expect(c.market.connect(caller).acknowledgeLease(1n, "e"))
          .to.be.revertedWithCustomError(c.market, "LeaseNotNodeKey")
          .withArgs(1n, caller.address);
      }
      for (const endpoint of ["", "x".repeat(257)]) {
        await expect(c.market.connect(c.nodeKey).acknowledgeLease(1n, endpoint)).to.be.revertedWithCustomError(
          c.market,
          "LeaseInvalidText",
        );
      }
      await c.market.connect(c.nodeKey).acknowledgeLease(1n, "x".repeat(256));
      await expect(c.market.connect(c.nodeKey).acknowledgeLease(1n, "e"))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Active);
      await expect(c.market.connect(c.nodeKey).acknowledgeLease(2n, "e"))
        .to.be.revertedWithCustomError(c.market, "LeaseUnknown")
        .withArgs(2n);
    });

    it("refuses the node's key once it is unbound", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      await c.reg.connect(c.alice).unbindKey(c.nodeKey.address);
      await expect(c.market.connect(c.nodeKey).acknowledgeLease(1n, "e"))
        .to.be.revertedWithCustomError(c.market, "LeaseNotNodeKey")
        .withArgs(1n, c.nodeKey.address);
    });
  });

  describe("rejectLease", () => {
    it("ends a pending lease with a full refund, frees the capacity and records a refund for the farm", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      const tx = c.market.connect(c.nodeKey).rejectLease(1n, "manifest does not decrypt");
      await expect(tx).to.emit(c.market, "LeaseRejected").withArgs(1n, 1n, "manifest does not decrypt");
      await expect(tx).to.emit(c.market, "LeaseEnded").withArgs(1n, 1n, EndReason.Rejected, DEPOSIT);
      await expect(tx)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(1n, Outcome.Refunded, ethers.toBeHex(1n, 32), await c.market.getAddress());
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, c.market], [DEPOSIT, -DEPOSIT]);
      const lease = await c.market.lease(1n);
      expect([lease.state, lease.endReason, lease.escrow]).to.deep.equal([
        BigInt(LeaseState.Ended),
        BigInt(EndReason.Rejected),
        0n,
      ]);
      expect((await c.nodes.capacity(1n)).reserved).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
      expect((await c.nodes.node(1n)).activeLeases).to.equal(0n);
    });

    it("refuses anyone but the node key, an empty reason, and an acknowledged lease", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      await expect(c.market.connect(c.alice).rejectLease(1n, "no"))
        .to.be.revertedWithCustomError(c.market, "LeaseNotNodeKey")
        .withArgs(1n, c.alice.address);
      await expect(c.market.connect(c.nodeKey).rejectLease(1n, "")).to.be.revertedWithCustomError(
        c.market,
        "LeaseInvalidText",
      );
      await c.market.connect(c.nodeKey).acknowledgeLease(1n, "e");
      await expect(c.market.connect(c.nodeKey).rejectLease(1n, "no"))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Active);
    });
  });

  describe("settle", () => {
    it("pays proven seconds since the acknowledgement, the fee to the treasury, and records one growing receipt", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await beat(c, c.firstBeat + 300n); // credits 300; the lease started at 20
      const amount = 280n * PER_SECOND;
      const tx = at(c.firstBeat + 310n, () => c.market.connect(c.stranger).settle(1n));
      await expect(tx)
        .to.emit(c.market, "LeaseSettled")
        .withArgs(1n, 280n, amount, fee(amount), DEPOSIT - amount);
      await expect(tx).to.changeTokenBalances(
        ethers,
        c.token,
        [c.payout, c.market],
        [amount - fee(amount), -(amount - fee(amount))],
      );
      expect(await c.market.feesAccrued()).to.equal(fee(amount));
      await expect(tx)
        .to.emit(c.rep, "ReceiptRecorded")
        .withArgs(1n, 2n, 1n, await c.market.getAddress(), bytes32("lease"), ethers.toBeHex(1n, 32), amount);
      let lease = await c.market.lease(1n);
      expect([lease.escrow, lease.paid, lease.settledSeconds, lease.receiptId]).to.deep.equal([
        DEPOSIT - amount,
        amount,
        300n,
        1n,
      ]);

      await beat(c, c.firstBeat + 600n);
      const more = 300n * PER_SECOND;
      await expect(c.market.settle(1n))
        .to.emit(c.rep, "ReceiptIncreased")
        .withArgs(1n, more, amount + more);
      lease = await c.market.lease(1n);
      expect([lease.paid, lease.settledSeconds]).to.deep.equal([amount + more, 600n]);
      expect((await c.rep.receipt(1n)).amount).to.equal(amount + more);
      // Both sides may now rate each other against the lease's receipt.
      await c.rep.connect(c.bob).giveFeedback(1n, 90, ethers.ZeroHash, "", ethers.ZeroHash);
      await c.rep.connect(c.alice).giveFeedback(1n, 100, ethers.ZeroHash, "", ethers.ZeroHash);
    });

    it("bills nothing while no new second is proven, and says what a settlement would pay", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      expect(await c.market.due(1n)).to.equal(0n);
      await time.increaseTo(c.firstBeat + 250n);
      await expect(c.market.settle(1n)).not.to.emit(c.market, "LeaseSettled");
      await beat(c, c.firstBeat + 300n);
      expect(await c.market.due(1n)).to.equal(280n * PER_SECOND);
      await c.market.settle(1n);
      expect(await c.market.due(1n)).to.equal(0n);
    });

    it("bills an offline hour nothing until the node returns, and then at most one heartbeat interval", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await beat(c, c.firstBeat + 300n);
      await c.market.settle(1n);
      const paidBefore = (await c.market.lease(1n)).paid;
      // Silent for an hour: nothing is proven, nothing is billed.
      await time.increaseTo(c.firstBeat + 3_890n);
      await c.market.settle(1n);
      expect((await c.market.lease(1n)).paid).to.equal(paidBefore);
      // It returns: the registry credits one gap of at most maxGap for the whole silence.
      await beat(c, c.firstBeat + 3_900n);
      await c.market.settle(1n);
      expect((await c.market.lease(1n)).paid - paidBefore).to.equal(MAX_GAP * PER_SECOND);
      // An hour online, heartbeating every maxGap, bills the whole hour.
      await keepOnline(c, c.firstBeat + 3_900n, c.firstBeat + 7_500n);
      await c.market.settle(1n);
      expect((await c.market.lease(1n)).paid - paidBefore).to.equal((MAX_GAP + 3_600n) * PER_SECOND);
    });

    it("keeps an open lease at its rate after a price change; new leases pay the new price", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      const doubled = { ...PRICES, cpu: 2n * HOURLY, memoryGiB: 2n * HOURLY };
      await c.nodes.connect(c.alice).updatePrices(1n, doubled);
      await beat(c, c.firstBeat + 300n);
      await c.market.settle(1n);
      expect((await c.market.lease(1n)).paid).to.equal(280n * PER_SECOND);
      await c.market.connect(c.bob).openLease(2n, 1n, LEASE, DEPOSIT, doubled, MANIFEST_HASH);
      expect((await c.market.lease(2n)).scaledRate).to.equal(2n * SCALED_RATE);
    });

    it("pays nothing before the acknowledgement", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      await beat(c, c.firstBeat + 300n);
      await expect(c.market.settle(1n))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Pending);
      expect(await c.market.due(1n)).to.equal(0n);
      await at(c.firstBeat + 310n, () => c.market.connect(c.nodeKey).acknowledgeLease(1n, "e"));
      await beat(c, c.firstBeat + 600n);
      await c.market.settle(1n);
      // 300 + min(10, maxGap) = 310 at the acknowledgement; 600 proven at the heartbeat.
      expect((await c.market.lease(1n)).paid).to.equal(290n * PER_SECOND);
    });

    it("refuses unknown and ended leases", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await expect(c.market.settle(2n)).to.be.revertedWithCustomError(c.market, "LeaseUnknown").withArgs(2n);
      await c.market.connect(c.bob).closeLease(1n);
      await expect(c.market.settle(1n))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Ended);
    });

    it("gives a farm leasing from its own identity no receipt", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await c.token.connect(c.deployer).transfer(c.alice.address, DEPOSIT);
      await c.token.connect(c.alice).approve(await c.market.getAddress(), DEPOSIT);
      await at(c.firstBeat + 10n, () =>
        c.market.connect(c.alice).openLease(1n, 1n, LEASE, DEPOSIT, PRICES, MANIFEST_HASH),
      );
      await at(c.firstBeat + 20n, () => c.market.connect(c.nodeKey).acknowledgeLease(1n, "e"));
      await beat(c, c.firstBeat + 300n);
      await expect(c.market.settle(1n)).not.to.emit(c.rep, "ReceiptRecorded");
      expect((await c.market.lease(1n)).receiptId).to.equal(0n);
      expect((await c.rep.counts())[0]).to.equal(0n);
    });
  });

  describe("grace, top-up and expiry", () => {
    /** Lease 1 with a deposit of the grace reserve plus 300 seconds. */
    async function withShortLease() {
      const c = await withNode();
      const deposit = MIN_DEPOSIT + 300n * PER_SECOND;
      await at(c.firstBeat + 10n, () =>
        c.market.connect(c.bob).openLease(2n, 1n, LEASE, deposit, PRICES, MANIFEST_HASH),
      );
      await at(c.firstBeat + 20n, () => c.market.connect(c.nodeKey).acknowledgeLease(1n, "e"));
      return { ...c, deposit };
    }

    it("enters Grace below the reserve, returns to Active on a top-up, and expires after the grace period", async () => {
      const c = await networkHelpers.loadFixture(withShortLease);
      const payoutBefore = await c.token.balanceOf(c.payout.address);
      const bobBefore = await c.token.balanceOf(c.bob.address);
      await beat(c, c.firstBeat + 300n);
      await beat(c, c.firstBeat + 320n); // 300 seconds billed: the escrow is now exactly the reserve
      await expect(c.market.settle(1n)).not.to.emit(c.market, "LeaseStateChanged");
      expect((await c.market.lease(1n)).escrow).to.equal(MIN_DEPOSIT);
      await beat(c, c.firstBeat + 330n);
      await expect(c.market.settle(1n)).to.emit(c.market, "LeaseStateChanged").withArgs(1n, LeaseState.Grace);
      const graceSince = BigInt(await time.latest());
      expect((await c.market.lease(1n)).graceSince).to.equal(graceSince);

      // A top-up that restores the reserve returns the lease to Active.
      const topUp = 10n * PER_SECOND; // exactly the 10 seconds billed below the reserve
      await expect(c.market.connect(c.bob).topUp(1n, topUp))
        .to.emit(c.market, "LeaseStateChanged")
        .withArgs(1n, LeaseState.Active);
      expect((await c.market.lease(1n)).graceSince).to.equal(0n);

      // Back to Grace, and expiry only after the whole grace period.
      await beat(c, c.firstBeat + 400n);
      await c.market.settle(1n);
      const since = BigInt(await time.latest());
      await keepOnline(c, c.firstBeat + 400n, since + GRACE - 10n, 200n);
      await at(since + GRACE - 1n, () =>
        expect(c.market.connect(c.stranger).expireLease(1n))
          .to.be.revertedWithCustomError(c.market, "LeaseNotExpirable")
          .withArgs(1n),
      );
      const lease = await c.market.lease(1n);
      const tx = at(since + GRACE, () => c.market.connect(c.stranger).expireLease(1n));
      await expect(tx).to.emit(c.market, "LeaseEnded").withArgs(1n, 1n, EndReason.OutOfFunds, anyUint);
      await expect(tx)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(1n, Outcome.Completed, ethers.toBeHex(1n, 32), await c.market.getAddress());
      const ended = await c.market.lease(1n);
      expect([ended.state, ended.endReason, ended.escrow]).to.deep.equal([
        BigInt(LeaseState.Ended),
        BigInt(EndReason.OutOfFunds),
        0n,
      ]);
      expect(ended.paid).to.be.greaterThan(lease.paid);
      expect((await c.nodes.capacity(1n)).reserved).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
      // Everything deposited went to the farm and the treasury (what was paid) or back to bob (the rest).
      const deposits = c.deposit + topUp;
      const fees = await c.market.feesAccrued();
      const farm = (await c.token.balanceOf(c.payout.address)) - payoutBefore;
      expect(farm + fees).to.equal(ended.paid);
      expect(fees).to.be.greaterThan(0n);
      expect((await c.token.balanceOf(c.bob.address)) - bobBefore).to.equal(deposits - ended.paid - topUp);
      // The market now holds only the accrued fees, until they are withdrawn to the treasury.
      expect(await c.token.balanceOf(await c.market.getAddress())).to.equal(fees);
      await expect(c.market.connect(c.stranger).withdrawFees()).to.changeTokenBalances(
        ethers,
        c.token,
        [c.deployer, c.market],
        [fees, -fees],
      );
    });

    it("pays what the escrow holds when it is short, and the rest from the next top-up", async () => {
      const c = await networkHelpers.loadFixture(withShortLease);
      await keepOnline(c, c.firstBeat, c.firstBeat + 1_500n); // 1,480 s owed; the escrow covers 900 s
      await c.market.settle(1n);
      let lease = await c.market.lease(1n);
      expect([lease.escrow, lease.paid, lease.state]).to.deep.equal([0n, c.deposit, BigInt(LeaseState.Grace)]);
      // With nothing left in escrow, a settlement counts the new seconds and pays nothing.
      await beat(c, c.firstBeat + 1_800n);
      await expect(c.market.settle(1n))
        .to.emit(c.market, "LeaseSettled")
        .withArgs(1n, 300n, 0n, 0n, 0n)
        .and.not.to.emit(c.token, "Transfer");
      const owed = 1_780n * PER_SECOND;
      const topUp = ONE;
      await expect(c.market.connect(c.bob).topUp(1n, topUp))
        .to.emit(c.market, "LeaseSettled")
        .withArgs(1n, 0n, owed - c.deposit, fee(owed - c.deposit), topUp - (owed - c.deposit));
      lease = await c.market.lease(1n);
      expect([lease.escrow, lease.paid, lease.state]).to.deep.equal([
        topUp - (owed - c.deposit),
        owed,
        BigInt(LeaseState.Active),
      ]);
    });

    it("lets anyone top up a lease, pending or running; refunds still go to the tenant", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      await c.token.connect(c.deployer).transfer(c.carol.address, ONE);
      await c.token.connect(c.carol).approve(await c.market.getAddress(), ONE);
      await expect(c.market.connect(c.carol).topUp(1n, ONE))
        .to.emit(c.market, "LeaseToppedUp")
        .withArgs(1n, c.carol.address, ONE, DEPOSIT + ONE);
      await time.increaseTo(c.firstBeat + 10n + ACK_WINDOW);
      await expect(c.market.connect(c.bob).closeLease(1n)).to.changeTokenBalances(
        ethers,
        c.token,
        [c.bob, c.carol],
        [DEPOSIT + ONE, 0n],
      );
    });

    it("refuses a zero top-up, a top-up beyond 96 bits and a top-up of an ended lease", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await expect(c.market.connect(c.bob).topUp(1n, 0n)).to.be.revertedWithCustomError(c.market, "LeaseZeroTopUp");
      await expect(c.market.connect(c.bob).topUp(1n, 2n ** 96n)).to.be.revertedWithCustomError(
        c.market,
        "LeaseEscrowTooLarge",
      );
      await c.market.connect(c.bob).closeLease(1n);
      await expect(c.market.connect(c.bob).topUp(1n, 1n))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Ended);
      await expect(c.market.connect(c.bob).topUp(3n, 1n))
        .to.be.revertedWithCustomError(c.market, "LeaseUnknown")
        .withArgs(3n);
    });

    it("ends a lease whose node stayed silent for the grace period, refunding the rest", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await beat(c, c.firstBeat + 300n);
      await at(c.firstBeat + 300n + GRACE - 1n, () =>
        expect(c.market.expireLease(1n)).to.be.revertedWithCustomError(c.market, "LeaseNotExpirable"),
      );
      const amount = 280n * PER_SECOND;
      const tx = at(c.firstBeat + 300n + GRACE, () => c.market.connect(c.stranger).expireLease(1n));
      await expect(tx)
        .to.emit(c.market, "LeaseEnded")
        .withArgs(1n, 1n, EndReason.NodeGone, DEPOSIT - amount);
      await expect(tx)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(1n, Outcome.Refunded, ethers.toBeHex(1n, 32), await c.market.getAddress());
      await expect(tx).to.changeTokenBalances(
        ethers,
        c.token,
        [c.bob, c.payout],
        [DEPOSIT - amount, amount - fee(amount)],
      );
      // With its leases gone, the farm may retire the node.
      await c.nodes.connect(c.alice).decommission(1n);
    });

    it("refuses to expire pending and ended leases", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      await expect(c.market.expireLease(1n))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Pending);
    });
  });

  describe("closeLease", () => {
    it("settles, refunds the rest, frees the capacity and records a completed lease", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await beat(c, c.firstBeat + 300n);
      const amount = 280n * PER_SECOND;
      await expect(c.nodes.connect(c.alice).decommission(1n))
        .to.be.revertedWithCustomError(c.nodes, "NodeHasActiveLeases")
        .withArgs(1n, 1n);
      const tx = c.market.connect(c.bob).closeLease(1n);
      await expect(tx)
        .to.emit(c.market, "LeaseEnded")
        .withArgs(1n, 1n, EndReason.ClosedByTenant, DEPOSIT - amount);
      await expect(tx)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(1n, Outcome.Completed, ethers.toBeHex(1n, 32), await c.market.getAddress());
      // The node's only lease ends: its capacity is free again.
      await expect(tx)
        .to.emit(c.nodes, "CapacityReleased")
        .withArgs(1n, await c.market.getAddress(), LEASE_TUPLE);
      await expect(tx).to.changeTokenBalances(
        ethers,
        c.token,
        [c.bob, c.payout, c.market],
        [DEPOSIT - amount, amount - fee(amount), -(DEPOSIT - fee(amount))],
      );
      expect((await c.market.lease(1n)).endReason).to.equal(EndReason.ClosedByTenant);
      expect((await c.nodes.node(1n)).activeLeases).to.equal(0n);
      // Heartbeats after the end bill the lease nothing.
      await beat(c, c.firstBeat + 600n);
      expect(await c.market.due(1n)).to.equal(0n);
      await c.nodes.connect(c.alice).decommission(1n);
    });

    it("cancels an unacknowledged lease with a full refund, only once the acknowledgement window has passed", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      const deadline = c.firstBeat + 10n + ACK_WINDOW;
      await at(deadline - 1n, () =>
        expect(c.market.connect(c.bob).closeLease(1n))
          .to.be.revertedWithCustomError(c.market, "LeaseAwaitingAck")
          .withArgs(1n, deadline),
      );
      const tx = at(deadline, () => c.market.connect(c.bob).closeLease(1n));
      await expect(tx).to.emit(c.market, "LeaseEnded").withArgs(1n, 1n, EndReason.Cancelled, DEPOSIT);
      await expect(tx)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(1n, Outcome.Refunded, ethers.toBeHex(1n, 32), await c.market.getAddress());
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, c.market], [DEPOSIT, -DEPOSIT]);
    });

    it("refuses anyone but the tenant, and ended leases", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await expect(c.market.connect(c.alice).closeLease(1n))
        .to.be.revertedWithCustomError(c.market, "LeaseNotTenant")
        .withArgs(1n, c.alice.address);
      await c.market.connect(c.bob).closeLease(1n);
      await expect(c.market.connect(c.bob).closeLease(1n))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Ended);
    });
  });

  describe("reclaimLease", () => {
    it("gives notice first, refuses to reclaim before it ends, then settles and ends the lease", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      const noticeAt = c.firstBeat + 100n;
      await expect(at(noticeAt, () => c.market.connect(c.alice).reclaimLease(1n)))
        .to.emit(c.market, "LeaseReclaimNotice")
        .withArgs(1n, noticeAt + NOTICE);
      expect((await c.market.lease(1n)).reclaimAt).to.equal(noticeAt + NOTICE);
      await keepOnline(c, c.firstBeat, noticeAt + NOTICE - 10n);
      await at(noticeAt + NOTICE - 1n, () =>
        expect(c.market.connect(c.alice).reclaimLease(1n))
          .to.be.revertedWithCustomError(c.market, "LeaseReclaimNoticePending")
          .withArgs(1n, noticeAt + NOTICE),
      );
      const tx = at(noticeAt + NOTICE, () => c.market.connect(c.alice).reclaimLease(1n));
      await expect(tx).to.emit(c.market, "LeaseEnded").withArgs(1n, 1n, EndReason.Reclaimed, anyUint);
      const lease = await c.market.lease(1n);
      expect([lease.state, lease.endReason]).to.deep.equal([BigInt(LeaseState.Ended), BigInt(EndReason.Reclaimed)]);
      expect(lease.paid).to.be.greaterThan(0n);
    });

    it("refuses anyone but the farm's owner, and pending leases", async () => {
      const c = await networkHelpers.loadFixture(withPendingLease);
      await expect(c.market.connect(c.alice).reclaimLease(1n))
        .to.be.revertedWithCustomError(c.market, "LeaseWrongState")
        .withArgs(1n, LeaseState.Pending);
      await c.market.connect(c.nodeKey).acknowledgeLease(1n, "e");
      for (const caller of [c.bob, c.nodeKey, c.payout]) {
        await expect(c.market.connect(caller).reclaimLease(1n))
          .to.be.revertedWithCustomError(c.market, "LeaseNotFarmOwner")
          .withArgs(1n, caller.address);
      }
    });
  });

  describe("withdrawFees", () => {
    it("sends the accrued fees to the treasury, for anyone, and then nothing until more accrue", async () => {
      const c = await networkHelpers.loadFixture(withLease);
      await beat(c, c.firstBeat + 300n);
      await c.market.settle(1n);
      const fees = fee(280n * PER_SECOND);
      expect(await c.market.feesAccrued()).to.equal(fees);
      expect(await c.market.connect(c.stranger).withdrawFees.staticCall()).to.equal(fees);
      const tx = c.market.connect(c.stranger).withdrawFees();
      await expect(tx).to.emit(c.market, "FeesWithdrawn").withArgs(c.deployer.address, fees);
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.deployer, c.market], [fees, -fees]);
      expect(await c.market.feesAccrued()).to.equal(0n);
      expect(await c.market.withdrawFees.staticCall()).to.equal(0n);
      await expect(c.market.withdrawFees()).not.to.emit(c.market, "FeesWithdrawn");
    });
  });

  describe("views", () => {
    it("refuses unknown leases and quotes for unknown nodes", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      await expect(c.market.lease(1n)).to.be.revertedWithCustomError(c.market, "LeaseUnknown").withArgs(1n);
      await expect(c.market.due(1n)).to.be.revertedWithCustomError(c.market, "LeaseUnknown").withArgs(1n);
      await expect(c.market.quote(4n, LEASE)).to.be.revertedWithCustomError(c.nodes, "NodeUnknown").withArgs(4n);
    });

    it("quotes memory by the MiB and rounds the minimum deposit up", async () => {
      const c = await networkHelpers.loadFixture(withNode);
      const oneMiB = { cpu: 0, memoryMiB: 1, ssdGiB: 0, hddGiB: 0, gpus: 0 };
      const rate = HOURLY; // HOURLY per GiB-hour = HOURLY/1024 per MiB-hour, times 1,024
      const reserve = (GRACE * rate + 3_600n * 1_024n - 1n) / (3_600n * 1_024n);
      expect(await c.market.quote(1n, oneMiB)).to.deep.equal([rate, reserve]);
    });
  });
});
