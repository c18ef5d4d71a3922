// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Permits} from "../libraries/Permits.sol";

/// @title Fourfold job market
/// @notice AI inference that can be trusted because it is checked. Model owners register models by the sha256 of
/// their weights and take a share of every fee. Workers stake the payment token and serve models. A requester asks
/// for a job run by `k` distinct workers (1 to 5), escrowing `k` times the most it pays a worker; each worker that
/// claims it locks `minStake` of its stake as collateral, runs the model off-chain and submits the hash of its
/// output with an EIP-712 signature by its Worker key, which anyone may relay. When `k` results are in, the output
/// of a strict majority is proposed and a challenge window runs; without a majority, the job goes to the arbiters.
/// Anyone may challenge a proposal with a bond; an arbiter (a role) names the correct output and the loser is
/// slashed. `finalize` pays the workers whose output is the final one, the model owner's share and each cited data
/// grant's use (through the data market), slashes the others' collateral to the requester and the honest workers,
/// refunds the rest, writes receipts and outcomes to the reputation registry and calls the requester's consumer
/// contract, whose failure is recorded and never blocks payment. A worker whose input fails its checks rejects the
/// job without penalty; after the deadline a job without all its results is refunded and its silent workers lose
/// part of their collateral.
interface IJobMarket {
    /// @notice A job's life: Open (claims and results), Proposed (the challenge window), Disputed (waiting for an
    /// arbiter), then Final (paid) or Refunded (expired, rejected by `k` workers, or no output found correct).
    enum JobState {
        None,
        Open,
        Proposed,
        Disputed,
        Final,
        Refunded
    }

    /// @notice A worker's part in a job: Slashed once a dispute found its output wrong.
    enum ClaimState {
        None,
        Claimed,
        Submitted,
        Rejected,
        Slashed
    }

    /// @notice Why a worker rejected a job; none of them costs it anything.
    enum RejectReason {
        None,
        InputHashMismatch,
        InputUnavailable,
        InputMalformed,
        InputTooLarge
    }

    /// @notice A model.
    /// @param ownerId The identity that registered it and takes `ownerFeeBps` of every fee paid for it.
    /// @param ownerFeeBps The owner's share of each worker's fee, in basis points (at most 5,000).
    /// @param active Whether it takes new jobs.
    /// @param modelHash The sha256 of its weight files: a result names exactly what produced it.
    struct Model {
        uint64 ownerId;
        uint16 ownerFeeBps;
        bool active;
        bytes32 modelHash;
    }

    /// @notice A worker.
    /// @param stake What it has staked and not asked back: at risk for its claims.
    /// @param locked The part of `stake` locked as collateral by its open claims (`minStake` each).
    /// @param pricePerJob What it charges a job; it claims only jobs that pay at least this.
    /// @param unstaking What it asked back, withdrawable from `unstakeAt`.
    /// @param unstakeAt When `unstaking` can be withdrawn.
    /// @param paused Whether it is paused by its controller (it claims nothing while paused).
    /// @param registered Whether it was registered.
    struct Worker {
        uint96 stake;
        uint96 locked;
        uint96 pricePerJob;
        uint96 unstaking;
        uint40 unstakeAt;
        bool paused;
        bool registered;
    }

    /// @notice What a requester asks for.
    /// @param requesterId The identity asking (the caller must own it or hold one of its Operator or Agent keys); it
    /// must be the grantee of every cited grant.
    /// @param modelId The model to run.
    /// @param input The input inline (at most `MAX_INLINE_INPUT` bytes), with `inputHash` its sha256; or empty.
    /// @param inputHash The sha256 of the input: workers check it before running.
    /// @param inputURI Where the input is, when it is not inline (exactly one of `input` and `inputURI`).
    /// @param grantIds Data grants the job uses (at most `MAX_GRANTS`), each the requester's, active for Inference,
    /// its key delivered, with a use left;
    /// a use of each is recorded, and paid from the grant, when the job is final.
    /// @param redundancy `k`: how many distinct workers must run it (1 to 5).
    /// @param maxFeePerWorker The most each worker is paid; `k` times it is escrowed.
    /// @param deadline When results must be in (after now, at most `MAX_JOB_DURATION` ahead).
    /// @param callback A contract whose `onJobResult` is called when the job is final, or zero.
    /// @param callbackGasLimit The gas it is called with (at most `MAX_CALLBACK_GAS`).
    struct JobRequest {
        uint256 requesterId;
        uint256 modelId;
        bytes input;
        bytes32 inputHash;
        string inputURI;
        uint256[] grantIds;
        uint8 redundancy;
        uint80 maxFeePerWorker;
        uint40 deadline;
        address callback;
        uint32 callbackGasLimit;
    }

    /// @notice A job, as `job(jobId)` returns it.
    /// @param modelId Its model.
    /// @param requesterId The identity that asked.
    /// @param requester The account that paid, and receives refunds and slashes.
    /// @param state Its state.
    /// @param redundancy `k`.
    /// @param claimed Claims held now (claimed or submitted).
    /// @param submitted Results submitted.
    /// @param rejected Workers that rejected it.
    /// @param entries Claims ever made (including rejected ones): `claim(jobId, i)` for i below it.
    /// @param challenged Whether it has been challenged or sent to the arbiters (once per job).
    /// @param proposed 1 + the entry whose output is proposed (or final); 0 while there is none.
    /// @param deadline When results are due.
    /// @param windowEnds While Proposed, when the challenge window ends; while Disputed, when anyone may settle it
    /// without an arbiter.
    /// @param maxFeePerWorker The most each worker is paid.
    /// @param inputHash The sha256 of its input.
    /// @param callback The consumer contract, or zero.
    /// @param callbackGasLimit Its gas.
    struct Job {
        uint64 modelId;
        uint64 requesterId;
        address requester;
        JobState state;
        uint8 redundancy;
        uint8 claimed;
        uint8 submitted;
        uint8 rejected;
        uint8 entries;
        bool challenged;
        uint8 proposed;
        uint40 deadline;
        uint40 windowEnds;
        uint80 maxFeePerWorker;
        bytes32 inputHash;
        address callback;
        uint32 callbackGasLimit;
    }

    /// @notice One worker's claim on a job.
    /// @param workerId The worker.
    /// @param price What it is paid if its output is final (its price when it claimed).
    /// @param state Its state.
    /// @param inlineOutput Whether it submitted its output inline (then `finalize` must be given it).
    /// @param outputHash The sha256 of the canonical JSON of its output.
    struct Claim {
        uint64 workerId;
        uint96 price;
        ClaimState state;
        bool inlineOutput;
        bytes32 outputHash;
    }

    /// @notice A constructor parameter is out of its range.
    error JobMarketInvalidParameter(string parameter, uint256 value);
    /// @notice The caller may not act for the identity: it must own it, or hold an active key of it with the
    /// purpose the call allows (Operator; also Agent to request jobs).
    error JobNotIdentityController(uint256 identityId, address caller);
    /// @notice No such model.
    error JobUnknownModel(uint256 modelId);
    /// @notice The model takes no new jobs.
    error JobModelInactive(uint256 modelId);
    /// @notice A model's hash is zero, its name not 1 to 64 bytes, its URI over 256 bytes, or its fee over 5,000 bps.
    error JobInvalidModel();
    /// @notice The identity is already registered as a worker.
    error JobWorkerExists(uint256 workerId);
    /// @notice The identity is not a registered worker.
    error JobUnknownWorker(uint256 workerId);
    /// @notice A stake below the minimum, or an amount of zero.
    error JobInvalidStake(uint256 amount, uint256 minimum);
    /// @notice More is asked back than the stake's free part (not locked by claims).
    error JobStakeLocked(uint256 amount, uint256 free);
    /// @notice Nothing is unstaking, or its cooldown runs until `unstakeAt`.
    error JobUnstakeNotReady(uint256 unstakeAt);
    /// @notice A request's input: neither or both of inline input and URI, inline input over the limit or not
    /// matching `inputHash`, a zero hash, or a URI over 256 bytes.
    error JobInvalidInput();
    /// @notice A redundancy outside 1 to 5.
    error JobInvalidRedundancy(uint256 redundancy);
    /// @notice A fee of zero, or a deadline not in (now, now + `MAX_JOB_DURATION`].
    error JobInvalidTerms();
    /// @notice A callback that is not a contract, or a callback gas limit over the maximum (or set without a callback).
    error JobInvalidCallback();
    /// @notice More than `MAX_GRANTS` grants, the same grant twice, or a grant that is not the requester's, not
    /// active for Inference, without its key delivered, expired or used up.
    error JobInvalidGrant(uint256 grantId);
    /// @notice No such job.
    error JobUnknownJob(uint256 jobId);
    /// @notice The job is not in the state the call needs.
    error JobWrongState(uint256 jobId, JobState state);
    /// @notice The caller is not an active Worker key of a registered worker.
    error JobNotWorker(address caller);
    /// @notice The worker may not claim this job: paused, not serving its model, too expensive, without free stake,
    /// or it has claimed it before.
    error JobNotEligible(uint256 jobId, uint256 workerId);
    /// @notice The job has all the claims it needs.
    error JobFullyClaimed(uint256 jobId);
    /// @notice The job's deadline has passed (or, for `expireJob`, has not).
    error JobDeadline(uint256 jobId, uint256 deadline);
    /// @notice The worker holds no open claim on the job.
    error JobNoClaim(uint256 jobId, uint256 workerId);
    /// @notice The signature is not by an active Worker key of the worker over this job's result.
    error JobInvalidSignature();
    /// @notice A zero output hash, an output URI over 256 bytes, or an inline output over the limit or whose sha256 is
    /// not the output hash.
    error JobInvalidOutput();
    /// @notice The challenge window is still running (finalize) or over (challenge), or the dispute still waits for
    /// its arbiter.
    error JobWindow(uint256 jobId, uint256 windowEnds);
    /// @notice The job was challenged before: one dispute per job.
    error JobAlreadyChallenged(uint256 jobId);
    /// @notice `finalize` must be given the proposed output's inline bytes (its sha256 is the output hash).
    error JobInlineOutputRequired(uint256 jobId);
    /// @notice Too little gas left to give the callback its gas limit.
    error JobInsufficientGas(uint256 needed);
    /// @notice A rejection without a reason.
    error JobInvalidReason();
    /// @notice Nothing to withdraw.
    error JobNothingToWithdraw(address account);

    event ModelRegistered(
        uint256 indexed modelId,
        uint256 indexed ownerId,
        bytes32 modelHash,
        string name,
        string uri,
        uint256 ownerFeeBps
    );
    event ModelActiveSet(uint256 indexed modelId, bool active);
    event WorkerRegistered(uint256 indexed workerId, uint256 pricePerJob, uint256 stake);
    event WorkerModelsSet(uint256 indexed workerId, uint256[] modelIds, bool serving);
    event WorkerPriceSet(uint256 indexed workerId, uint256 pricePerJob);
    event WorkerPausedSet(uint256 indexed workerId, bool paused);
    event StakeAdded(uint256 indexed workerId, uint256 amount, uint256 stake);
    event UnstakeRequested(uint256 indexed workerId, uint256 amount, uint256 unstakeAt);
    event StakeWithdrawn(uint256 indexed workerId, address to, uint256 amount);
    /// @notice A job was requested: the whole request, its inline input (if any) included.
    event JobRequested(
        uint256 indexed jobId,
        uint256 indexed modelId,
        uint256 indexed requesterId,
        address requester,
        JobRequest request
    );
    event JobClaimed(uint256 indexed jobId, uint256 indexed workerId, uint256 entry, uint256 price);
    event JobRejected(uint256 indexed jobId, uint256 indexed workerId, RejectReason reason);
    /// @notice A worker's result, with its signature (verifiable by anyone against the worker's key).
    event ResultSubmitted(
        uint256 indexed jobId,
        uint256 indexed workerId,
        bytes32 outputHash,
        string outputURI,
        bytes inlineOutput,
        bytes signature
    );
    /// @notice `k` results are in and a strict majority agrees: the challenge window runs until `windowEnds`.
    event ResultProposed(uint256 indexed jobId, bytes32 outputHash, uint256 votes, uint256 windowEnds);
    /// @notice The job waits for an arbiter: challenged (`challenger` posted `bond`), or no strict majority
    /// (`challenger` zero).
    event JobDisputed(uint256 indexed jobId, address indexed challenger, uint256 bond, uint256 settleAfter);
    /// @notice An arbiter named the correct output (zero: none of the submitted ones).
    event DisputeResolved(uint256 indexed jobId, address indexed arbiter, bytes32 correctOutputHash, bool upheld);
    /// @notice A worker's collateral was slashed: `toRequester` to the requester, `toOthers` to honest workers or the
    /// challenger.
    event WorkerSlashed(uint256 indexed jobId, uint256 indexed workerId, uint256 toRequester, uint256 toOthers);
    event JobFinalized(uint256 indexed jobId, bytes32 outputHash, uint256 paid, uint256 refund);
    event JobRefunded(uint256 indexed jobId, uint256 refund);
    /// @notice A cited grant's use could not be recorded (revoked, expired or used up meanwhile); the job was paid.
    event GrantUseFailed(uint256 indexed jobId, uint256 indexed grantId);
    /// @notice The consumer's callback ran (`ok`) or failed; either way the job is final and paid.
    event CallbackResult(uint256 indexed jobId, address indexed callback, bool ok);
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Registers a model for `ownerId` (which the caller must own or act for as an Operator key).
    function registerModel(
        uint256 ownerId,
        bytes32 modelHash,
        string calldata name,
        string calldata uri,
        uint256 ownerFeeBps
    ) external returns (uint256 modelId);

    /// @notice Stops (or resumes) new jobs for a model. Its owner only.
    function setModelActive(uint256 modelId, bool active) external;

    /// @notice Registers `workerId` (owned or acted for as an Operator key by the caller) as a worker serving
    /// `modelIds` at `pricePerJob`, staking `stake` (at least `minStake`) from the caller. Its results are signed by
    /// its keys bound with purpose Worker.
    function registerWorker(uint256 workerId, uint256[] calldata modelIds, uint256 pricePerJob, uint256 stake) external;

    /// @notice Starts or stops serving models. The worker's controller only.
    function setWorkerModels(uint256 workerId, uint256[] calldata modelIds, bool serving) external;

    /// @notice A new price for jobs claimed from now on. The worker's controller only.
    function setWorkerPrice(uint256 workerId, uint256 pricePerJob) external;

    /// @notice Pauses or resumes claiming. The worker's controller only.
    function setWorkerPaused(uint256 workerId, bool paused) external;

    /// @notice Adds `amount` to a worker's stake, from the caller (anyone).
    function addStake(uint256 workerId, uint256 amount) external;

    /// @notice Asks `amount` of the free stake back: it leaves the stake now and is withdrawable after the cooldown
    /// (which restarts with each request). The worker's controller only.
    function requestUnstake(uint256 workerId, uint256 amount) external;

    /// @notice Sends what finished unstaking to the worker identity's owner.
    function withdrawStake(uint256 workerId) external returns (uint256 amount);

    /// @notice Requests a job, escrowing `redundancy` x `maxFeePerWorker` from the caller.
    function requestJob(JobRequest calldata request) external returns (uint256 jobId);

    /// @notice `requestJob` with an ERC-2612 permit for the escrow.
    function requestJobWithPermit(
        JobRequest calldata request,
        Permits.Permit calldata permit
    ) external returns (uint256 jobId);

    /// @notice Claims a job for the worker whose Worker key calls, locking `minStake` of its stake.
    function claimJob(uint256 jobId) external;

    /// @notice Releases the calling Worker key's claim without penalty, because the input failed its checks. When
    /// `redundancy` workers have rejected it, the job is refunded.
    function rejectJob(uint256 jobId, RejectReason reason) external;

    /// @notice Submits `workerId`'s result (anyone may relay it). `signature` is by an active Worker key of the
    /// worker over EIP-712 `JobResult(jobId, modelHash, inputHash, outputHash, worker, deadline)`. `inlineOutput`
    /// is empty, or the output itself, whose sha256 is `outputHash`.
    function submitResult(
        uint256 jobId,
        uint256 workerId,
        bytes32 outputHash,
        string calldata outputURI,
        bytes calldata inlineOutput,
        bytes calldata signature
    ) external;

    /// @notice Challenges a proposed result within its window, posting `challengeBond` from the caller.
    function challenge(uint256 jobId) external;

    /// @notice Settles a dispute. Arbiters only. `correctOutputHash` is the correct output: the proposed one (the
    /// challenge fails, and the bond goes to the workers who produced it), another submitted one (those workers
    /// win, the others are slashed), or none of them (all are slashed and the requester is refunded).
    function resolveDispute(uint256 jobId, bytes32 correctOutputHash) external;

    /// @notice Pays out a job whose window is over (or whose dispute went unsettled for `MAX_DISPUTE_TIME`).
    /// `inlineOutput` must be the proposed output's inline bytes when it was submitted inline (it is passed to the
    /// callback), and may be empty otherwise. Anyone may call it.
    function finalize(uint256 jobId, bytes calldata inlineOutput) external;

    /// @notice After the deadline, refunds a job still Open; silent claimed workers lose `silenceSlashBps` of their
    /// collateral to the requester. Anyone may call it.
    function expireJob(uint256 jobId) external;

    /// @notice Withdraws the caller's earnings.
    function withdraw() external returns (uint256 amount);

    function model(uint256 modelId) external view returns (Model memory);
    function worker(uint256 workerId) external view returns (Worker memory);
    function serves(uint256 workerId, uint256 modelId) external view returns (bool);
    function job(uint256 jobId) external view returns (Job memory);
    function claim(uint256 jobId, uint256 entry) external view returns (Claim memory);
    function jobGrants(uint256 jobId) external view returns (uint256[] memory);
    /// @notice The EIP-712 digest a worker's key signs for a result.
    function resultDigest(uint256 jobId, bytes32 outputHash, uint256 workerId) external view returns (bytes32);
    function earned(address account) external view returns (uint256);
    function modelCount() external view returns (uint256);
    function jobCount() external view returns (uint256);
    function paymentToken() external view returns (address);
    function minStake() external view returns (uint256);
    function unstakeCooldown() external view returns (uint256);
    function challengeWindow() external view returns (uint256);
    function challengeBond() external view returns (uint256);
    function silenceSlashBps() external view returns (uint256);
}

/// @title A contract that receives job results
interface IJobConsumer {
    /// @notice Called by the job market when a job this contract is the callback of is final. `inlineOutput` is the
    /// output when it was submitted inline (its sha256 is `outputHash`), and empty otherwise.
    function onJobResult(uint256 jobId, bytes32 outputHash, bytes calldata inlineOutput) external;
}
