import { expect } from "chai";
import { actAs, deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import { bytes32, Outcome } from "./helpers.ts";

const ONE = 10n ** 18n;
const KIND = bytes32("lease");
const TAG = bytes32("uptime");
const URI = "ipfs://feedback";

/** alice (1) and bob (2) and carol (3) have identities; `writer` and `certifier` hold their roles. */
async function withParties() {
  const base = await deployFourfold();
  const [deployer, alice, bob, carol, , certifier, stranger] = base.signers;
  const reg = base.identityRegistry;
  const rep = base.reputationRegistry;
  await reg.connect(alice).register("alice", "");
  await reg.connect(bob).register("bob", "");
  await reg.connect(carol).register("carol", "");
  // The markets hold the writer role, sealed: the tests write as the lease market.
  const writer = await actAs(await base.leaseMarket.getAddress());
  await rep.connect(deployer).grantRole(await rep.CERTIFIER_ROLE(), certifier.address);
  return { ...base, rep, reg, alice, bob, carol, writer, certifier, stranger };
}

/** Plus receipt 1: alice paid bob 10 FOLD. */
async function withReceipt() {
  const base = await withParties();
  await base.rep.connect(base.writer).recordReceipt(1n, 2n, KIND, bytes32("lease-1"), 10n * ONE);
  return base;
}

describe("ReputationRegistry", () => {
  describe("deployment", () => {
    it("knows the identity registry and gives the admin role to the deployer", async () => {
      const { reputationRegistry: rep, identityRegistry, deployer } = await networkHelpers.loadFixture(deployFourfold);
      expect(await rep.identityRegistry()).to.equal(await identityRegistry.getAddress());
      expect(await rep.hasRole(await rep.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(true);
      expect(await rep.counts()).to.deep.equal([0n, 0n, 0n]);
    });
  });

  describe("recordReceipt", () => {
    it("records a paid interaction for a writer", async () => {
      const { rep, writer } = await networkHelpers.loadFixture(withParties);
      const ref = bytes32("lease-7");
      await expect(rep.connect(writer).recordReceipt(1n, 2n, KIND, ref, 5n * ONE))
        .to.emit(rep, "ReceiptRecorded")
        .withArgs(1n, 1n, 2n, writer.address, KIND, ref, 5n * ONE);
      const receipt = await rep.receipt(1n);
      expect([receipt.fromId, receipt.toId, receipt.amount, receipt.fromRated, receipt.toRated]).to.deep.equal([
        1n,
        2n,
        5n * ONE,
        false,
        false,
      ]);
      expect((await rep.counts())[0]).to.equal(1n);
    });

    it("saturates the stored weight at 2^112-1 and emits the full amount", async () => {
      const { rep, writer } = await networkHelpers.loadFixture(withParties);
      const huge = 2n ** 200n;
      await expect(rep.connect(writer).recordReceipt(1n, 2n, KIND, ethers.ZeroHash, huge))
        .to.emit(rep, "ReceiptRecorded")
        .withArgs(1n, 1n, 2n, writer.address, KIND, ethers.ZeroHash, huge);
      expect((await rep.receipt(1n)).amount).to.equal(2n ** 112n - 1n);
    });

    it("refuses anyone without the writer role", async () => {
      const { rep, alice } = await networkHelpers.loadFixture(withParties);
      await expect(rep.connect(alice).recordReceipt(1n, 2n, KIND, ethers.ZeroHash, 1n))
        .to.be.revertedWithCustomError(rep, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await rep.WRITER_ROLE());
    });

    for (const [from, to] of [
      [0n, 2n],
      [1n, 0n],
      [2n, 2n],
      [2n ** 64n, 1n],
      [1n, 2n ** 64n],
    ]) {
      it(`refuses the parties (${from}, ${to})`, async () => {
        const { rep, writer } = await networkHelpers.loadFixture(withParties);
        await expect(rep.connect(writer).recordReceipt(from, to, KIND, ethers.ZeroHash, 1n))
          .to.be.revertedWithCustomError(rep, "ReputationInvalidParties")
          .withArgs(from, to);
      });
    }
  });

  describe("increaseReceipt", () => {
    it("grows an unrated receipt's weight and emits each payment", async () => {
      const { rep, writer, alice } = await networkHelpers.loadFixture(withReceipt);
      await expect(rep.connect(writer).increaseReceipt(1n, 5n * ONE))
        .to.emit(rep, "ReceiptIncreased")
        .withArgs(1n, 5n * ONE, 15n * ONE);
      expect((await rep.receipt(1n)).amount).to.equal(15n * ONE);
      await rep.connect(alice).giveFeedback(1n, 80, TAG, "", ethers.ZeroHash);
      expect((await rep.summary(2n, TAG)).totalWeight).to.equal(15n * ONE);
    });

    it("stops growing the weight once a side rated, so revoking removes exactly what was added", async () => {
      const { rep, writer, alice } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(alice).giveFeedback(1n, 80, TAG, "", ethers.ZeroHash);
      await expect(rep.connect(writer).increaseReceipt(1n, 5n * ONE))
        .to.emit(rep, "ReceiptIncreased")
        .withArgs(1n, 5n * ONE, 10n * ONE);
      expect((await rep.receipt(1n)).amount).to.equal(10n * ONE);
      await rep.connect(alice).revokeFeedback(1n);
      const s = await rep.summary(2n, TAG);
      expect([s.count, s.totalWeight, s.weightedAverageScore]).to.deep.equal([0n, 0n, 0n]);
    });

    it("saturates at 2^112-1, even for the largest amount", async () => {
      const { rep, writer } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(writer).increaseReceipt(1n, ethers.MaxUint256);
      expect((await rep.receipt(1n)).amount).to.equal(2n ** 112n - 1n);
      await rep.connect(writer).increaseReceipt(1n, 1n);
      expect((await rep.receipt(1n)).amount).to.equal(2n ** 112n - 1n);
    });

    it("refuses unknown receipts and anyone without the writer role", async () => {
      const { rep, writer, alice } = await networkHelpers.loadFixture(withReceipt);
      await expect(rep.connect(writer).increaseReceipt(2n, 1n))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownReceipt")
        .withArgs(2n);
      await expect(rep.connect(alice).increaseReceipt(1n, 1n))
        .to.be.revertedWithCustomError(rep, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await rep.WRITER_ROLE());
    });
  });

  describe("giveFeedback", () => {
    it("lets each side rate the other once, weighted by the receipt", async () => {
      const { rep, alice, bob } = await networkHelpers.loadFixture(withReceipt);
      const uriHash = ethers.keccak256("0x01");
      await expect(rep.connect(alice).giveFeedback(1n, 90, TAG, URI, uriHash))
        .to.emit(rep, "FeedbackGiven")
        .withArgs(1n, 1n, 2n, 1n, 90, TAG, URI, uriHash);
      await expect(rep.connect(bob).giveFeedback(1n, 40, TAG, "", ethers.ZeroHash))
        .to.emit(rep, "FeedbackGiven")
        .withArgs(2n, 1n, 1n, 2n, 40, TAG, "", ethers.ZeroHash);
      const receipt = await rep.receipt(1n);
      expect([receipt.fromRated, receipt.toRated]).to.deep.equal([true, true]);
      const fb = await rep.feedback(1n);
      expect([fb.receiptId, fb.raterId, fb.subjectId, fb.score, fb.revoked, fb.tag]).to.deep.equal([
        1n,
        1n,
        2n,
        90n,
        false,
        TAG,
      ]);
      const bobSummary = await rep.summary(2n, TAG);
      expect(bobSummary.count).to.equal(1n);
      expect(bobSummary.averageScore).to.equal(9000n);
      expect(bobSummary.weightedAverageScore).to.equal(9000n);
      expect(bobSummary.totalWeight).to.equal(10n * ONE);
      expect((await rep.summary(1n, TAG)).averageScore).to.equal(4000n);
      expect((await rep.summary(2n, ethers.ZeroHash)).count).to.equal(0n);
    });

    it("averages plainly and by weight over several receipts", async () => {
      const { rep, writer, alice, carol } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(writer).recordReceipt(3n, 2n, KIND, ethers.ZeroHash, 30n * ONE);
      await rep.connect(alice).giveFeedback(1n, 100, TAG, "", ethers.ZeroHash);
      await rep.connect(carol).giveFeedback(2n, 50, TAG, "", ethers.ZeroHash);
      const s = await rep.summary(2n, TAG);
      expect(s.count).to.equal(2n);
      expect(s.averageScore).to.equal(7500n); // (100 + 50) / 2
      expect(s.weightedAverageScore).to.equal(6250n); // (100*10 + 50*30) / 40
      expect(s.totalWeight).to.equal(40n * ONE);
    });

    it("accepts the bounds 0 and 100 and refuses a score above 100", async () => {
      const { rep, alice, bob } = await networkHelpers.loadFixture(withReceipt);
      await expect(rep.connect(alice).giveFeedback(1n, 101, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationInvalidScore")
        .withArgs(101);
      await expect(rep.connect(alice).giveFeedback(1n, 255, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationInvalidScore")
        .withArgs(255);
      await rep.connect(alice).giveFeedback(1n, 100, TAG, "", ethers.ZeroHash);
      await rep.connect(bob).giveFeedback(1n, 0, TAG, "", ethers.ZeroHash);
      expect((await rep.summary(2n, TAG)).averageScore).to.equal(10000n);
      expect((await rep.summary(1n, TAG)).averageScore).to.equal(0n);
      expect((await rep.summary(1n, TAG)).count).to.equal(1n);
    });

    it("refuses a second feedback from the same side", async () => {
      const { rep, alice, bob } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(alice).giveFeedback(1n, 80, TAG, "", ethers.ZeroHash);
      await expect(rep.connect(alice).giveFeedback(1n, 10, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationAlreadyRated")
        .withArgs(1n, 1n);
      await rep.connect(bob).giveFeedback(1n, 80, TAG, "", ethers.ZeroHash);
      await expect(rep.connect(bob).giveFeedback(1n, 10, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationAlreadyRated")
        .withArgs(1n, 2n);
    });

    it("refuses feedback without a receipt, from outsiders, and on oneself", async () => {
      const { rep, reg, writer, alice, carol } = await networkHelpers.loadFixture(withReceipt);
      await expect(rep.connect(alice).giveFeedback(9n, 50, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownReceipt")
        .withArgs(9n);
      await expect(rep.connect(carol).giveFeedback(1n, 50, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationNotParty")
        .withArgs(1n, carol.address);
      // alice owns a second identity and trades with herself.
      await reg.connect(alice).register("alice-2", "");
      await rep.connect(writer).recordReceipt(1n, 4n, KIND, ethers.ZeroHash, ONE);
      await expect(rep.connect(alice).giveFeedback(2n, 100, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationSelfFeedback")
        .withArgs(2n);
      expect((await rep.counts())[1]).to.equal(0n);
    });
  });

  describe("revokeFeedback", () => {
    it("removes the feedback from the summary at once, and the side cannot rate again", async () => {
      const { rep, alice } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(alice).giveFeedback(1n, 90, TAG, "", ethers.ZeroHash);
      await expect(rep.connect(alice).revokeFeedback(1n)).to.emit(rep, "FeedbackRevoked").withArgs(1n, 2n);
      expect((await rep.feedback(1n)).revoked).to.equal(true);
      const s = await rep.summary(2n, TAG);
      expect([s.count, s.averageScore, s.weightedAverageScore, s.totalWeight]).to.deep.equal([0n, 0n, 0n, 0n]);
      await expect(rep.connect(alice).giveFeedback(1n, 90, TAG, "", ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationAlreadyRated")
        .withArgs(1n, 1n);
    });

    it("refuses anyone but the rater's owner, a second revocation, and unknown feedback", async () => {
      const { rep, alice, bob } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(alice).giveFeedback(1n, 90, TAG, "", ethers.ZeroHash);
      await expect(rep.connect(bob).revokeFeedback(1n))
        .to.be.revertedWithCustomError(rep, "ReputationNotIdentityOwner")
        .withArgs(1n, bob.address);
      await rep.connect(alice).revokeFeedback(1n);
      await expect(rep.connect(alice).revokeFeedback(1n))
        .to.be.revertedWithCustomError(rep, "ReputationFeedbackRevoked")
        .withArgs(1n);
      await expect(rep.connect(alice).revokeFeedback(5n))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownFeedback")
        .withArgs(5n);
    });
  });

  describe("respond", () => {
    it("lets the rated party answer, more than once", async () => {
      const { rep, alice, bob } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(alice).giveFeedback(1n, 20, TAG, "", ethers.ZeroHash);
      await expect(rep.connect(bob).respond(1n, "ipfs://answer"))
        .to.emit(rep, "FeedbackResponded")
        .withArgs(1n, 2n, "ipfs://answer");
      await expect(rep.connect(bob).respond(1n, "ipfs://answer-2"))
        .to.emit(rep, "FeedbackResponded")
        .withArgs(1n, 2n, "ipfs://answer-2");
    });

    it("refuses anyone else and unknown feedback", async () => {
      const { rep, alice } = await networkHelpers.loadFixture(withReceipt);
      await rep.connect(alice).giveFeedback(1n, 20, TAG, "", ethers.ZeroHash);
      await expect(rep.connect(alice).respond(1n, "x"))
        .to.be.revertedWithCustomError(rep, "ReputationNotIdentityOwner")
        .withArgs(2n, alice.address);
      await expect(rep.connect(alice).respond(2n, "x"))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownFeedback")
        .withArgs(2n);
    });
  });

  describe("recordOutcome", () => {
    it("counts each kind of outcome for the subject", async () => {
      const { rep, writer } = await networkHelpers.loadFixture(withParties);
      const ref = bytes32("job-1");
      await expect(rep.connect(writer).recordOutcome(2n, Outcome.Completed, ref))
        .to.emit(rep, "OutcomeRecorded")
        .withArgs(2n, Outcome.Completed, ref, writer.address);
      await rep.connect(writer).recordOutcome(2n, Outcome.Completed, ref);
      await rep.connect(writer).recordOutcome(2n, Outcome.Refunded, ref);
      await rep.connect(writer).recordOutcome(2n, Outcome.Slashed, ref);
      await rep.connect(writer).recordOutcome(2n, Outcome.ChallengeLost, ref);
      const s = await rep.summary(2n, TAG);
      expect([s.completed, s.refunded, s.slashed, s.challengesLost]).to.deep.equal([2n, 1n, 1n, 1n]);
      expect((await rep.summary(1n, TAG)).completed).to.equal(0n);
    });

    it("refuses non-writers and the zero identity", async () => {
      const { rep, writer, alice } = await networkHelpers.loadFixture(withParties);
      await expect(rep.connect(alice).recordOutcome(2n, Outcome.Completed, ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await rep.WRITER_ROLE());
      await expect(rep.connect(writer).recordOutcome(0n, Outcome.Completed, ethers.ZeroHash))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownSubject")
        .withArgs(0n);
    });
  });

  describe("attestations", () => {
    const SCHEMA = bytes32("node-certified");

    it("issues an attestation that is valid until it expires", async () => {
      const { rep, certifier } = await networkHelpers.loadFixture(withParties);
      const now = BigInt(await networkHelpers.time.latest());
      const expiresAt = now + 1000n;
      const dataHash = ethers.keccak256("0x02");
      // The attestation's block comes a second later, whatever the wall clock did meanwhile.
      await networkHelpers.time.setNextBlockTimestamp(now + 1n);
      await expect(rep.connect(certifier).attest(2n, SCHEMA, expiresAt, dataHash, "ipfs://audit"))
        .to.emit(rep, "Attested")
        .withArgs(1n, 2n, SCHEMA, certifier.address, expiresAt, dataHash, "ipfs://audit");
      const att = await rep.attestation(1n);
      expect([att.certifier, att.expiresAt, att.revoked, att.subjectId, att.schema]).to.deep.equal([
        certifier.address,
        expiresAt,
        false,
        2n,
        SCHEMA,
      ]);
      expect(att.issuedAt).to.equal(now + 1n);
      expect(await rep.isValid(1n)).to.equal(true);
      expect(await rep.hasValid(2n, SCHEMA)).to.equal(true);
      expect(await rep.currentAttestation(2n, SCHEMA)).to.equal(1n);
      await networkHelpers.time.increaseTo(expiresAt);
      expect(await rep.isValid(1n)).to.equal(false);
      expect(await rep.hasValid(2n, SCHEMA)).to.equal(false);
    });

    it("treats a zero expiry as never expiring, and a newer attestation as current", async () => {
      const { rep, certifier } = await networkHelpers.loadFixture(withParties);
      await rep.connect(certifier).attest(2n, SCHEMA, 0n, ethers.ZeroHash, "");
      await networkHelpers.time.increase(10n ** 9n);
      expect(await rep.hasValid(2n, SCHEMA)).to.equal(true);
      await rep.connect(certifier).attest(2n, SCHEMA, 0n, ethers.ZeroHash, "");
      expect(await rep.currentAttestation(2n, SCHEMA)).to.equal(2n);
      await rep.connect(certifier).revokeAttestation(2n);
      expect(await rep.isValid(1n)).to.equal(true);
      expect(await rep.hasValid(2n, SCHEMA)).to.equal(false);
      expect(await rep.hasValid(3n, SCHEMA)).to.equal(false);
    });

    it("refuses non-certifiers, unknown subjects and bad expiries", async () => {
      const { rep, certifier, alice } = await networkHelpers.loadFixture(withParties);
      await expect(rep.connect(alice).attest(2n, SCHEMA, 0n, ethers.ZeroHash, ""))
        .to.be.revertedWithCustomError(rep, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await rep.CERTIFIER_ROLE());
      await expect(rep.connect(certifier).attest(9n, SCHEMA, 0n, ethers.ZeroHash, ""))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownSubject")
        .withArgs(9n);
      await expect(rep.connect(certifier).attest(2n ** 64n, SCHEMA, 0n, ethers.ZeroHash, ""))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownSubject")
        .withArgs(2n ** 64n);
      const now = BigInt(await networkHelpers.time.latest());
      await networkHelpers.time.setNextBlockTimestamp(now + 1n);
      await expect(rep.connect(certifier).attest(2n, SCHEMA, now + 1n, ethers.ZeroHash, ""))
        .to.be.revertedWithCustomError(rep, "ReputationInvalidExpiry")
        .withArgs(now + 1n, now + 1n);
      await networkHelpers.time.setNextBlockTimestamp(now + 2n);
      await expect(rep.connect(certifier).attest(2n, SCHEMA, 2n ** 40n, ethers.ZeroHash, ""))
        .to.be.revertedWithCustomError(rep, "ReputationInvalidExpiry")
        .withArgs(2n ** 40n, now + 2n);
      expect((await rep.counts())[2]).to.equal(0n);
    });

    it("lets the certifier or the admin revoke, once", async () => {
      const { rep, certifier, deployer } = await networkHelpers.loadFixture(withParties);
      await rep.connect(certifier).attest(2n, SCHEMA, 0n, ethers.ZeroHash, "");
      await rep.connect(certifier).attest(3n, SCHEMA, 0n, ethers.ZeroHash, "");
      await expect(rep.connect(certifier).revokeAttestation(1n))
        .to.emit(rep, "AttestationRevoked")
        .withArgs(1n, certifier.address);
      expect(await rep.isValid(1n)).to.equal(false);
      expect((await rep.attestation(1n)).revoked).to.equal(true);
      await expect(rep.connect(deployer).revokeAttestation(2n))
        .to.emit(rep, "AttestationRevoked")
        .withArgs(2n, deployer.address);
      await expect(rep.connect(certifier).revokeAttestation(1n))
        .to.be.revertedWithCustomError(rep, "ReputationAttestationRevoked")
        .withArgs(1n);
    });

    it("refuses revocation by others and of unknown attestations", async () => {
      const { rep, certifier, alice, deployer } = await networkHelpers.loadFixture(withParties);
      await rep.connect(certifier).attest(2n, SCHEMA, 0n, ethers.ZeroHash, "");
      // Another certifier is not the attester.
      await rep.connect(deployer).grantRole(await rep.CERTIFIER_ROLE(), alice.address);
      await expect(rep.connect(alice).revokeAttestation(1n))
        .to.be.revertedWithCustomError(rep, "ReputationNotAttester")
        .withArgs(1n, alice.address);
      await expect(rep.connect(certifier).revokeAttestation(2n))
        .to.be.revertedWithCustomError(rep, "ReputationUnknownAttestation")
        .withArgs(2n);
      expect(await rep.isValid(1n)).to.equal(true);
    });
  });

  describe("views of unknown records", () => {
    it("revert with the record's own error", async () => {
      const { rep } = await networkHelpers.loadFixture(withParties);
      await expect(rep.receipt(1n)).to.be.revertedWithCustomError(rep, "ReputationUnknownReceipt").withArgs(1n);
      await expect(rep.feedback(1n)).to.be.revertedWithCustomError(rep, "ReputationUnknownFeedback").withArgs(1n);
      await expect(rep.attestation(1n)).to.be.revertedWithCustomError(rep, "ReputationUnknownAttestation").withArgs(1n);
      expect(await rep.isValid(0n)).to.equal(false);
    });
  });
});
