import { expect } from "chai";
import { actAs, deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import { bindKey, bytes32, Purpose as KeyPurpose, signPermit } from "./helpers.ts";

const { time } = networkHelpers;
const ONE = 10n ** 18n;
const DAY = 86_400n;
// deploy/parameters/hardhat.json
const RESPONSE_WINDOW = 600n;
const DELIVERY_WINDOW = 300n;

const Purpose = { None: 0, Training: 1, Inference: 2, Analytics: 3 } as const;
const GrantState = {
  None: 0,
  Requested: 1,
  Active: 2,
  Rejected: 3,
  Withdrawn: 4,
  Cancelled: 5,
  Revoked: 6,
  Expired: 7,
} as const;
/** Training and Inference. */
const PURPOSES = (1 << Purpose.Training) | (1 << Purpose.Inference);
/** 10^12 a second: a day costs 0.0864 FOLD. */
const PER_SECOND = 10n ** 12n;
const TERMS = {
  pricePerDay: PER_SECOND * DAY,
  pricePerUse: 10n ** 15n,
  maxDuration: 30n * DAY,
  purposes: PURPOSES,
  autoApprove: false,
  licenceHash: bytes32("CC-BY-4.0"),
};
const CONTENT = bytes32("dataset bytes");
const URI = "ipfs://bafybeidatasetciphertext";
const SEALED = `0x${"ab".repeat(72)}`;
const FAR = 2n ** 40n;

/**
 * alice (identity 1) owns dataset 1 (TERMS, no split), with `operator` as her Operator key. bob (identity 2) is the
 * grantee, with an X25519 key and 100 FOLD approved to the market. `market` holds the market role.
 */
async function withDataset() {
  const base = await deployFourfold();
  const [deployer, alice, bob, carol, dave, operator, stranger] = base.signers;
  const { identityRegistry: reg, dataMarket: data, foldToken: token, reputationRegistry: rep } = base;
  await reg.connect(alice).register("alice", "");
  await reg.connect(bob).register("bob", "");
  await reg.connect(bob).setEncryptionKey(2n, bytes32("bob's x25519 key"));
  await (await bindKey(reg, alice, 1n, operator, KeyPurpose.Operator)).wait();
  await data.connect(alice).registerDataset(1n, "Temperatures", CONTENT, URI, TERMS, []);
  await token.connect(deployer).transfer(bob.address, 100n * ONE);
  await token.connect(bob).approve(await data.getAddress(), 100n * ONE);
  // The job market holds the market role, sealed: the tests record uses as the job market.
  const market = await actAs(await base.jobMarket.getAddress());
  return { ...base, reg, data, token, rep, deployer, alice, bob, carol, dave, operator, stranger, market };
}

/** The price of a request of `duration` seconds and `uses` uses at TERMS. */
const price = (duration: bigint, uses: bigint) =>
  (TERMS.pricePerDay * duration + DAY - 1n) / DAY + TERMS.pricePerUse * uses;

async function at<T>(timestamp: bigint, send: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(timestamp);
  return send();
}

/**
 * Plus grant 1: bob asks for a day of Training with 10 uses; alice approves at `approvedAt` and her Operator key
 * delivers the key 10 s later, at `deliveredAt`, from when the time share is billed.
 */
async function withGrant() {
  const c = await withDataset();
  await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Training, DAY, 10n, price(DAY, 10n));
  const approvedAt = BigInt(await time.latest()) + 10n;
  await at(approvedAt, () => c.data.connect(c.alice).approve(1n));
  await at(approvedAt + 10n, () => c.data.connect(c.operator).deliverKey(1n, SEALED));
  return { ...c, approvedAt, deliveredAt: approvedAt + 10n, expiresAt: approvedAt + DAY };
}

describe("DataMarket", () => {
  describe("deployment", () => {
    for (const [parameter, windows, value] of [
      ["responseWindow", [59n, DELIVERY_WINDOW], 59n],
      ["responseWindow", [7n * DAY + 1n, DELIVERY_WINDOW], 7n * DAY + 1n],
      ["deliveryWindow", [RESPONSE_WINDOW, 59n], 59n],
      ["deliveryWindow", [RESPONSE_WINDOW, 7n * DAY + 1n], 7n * DAY + 1n],
    ] as const) {
      it(`refuses ${parameter} = ${value}`, async () => {
        const { foldToken, identityRegistry, reputationRegistry, deployer } =
          await networkHelpers.loadFixture(deployFourfold);
        const factory = await ethers.getContractFactory("DataMarket");
        await expect(
          factory.deploy(foldToken, identityRegistry, reputationRegistry, deployer.address, windows[0], windows[1]),
        )
          .to.be.revertedWithCustomError(factory, "DataMarketInvalidParameter")
          .withArgs(parameter, value);
      });
    }

    it("accepts windows of one minute and of seven days", async () => {
      const { foldToken, identityRegistry, reputationRegistry, deployer } =
        await networkHelpers.loadFixture(deployFourfold);
      const factory = await ethers.getContractFactory("DataMarket");
      const market = await factory.deploy(
        foldToken,
        identityRegistry,
        reputationRegistry,
        deployer.address,
        60n,
        7n * DAY,
      );
      expect(await market.responseWindow()).to.equal(60n);
      expect(await market.deliveryWindow()).to.equal(7n * DAY);
    });
  });

  describe("datasets", () => {
    it("registers a dataset with its terms and split, for its owner or the owner's Operator key", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      const split = [
        { account: c.carol.address, bps: 1_000 },
        { account: c.dave.address, bps: 2_500 },
      ];
      await expect(c.data.connect(c.operator).registerDataset(1n, "Temperatures", CONTENT, URI, TERMS, split))
        .to.emit(c.data, "DatasetRegistered")
        .withArgs(2n, 1n, "Temperatures", CONTENT, URI, Object.values(TERMS), [
          [c.carol.address, 1_000n],
          [c.dave.address, 2_500n],
        ]);
      expect(await c.data.datasetCount()).to.equal(2n);
      expect(await c.data.dataset(2n)).to.deep.equal([1n, true, CONTENT, Object.values(TERMS)]);
      expect(await c.data.payees(2n)).to.deep.equal([
        [c.carol.address, 1_000n],
        [c.dave.address, 2_500n],
      ]);
    });

    it("refuses strangers, empty or oversized datasets, bad terms and bad splits", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      const register = (
        terms = TERMS,
        split: { account: string; bps: number }[] = [],
        uri = URI,
        hash = CONTENT,
        name = "Temperatures",
      ) => c.data.connect(c.alice).registerDataset(1n, name, hash, uri, terms, split);
      await expect(c.data.connect(c.bob).registerDataset(1n, "Temperatures", CONTENT, URI, TERMS, []))
        .to.be.revertedWithCustomError(c.data, "DataNotIdentityController")
        .withArgs(1n, c.bob.address);
      for (const [uri, hash] of [
        [URI, ethers.ZeroHash],
        ["", CONTENT],
        [`ipfs://${"x".repeat(250)}`, CONTENT],
      ] as const) {
        await expect(register(TERMS, [], uri, hash)).to.be.revertedWithCustomError(c.data, "DataInvalidDataset");
      }
      // A dataset the market lists needs a name, of at most 64 bytes (once, it was listed as "Dataset #1").
      for (const name of ["", "x".repeat(65)]) {
        await expect(register(TERMS, [], URI, CONTENT, name)).to.be.revertedWithCustomError(
          c.data,
          "DataInvalidDataset",
        );
      }
      await expect(register(TERMS, [], URI, CONTENT, "x".repeat(64))).to.emit(c.data, "DatasetRegistered");
      for (const terms of [
        { ...TERMS, maxDuration: 59n },
        { ...TERMS, maxDuration: 1_825n * DAY + 1n },
        { ...TERMS, purposes: 0 },
        { ...TERMS, purposes: PURPOSES | 1 },
        { ...TERMS, purposes: PURPOSES | 16 },
      ]) {
        await expect(register(terms)).to.be.revertedWithCustomError(c.data, "DataInvalidTerms");
      }
      const payee = { account: c.carol.address, bps: 100 };
      for (const split of [
        Array.from({ length: 9 }, () => payee),
        [{ ...payee, account: ethers.ZeroAddress }],
        [{ ...payee, bps: 0 }],
        [
          { ...payee, bps: 6_000 },
          { ...payee, bps: 4_001 },
        ],
      ]) {
        await expect(register(TERMS, split)).to.be.revertedWithCustomError(c.data, "DataInvalidSplit");
      }
      await expect(c.data.dataset(9n)).to.be.revertedWithCustomError(c.data, "DataUnknownDataset").withArgs(9n);
    });

    it("applies new terms to new requests only, and takes a delisted dataset off the market", async () => {
      const c = await networkHelpers.loadFixture(withGrant);
      const dearer = { ...TERMS, pricePerUse: 2n * TERMS.pricePerUse };
      await expect(c.data.connect(c.bob).updateTerms(1n, dearer))
        .to.be.revertedWithCustomError(c.data, "DataNotIdentityController")
        .withArgs(1n, c.bob.address);
      await expect(c.data.connect(c.alice).updateTerms(1n, { ...dearer, purposes: 0 })).to.be.revertedWithCustomError(
        c.data,
        "DataInvalidTerms",
      );
      await expect(c.data.connect(c.alice).updateTerms(1n, dearer))
        .to.emit(c.data, "TermsUpdated")
        .withArgs(1n, Object.values(dearer));
      expect((await c.data.grant(1n)).pricePerUse).to.equal(TERMS.pricePerUse);
      expect(await c.data.quote(1n, DAY, 1n)).to.equal(price(DAY, 0n) + dearer.pricePerUse);

      await expect(c.data.connect(c.alice).delist(1n)).to.emit(c.data, "DatasetDelisted").withArgs(1n);
      await expect(c.data.connect(c.alice).delist(1n))
        .to.be.revertedWithCustomError(c.data, "DataDatasetDelisted")
        .withArgs(1n);
      await expect(c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Inference, DAY, 1n, ONE))
        .to.be.revertedWithCustomError(c.data, "DataDatasetDelisted")
        .withArgs(1n);
      // The grant runs on.
      await expect(c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32("use"))).to.emit(c.data, "DataUsed");
    });
  });

  describe("requests", () => {
    it("escrows exactly the price, rounding the time share up", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      const duration = 1_000n;
      const expected = price(duration, 3n);
      expect(await c.data.quote(1n, duration, 3n)).to.equal(expected);
      const tx = c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Inference, duration, 3n, expected + 5n);
      await expect(tx)
        .to.emit(c.data, "AccessRequested")
        .withArgs(1n, 1n, 2n, c.bob.address, Purpose.Inference, duration, 3n, expected);
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, c.data], [-expected, expected]);
      const g = await c.data.grant(1n);
      expect([g.state, g.timePrice, g.usesLeft, g.expiresAt]).to.deep.equal([
        BigInt(GrantState.Requested),
        duration * PER_SECOND,
        3n,
        0n,
      ]);
      expect(await c.data.hasAccess(1n, 2n, Purpose.Inference)).to.equal(false);
      // A third of a second's price still costs one base unit.
      const odd = { ...TERMS, pricePerDay: 1n };
      await c.data.connect(c.alice).updateTerms(1n, odd);
      expect(await c.data.quote(1n, 1n, 1n)).to.equal(1n + TERMS.pricePerUse);
    });

    it("refuses bad requests with the exact error", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      const ask = (purpose: number, duration = DAY, uses = 1n, payment = ONE, dataset = 1n, grantee = 2n) =>
        c.data.connect(c.bob).requestAccess(dataset, grantee, purpose, duration, uses, payment);
      await expect(ask(Purpose.Training, DAY, 1n, ONE, 7n))
        .to.be.revertedWithCustomError(c.data, "DataUnknownDataset")
        .withArgs(7n);
      await expect(ask(Purpose.Training, DAY, 1n, ONE, 1n, 1n))
        .to.be.revertedWithCustomError(c.data, "DataNotIdentityController")
        .withArgs(1n, c.bob.address);
      for (const purpose of [Purpose.None, Purpose.Analytics]) {
        await expect(ask(purpose)).to.be.revertedWithCustomError(c.data, "DataPurposeNotAllowed").withArgs(1n, purpose);
      }
      for (const duration of [0n, TERMS.maxDuration + 1n]) {
        await expect(ask(Purpose.Training, duration))
          .to.be.revertedWithCustomError(c.data, "DataInvalidDuration")
          .withArgs(duration, TERMS.maxDuration);
      }
      for (const uses of [0n, 2n ** 32n]) {
        await expect(ask(Purpose.Training, DAY, uses))
          .to.be.revertedWithCustomError(c.data, "DataInvalidUses")
          .withArgs(uses);
      }
      await expect(ask(Purpose.Training, DAY, 1n, price(DAY, 1n) - 1n))
        .to.be.revertedWithCustomError(c.data, "DataPriceAboveMax")
        .withArgs(price(DAY, 1n), price(DAY, 1n) - 1n);
      await c.reg.connect(c.carol).register("carol", "");
      await expect(c.data.connect(c.carol).requestAccess(1n, 3n, Purpose.Training, DAY, 1n, ONE))
        .to.be.revertedWithCustomError(c.data, "DataNoEncryptionKey")
        .withArgs(3n);
      await c.data.connect(c.alice).updateTerms(1n, { ...TERMS, pricePerUse: 2n ** 95n });
      await expect(ask(Purpose.Training, DAY, 2n, 2n ** 100n))
        .to.be.revertedWithCustomError(c.data, "DataPriceTooHigh")
        .withArgs(price(DAY, 0n) + 2n ** 96n);
    });

    it("activates at once with auto-approve, and takes a permit", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      await c.data.connect(c.alice).updateTerms(1n, { ...TERMS, autoApprove: true });
      await c.token.connect(c.bob).approve(await c.data.getAddress(), 0n);
      const cost = price(DAY, 1n);
      const permit = await signPermit(c.token, c.bob, await c.data.getAddress(), cost, FAR);
      const tx = c.data.connect(c.bob).requestAccessWithPermit(1n, 2n, Purpose.Training, DAY, 1n, cost, permit);
      await expect(tx).to.emit(c.data, "GrantApproved");
      const now = BigInt(await time.latest());
      await expect(tx)
        .to.emit(c.data, "GrantApproved")
        .withArgs(1n, 1n, 2n, now + DAY);
      expect(await c.data.hasAccess(1n, 2n, Purpose.Training)).to.equal(true);
      expect(await c.data.hasAccess(1n, 2n, Purpose.Inference)).to.equal(false);
      // One active grant per dataset, grantee and purpose.
      await c.token.connect(c.bob).approve(await c.data.getAddress(), ONE);
      await expect(c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Training, DAY, 1n, ONE))
        .to.be.revertedWithCustomError(c.data, "DataAccessAlreadyGranted")
        .withArgs(1n);
    });

    it("lets the owner approve or reject, and the requester withdraw after the response window", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      const cost = price(DAY, 1n);
      for (let i = 0; i < 3; i++) {
        await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Training, DAY, 1n, cost);
      }
      await expect(c.data.connect(c.bob).approve(1n))
        .to.be.revertedWithCustomError(c.data, "DataNotIdentityController")
        .withArgs(1n, c.bob.address);
      await expect(c.data.connect(c.alice).approve(1n)).to.emit(c.data, "GrantApproved");
      await expect(c.data.connect(c.alice).approve(1n))
        .to.be.revertedWithCustomError(c.data, "DataWrongState")
        .withArgs(1n, GrantState.Active);
      await expect(c.data.connect(c.alice).reject(2n, "x".repeat(257))).to.be.revertedWithCustomError(
        c.data,
        "DataInvalidText",
      );
      const rejected = c.data.connect(c.operator).reject(2n, "not for this purpose");
      await expect(rejected)
        .to.emit(c.data, "GrantEnded")
        .withArgs(2n, GrantState.Rejected, cost, "not for this purpose");
      await expect(rejected).to.changeTokenBalances(ethers, c.token, [c.bob, c.data], [cost, -cost]);

      const requestedAt = (await c.data.grant(3n)).requestedAt;
      await expect(c.data.connect(c.stranger).withdrawRequest(3n))
        .to.be.revertedWithCustomError(c.data, "DataNotGrantee")
        .withArgs(3n, c.stranger.address);
      await at(requestedAt + RESPONSE_WINDOW - 1n, async () =>
        expect(c.data.connect(c.bob).withdrawRequest(3n))
          .to.be.revertedWithCustomError(c.data, "DataResponsePending")
          .withArgs(3n, requestedAt + RESPONSE_WINDOW),
      );
      await at(requestedAt + RESPONSE_WINDOW, async () =>
        expect(c.data.connect(c.bob).withdrawRequest(3n))
          .to.emit(c.data, "GrantEnded")
          .withArgs(3n, GrantState.Withdrawn, cost, ""),
      );
      await expect(c.data.grant(4n)).to.be.revertedWithCustomError(c.data, "DataUnknownGrant").withArgs(4n);
    });
  });

  describe("keys", () => {
    it("delivers the sealed key once, in an event, by the owner's side", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Training, DAY, 1n, ONE);
      await expect(c.data.connect(c.alice).deliverKey(1n, SEALED))
        .to.be.revertedWithCustomError(c.data, "DataWrongState")
        .withArgs(1n, GrantState.Requested);
      await c.data.connect(c.alice).approve(1n);
      await expect(c.data.connect(c.bob).deliverKey(1n, SEALED))
        .to.be.revertedWithCustomError(c.data, "DataNotIdentityController")
        .withArgs(1n, c.bob.address);
      for (const sealed of ["0x", `0x${"ab".repeat(257)}`]) {
        await expect(c.data.connect(c.alice).deliverKey(1n, sealed)).to.be.revertedWithCustomError(
          c.data,
          "DataInvalidText",
        );
      }
      await expect(c.data.connect(c.alice).deliverKey(1n, SEALED))
        .to.emit(c.data, "KeyDelivered")
        .withArgs(1n, 2n, SEALED);
      await expect(c.data.connect(c.alice).deliverKey(1n, SEALED))
        .to.be.revertedWithCustomError(c.data, "DataKeyAlreadyDelivered")
        .withArgs(1n);
    });

    it("bills nothing before the key, refuses a key once the grant expired, and a cancel once the key came", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Training, DAY, 1n, ONE);
      await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Inference, 600n, 1n, ONE);
      await c.data.connect(c.alice).approve(1n);
      await c.data.connect(c.alice).approve(2n);
      const approvedAt = BigInt(await time.latest());
      // An hour approved and still no key: nothing is due, and the owner's late key bills from its delivery only.
      await at(approvedAt + 3_600n, () => networkHelpers.mine());
      expect(await c.data.due(1n)).to.equal(0n);
      await c.data.connect(c.alice).deliverKey(1n, SEALED);
      expect((await c.data.grant(1n)).deliveredAt).to.equal(BigInt(await time.latest()));
      await expect(c.data.connect(c.bob).cancel(1n))
        .to.be.revertedWithCustomError(c.data, "DataKeyAlreadyDelivered")
        .withArgs(1n);
      // Grant 2 (600 s) expired before its key: too late to deliver, and too late to revoke.
      const expiresAt = (await c.data.grant(2n)).expiresAt;
      await expect(c.data.connect(c.alice).deliverKey(2n, SEALED))
        .to.be.revertedWithCustomError(c.data, "DataGrantExpired")
        .withArgs(2n, expiresAt);
      await expect(c.data.connect(c.alice).revoke(2n))
        .to.be.revertedWithCustomError(c.data, "DataGrantExpired")
        .withArgs(2n, expiresAt);
    });

    it("lets the grantee cancel, with a full refund, a grant whose key did not come in time", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      const cost = price(DAY, 2n);
      await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Training, DAY, 2n, cost);
      await c.data.connect(c.alice).approve(1n);
      const approvedAt = BigInt(await time.latest());
      await expect(c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32("use")))
        .to.be.revertedWithCustomError(c.data, "DataKeyNotDelivered")
        .withArgs(1n);
      await at(approvedAt + DELIVERY_WINDOW - 1n, async () =>
        expect(c.data.connect(c.bob).cancel(1n))
          .to.be.revertedWithCustomError(c.data, "DataDeliveryPending")
          .withArgs(1n, approvedAt + DELIVERY_WINDOW),
      );
      await expect(c.data.connect(c.stranger).cancel(1n))
        .to.be.revertedWithCustomError(c.data, "DataNotIdentityController")
        .withArgs(2n, c.stranger.address);
      const tx = at(approvedAt + DELIVERY_WINDOW, () => c.data.connect(c.bob).cancel(1n));
      await expect(tx).to.emit(c.data, "GrantEnded").withArgs(1n, GrantState.Cancelled, cost, "");
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, c.data], [cost, -cost]);
      expect(await c.data.earned(c.alice.address)).to.equal(0n);
    });
  });

  describe("uses, settlement and revocation", () => {
    it("pays each use and the time run, and enforces expiry to the second", async () => {
      const c = await networkHelpers.loadFixture(withGrant);
      const use = (t: bigint) => at(t, () => c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32("use")));
      // 100 s after the key's delivery: one use plus 100 s of time.
      await expect(use(c.deliveredAt + 100n))
        .to.emit(c.data, "DataUsed")
        .withArgs(1n, 1n, 2n, Purpose.Training, bytes32("use"), 9n, TERMS.pricePerUse + 100n * PER_SECOND);
      expect(await c.data.earned(c.alice.address)).to.equal(TERMS.pricePerUse + 100n * PER_SECOND);
      await expect(use(c.expiresAt - 1n)).to.emit(c.data, "DataUsed");
      expect(await c.data.hasAccess(1n, 2n, Purpose.Training)).to.equal(true);
      await time.setNextBlockTimestamp(c.expiresAt);
      await networkHelpers.mine();
      expect(await c.data.hasAccess(1n, 2n, Purpose.Training)).to.equal(false);
      await expect(use(c.expiresAt + 1n))
        .to.be.revertedWithCustomError(c.data, "DataGrantExpired")
        .withArgs(1n, c.expiresAt);
      // Settling after expiry pays the rest of the time and refunds the 8 uses not made, and the 10 s between
      // approval and delivery, when bob could not use the data.
      const refund = 8n * TERMS.pricePerUse + 10n * PER_SECOND;
      const tx = c.data.settle(1n);
      await expect(tx).to.emit(c.data, "GrantEnded").withArgs(1n, GrantState.Expired, refund, "");
      await expect(tx).to.changeTokenBalance(ethers, c.token, c.bob, refund);
      expect(await c.data.earned(c.alice.address)).to.equal(price(DAY, 2n) - 10n * PER_SECOND);
      await expect(c.data.settle(1n))
        .to.be.revertedWithCustomError(c.data, "DataWrongState")
        .withArgs(1n, GrantState.Expired);
    });

    it("refuses a use for another purpose, by a stranger, or beyond its uses", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Training, DAY, 1n, ONE);
      await c.data.connect(c.alice).approve(1n);
      await c.data.connect(c.alice).deliverKey(1n, SEALED);
      await expect(c.data.connect(c.bob).recordUse(1n, Purpose.Inference, bytes32("u")))
        .to.be.revertedWithCustomError(c.data, "DataPurposeNotAllowed")
        .withArgs(1n, Purpose.Inference);
      await expect(c.data.connect(c.stranger).recordUse(1n, Purpose.Training, bytes32("u")))
        .to.be.revertedWithCustomError(c.data, "DataNotGrantee")
        .withArgs(1n, c.stranger.address);
      // A market records the use on the grantee's behalf.
      await expect(c.data.connect(c.market).recordUse(1n, Purpose.Training, bytes32("u"))).to.emit(c.data, "DataUsed");
      expect(await c.data.hasAccess(1n, 2n, Purpose.Training)).to.equal(false);
      await expect(c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32("u")))
        .to.be.revertedWithCustomError(c.data, "DataGrantUsedUp")
        .withArgs(1n);
    });

    it("revokes at once, refunding exactly the unused share, and refuses the next use", async () => {
      const c = await networkHelpers.loadFixture(withGrant);
      await at(c.deliveredAt + 1_000n, () => c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32("u")));
      await expect(c.data.connect(c.bob).revoke(1n))
        .to.be.revertedWithCustomError(c.data, "DataNotIdentityController")
        .withArgs(1n, c.bob.address);
      // A quarter of the day has run since the delivery: the rest of the time and 9 uses go back.
      const ran = DAY / 4n;
      const refund = (DAY - ran) * PER_SECOND + 9n * TERMS.pricePerUse;
      const tx = at(c.deliveredAt + ran, () => c.data.connect(c.alice).revoke(1n));
      await expect(tx)
        .to.emit(c.data, "GrantSettled")
        .withArgs(1n, (ran - 1_000n) * PER_SECOND);
      await expect(tx).to.emit(c.data, "GrantEnded").withArgs(1n, GrantState.Revoked, refund, "");
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, c.data], [refund, -refund]);
      expect(await c.data.earned(c.alice.address)).to.equal(ran * PER_SECOND + TERMS.pricePerUse);
      expect(await c.data.hasAccess(1n, 2n, Purpose.Training)).to.equal(false);
      await expect(c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32("u")))
        .to.be.revertedWithCustomError(c.data, "DataWrongState")
        .withArgs(1n, GrantState.Revoked);
      await expect(c.data.connect(c.alice).revoke(1n))
        .to.be.revertedWithCustomError(c.data, "DataWrongState")
        .withArgs(1n, GrantState.Revoked);
    });

    it("splits revenue exactly among payees, the rounding dust to the owner, and lets each withdraw", async () => {
      const c = await networkHelpers.loadFixture(withDataset);
      const split = [
        { account: c.carol.address, bps: 3_333 },
        { account: c.dave.address, bps: 1 },
      ];
      const terms = { ...TERMS, pricePerUse: 10_001n, pricePerDay: 0n, autoApprove: true };
      await c.data.connect(c.alice).registerDataset(1n, "Temperatures", CONTENT, URI, terms, split);
      await c.data.connect(c.bob).requestAccess(2n, 2n, Purpose.Training, DAY, 3n, ONE);
      await c.data.connect(c.alice).deliverKey(1n, SEALED);
      for (let i = 0; i < 3; i++) await c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32(`u${i}`));
      // Each use: carol floor(10,001 x 0.3333) = 3,333, dave floor(10,001 x 0.0001) = 1, alice the other 6,667.
      expect(await c.data.earned(c.carol.address)).to.equal(3n * 3_333n);
      expect(await c.data.earned(c.dave.address)).to.equal(3n * 1n);
      expect(await c.data.earned(c.alice.address)).to.equal(3n * 6_667n);
      const tx = c.data.connect(c.carol).withdraw();
      await expect(tx).to.emit(c.data, "Withdrawn").withArgs(c.carol.address, 9_999n);
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.carol, c.data], [9_999n, -9_999n]);
      await expect(c.data.connect(c.carol).withdraw())
        .to.be.revertedWithCustomError(c.data, "DataNothingToWithdraw")
        .withArgs(c.carol.address);
    });

    it("records one reputation receipt per grant, grantee to owner, grown by each payment", async () => {
      const c = await networkHelpers.loadFixture(withGrant);
      await at(c.deliveredAt + 100n, () => c.data.connect(c.bob).recordUse(1n, Purpose.Training, bytes32("u")));
      const receiptId = (await c.data.grant(1n)).receiptId;
      expect(receiptId).to.not.equal(0n);
      const first = TERMS.pricePerUse + 100n * PER_SECOND;
      expect((await c.rep.receipt(receiptId)).slice(0, 3)).to.deep.equal([2n, 1n, first]);
      await at(c.deliveredAt + 200n, () => c.data.settle(1n));
      expect((await c.rep.receipt(receiptId)).amount).to.equal(first + 100n * PER_SECOND);
    });
  });

  it("knows its token, windows and counts", async () => {
    const c = await networkHelpers.loadFixture(withGrant);
    expect(await c.data.paymentToken()).to.equal(await c.token.getAddress());
    expect(await c.data.responseWindow()).to.equal(RESPONSE_WINDOW);
    expect(await c.data.deliveryWindow()).to.equal(DELIVERY_WINDOW);
    expect(await c.data.grantCount()).to.equal(1n);
    // The time run since the key's delivery; nothing for a grant that is not running.
    await at(c.deliveredAt + 500n, () => networkHelpers.mine());
    expect(await c.data.due(1n)).to.equal(500n * PER_SECOND);
    await c.data.connect(c.bob).requestAccess(1n, 2n, Purpose.Inference, DAY, 1n, ONE);
    expect(await c.data.due(2n)).to.equal(0n);
  });
});
