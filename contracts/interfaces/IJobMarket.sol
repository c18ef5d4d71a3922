// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Permits} from "../libraries/Permits.sol";

/// @title Fourfold job market
/// @notice AI inference that can be trusted because it is checked, by nobody's word. Model owners register models by
/// the sha256 of their weights and take a share of every fee. Workers stake the payment token and serve models. A
/// requester asks for a job run by `k` distinct workers (1 to 5), escrowing `k` times the most it pays a worker.
/// Results are sealed: a worker runs the model first, then claims the job with a commitment to its result (locking
/// `minStake` of its stake as collateral), and reveals the result (with an EIP-712 signature by its Worker key, which
/// anyone may relay) only once all `k` commitments are in or the deadline has passed, so no worker sees another's
/// output before its own is fixed. When the reveals are in, the output of a strict majority of `k` is proposed and a
/// challenge window runs. Anyone may challenge a proposal with a bond; a challenge, or reveals without a majority of
/// `k`, opens a re-execution round: a committee of workers serving the model, drawn at random weighted by stake from a
/// block after the challenge, re-runs the job and commits and reveals like the original workers, and its majority
/// decides. Whoever contradicted the decided output (an original worker, a committee member, or the challenger) loses
/// its collateral or bond to those who matched it; a worker silent at commit or reveal time loses `silenceSlashBps`
/// of its collateral, to the workers who did the work (burnt when none did). The requester never receives a slash.
/// `finalize` pays the workers whose output is final, the model owner's share and each cited data grant's use
/// (reserved when the job was requested), refunds the rest, writes receipts and outcomes to the reputation registry
/// and calls the requester's consumer contract, whose failure is recorded and never blocks payment.
interface IJobMarket {
    /// @notice A job's life: Open (claims with commitments, until `k` or the deadline), Revealing (committed workers
    /// reveal), Proposed (the challenge window), Disputed (a re-execution round), then Final (an output, paid),
    /// Unresolved (no output could be decided: the workers who revealed were paid, the rest refunded) or Refunded
    /// (nobody revealed).
    enum JobState {
        None,
        Open,
        Revealing,
        Proposed,
        Disputed,
        Final,
        Unresolved,
        Refunded
    }

    /// @notice A worker's part in a job: Drawn (a committee member yet to commit), Committed, Revealed, Silent (did
    /// not commit or reveal in time: it lost `silenceSlashBps` of its collateral), Slashed (its output contradicted
    /// a re-execution round's verdict: it lost all its collateral).
    enum ClaimState {
        None,
        Drawn,
        Committed,
        Revealed,
        Silent,
        Slashed
    }

    /// @notice Why a re-execution round decided nothing: no committee could be drawn (too few eligible workers, or
    /// nobody drew it in time), or its members' reveals had no strict majority.
    enum RoundFailure {
        None,
        NoCommittee,
        NoMajority
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
    /// @param locked The collateral locked by its open claims and committee seats (`minStake` each): within `stake`
    /// when it claims; a committee seat may take it beyond (a seat is backed by what is left of the stake).
    /// @param pricePerJob What it charges a job; it claims only jobs that pay at least this.
    /// @param unstaking What it asked back, withdrawable from `unstakeAt`.
    /// @param unstakeAt When `unstaking` can be withdrawn.
    /// @param paused Whether it is paused by its controller (it claims nothing and is drawn for no committee opened
    /// after its pause).
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
    /// its key delivered, with a use left that no other open job has reserved; a use of each is reserved now and
    /// recorded, and paid from the grant, when the job is final.
    /// @param redundancy `k`: how many distinct workers must run it (1 to 5).
    /// @param maxFeePerWorker The most each worker is paid; `k` times it is escrowed.
    /// @param deadline When commitments must be in (after now, at most `MAX_JOB_DURATION` ahead).
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
    /// @param requester The account that paid, and receives refunds (never a slash).
    /// @param state Its state.
    /// @param redundancy `k`.
    /// @param committed Original workers that claimed it with a commitment (at most `k`).
    /// @param revealed Original workers that revealed their result.
    /// @param entries Claims and committee seats: `claim(jobId, i)` for i below it (originals first).
    /// @param challenged Whether a re-execution round was opened (once per job).
    /// @param proposed 1 + the entry whose output is proposed (or final); 0 while there is none.
    /// @param deadline When commitments are due.
    /// @param windowEnds While Revealing, when reveals are due; while Proposed, when the challenge window ends.
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
        uint8 committed;
        uint8 revealed;
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

    /// @notice One worker's part in a job: an original claim, or a committee seat.
    /// @param workerId The worker.
    /// @param price What it is paid if its output is final (its price when it claimed; 0 for a committee seat, paid
    /// from the round's slashes instead).
    /// @param state Its state.
    /// @param inlineOutput Whether it revealed its output inline (then `finalize` must be given it).
    /// @param member Whether it is a committee seat.
    /// @param commitment While Committed, its commitment: `keccak256(abi.encode(jobId, workerId, outputHash, salt))`;
    /// zero before (a drawn seat) and once revealed.
    /// @param outputHash Once revealed, the sha256 of the canonical JSON of its output; zero before.
    struct Claim {
        uint64 workerId;
        uint80 price;
        ClaimState state;
        bool inlineOutput;
        bool member;
        bytes32 commitment;
        bytes32 outputHash;
    }

    /// @notice A job's re-execution round, as `round(jobId)` returns it.
    /// @param challenger Who challenged (and posted `challengeBond`), or zero for reveals without a majority.
    /// @param drawBlock The block whose hash draws the committee: the first after the round opened.
    /// @param commitEnds When the committee must be drawn and its members' commitments in.
    /// @param revealEnds When its reveals are due, once they are open (zero before).
    /// @param size Seats drawn (0 until the draw).
    /// @param committed Seats committed.
    /// @param revealed Seats revealed.
    /// @param drawn Whether the committee was drawn.
    /// @param pot Slashes, forfeited bonds and silence penalties waiting to be shared among the parties who did the
    /// work (or matched the verdict) when the job ends.
    struct Round {
        address challenger;
        uint40 drawBlock;
        uint40 commitEnds;
        uint40 revealEnds;
        uint8 size;
        uint8 committed;
        uint8 revealed;
        bool drawn;
        uint96 pot;
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
    /// @notice The model already has `MAX_MODEL_WORKERS` workers serving it.
    error JobModelFull(uint256 modelId);
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
    /// active for Inference, without its key delivered, expired, or without a use left that open jobs have not
    /// reserved.
    error JobInvalidGrant(uint256 grantId);
    /// @notice No such job.
    error JobUnknownJob(uint256 jobId);
    /// @notice The job is not in the state the call needs.
    error JobWrongState(uint256 jobId, JobState state);
    /// @notice The caller is not an active Worker key of a registered worker (or of the worker holding the seat).
    error JobNotWorker(address caller);
    /// @notice The worker may not claim this job: paused, not serving its model, too expensive, without free stake,
    /// or it has claimed it before.
    error JobNotEligible(uint256 jobId, uint256 workerId);
    /// @notice The job has all the claims it needs.
    error JobFullyClaimed(uint256 jobId);
    /// @notice The job's deadline has passed (or, for `closeCommits`, has not).
    error JobDeadline(uint256 jobId, uint256 deadline);
    /// @notice No claim or seat at this entry in the state the call needs.
    error JobNoClaim(uint256 jobId, uint256 entry);
    /// @notice A zero commitment.
    error JobInvalidCommitment();
    /// @notice The revealed output and salt do not open the worker's commitment.
    error JobCommitmentMismatch(uint256 jobId, uint256 entry);
    /// @notice The signature is not by an active Worker key of the worker over this job's result.
    error JobInvalidSignature();
    /// @notice A zero output hash, an output URI over 256 bytes, or an inline output over the limit or whose sha256 is
    /// not the output hash.
    error JobInvalidOutput();
    /// @notice The phase the call belongs to is not running: reveals not open yet or over, the challenge window still
    /// running (finalize) or over (challenge), or the round's time not up (`closeReveals`).
    error JobWindow(uint256 jobId, uint256 endsAt);
    /// @notice The job was challenged before, or sent to a round without a majority: one round per job.
    error JobAlreadyChallenged(uint256 jobId);
    /// @notice Too few workers serve the model for a committee: `needed` are, at least, to draw one.
    error JobCommitteeUnavailable(uint256 jobId, uint256 serving, uint256 needed);
    /// @notice The committee is drawn from the hash of a block after the round opened: wait for it.
    error JobDrawTooEarly(uint256 jobId, uint256 drawBlock);
    /// @notice A committee of the model is about to be drawn, and the draw follows its list of workers: nobody joins
    /// or leaves it until the committee is drawn (anyone may draw it, from the block after the round opened).
    error JobDrawPending(uint256 modelId);
    /// @notice `finalize` must be given the final output's inline bytes (its sha256 is the output hash).
    error JobInlineOutputRequired(uint256 jobId);
    /// @notice Too little gas left to give the callback its gas limit.
    error JobInsufficientGas(uint256 needed);
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
    /// @notice A worker claimed the job with a commitment to its result.
    event JobClaimed(uint256 indexed jobId, uint256 indexed workerId, uint256 entry, uint256 price, bytes32 commitment);
    /// @notice The commit phase closed with `committed` commitments: reveals are due by `revealEnds`.
    event RevealsOpened(uint256 indexed jobId, uint256 committed, uint256 revealEnds);
    /// @notice A worker's (or committee member's) result, with its signature (verifiable by anyone against the
    /// worker's key).
    event ResultRevealed(
        uint256 indexed jobId,
        uint256 indexed workerId,
        uint256 entry,
        bytes32 outputHash,
        string outputURI,
        bytes inlineOutput,
        bytes signature
    );
    /// @notice The reveals are in and a strict majority of `k` agrees: the challenge window runs until `windowEnds`.
    event ResultProposed(uint256 indexed jobId, bytes32 outputHash, uint256 votes, uint256 windowEnds);
    /// @notice A re-execution round opened: challenged (`challenger` posted `bond`), or reveals without a majority
    /// (`challenger` zero). The committee is drawn from `drawBlock`'s hash and commits by `commitEnds`.
    event JobDisputed(
        uint256 indexed jobId,
        address indexed challenger,
        uint256 bond,
        uint256 drawBlock,
        uint256 commitEnds
    );
    /// @notice The draw block's hash was no longer known (over 256 blocks old): the committee is drawn from
    /// `drawBlock`'s instead.
    event CommitteeDrawMoved(uint256 indexed jobId, uint256 drawBlock);
    /// @notice The committee: `workerIds` hold entries `firstEntry` onwards, in order.
    event CommitteeDrawn(uint256 indexed jobId, uint256[] workerIds, uint256 firstEntry, bytes32 seed);
    /// @notice A committee member committed to its re-run's result.
    event MemberCommitted(uint256 indexed jobId, uint256 indexed workerId, uint256 entry, bytes32 commitment);
    /// @notice The round decided `outputHash` (with `votes` of its seats): `upheld` when there was a proposal and
    /// the verdict differs from it.
    event RoundDecided(uint256 indexed jobId, bytes32 outputHash, uint256 votes, bool upheld);
    /// @notice The round decided nothing: a challenged proposal stands, a job without a proposal is Unresolved.
    event RoundFailed(uint256 indexed jobId, RoundFailure failure);
    /// @notice A worker lost `amount` of its stake: silent (`silent`), or contradicting the verdict.
    event WorkerSlashed(uint256 indexed jobId, uint256 indexed workerId, uint256 amount, bool silent);
    /// @notice A challenger's bond was forfeited (the round upheld the proposal, or no committee could be drawn).
    event BondForfeited(uint256 indexed jobId, address indexed challenger, uint256 amount);
    /// @notice The round's pot was shared equally among `parties` (the first also takes the division's dust), or,
    /// with none, burnt (sent to `BURN_ADDRESS`).
    event PotShared(uint256 indexed jobId, uint256 amount, address[] parties);
    event JobFinalized(uint256 indexed jobId, bytes32 outputHash, uint256 paid, uint256 refund);
    /// @notice No output was decided: `paid` went to the workers who revealed, `refund` back to the requester.
    event JobUnresolved(uint256 indexed jobId, uint256 paid, uint256 refund);
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

    /// @notice Starts or stops serving models (at most `MAX_MODEL_WORKERS` workers serve a model), except a model with
    /// a round awaiting its committee's draw (`JobDrawPending`; registering is refused likewise). The worker's
    /// controller only.
    function setWorkerModels(uint256 workerId, uint256[] calldata modelIds, bool serving) external;

    /// @notice A new price for jobs claimed from now on. The worker's controller only.
    function setWorkerPrice(uint256 workerId, uint256 pricePerJob) external;

    /// @notice Pauses or resumes claiming (and committee draws). The worker's controller only.
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

    /// @notice Claims a job for the worker whose Worker key calls, with its commitment to the result it computed
    /// (`keccak256(abi.encode(jobId, workerId, outputHash, salt))`, see `commitmentOf`), locking `minStake` of its
    /// stake. The `k`-th claim opens the reveals.
    function claimJob(uint256 jobId, bytes32 commitment) external;

    /// @notice After the deadline, closes an Open job's commit phase: a job nobody claimed is refunded; otherwise its
    /// reveals open (for `revealWindow`). Anyone may call it.
    function closeCommits(uint256 jobId) external;

    /// @notice Reveals the result behind the commitment at `entry` (an original claim while Revealing, or a
    /// committee seat once its round's reveals are open); anyone may relay it. `salt` opens the commitment;
    /// `signature` is by an active Worker key of the worker over EIP-712 `JobResult(jobId, modelHash, inputHash,
    /// outputHash, worker, deadline)`; `inlineOutput` is empty, or the output itself, whose sha256 is `outputHash`.
    /// The last original reveal due tallies the job; a round is decided by `closeReveals`.
    function revealResult(
        uint256 jobId,
        uint256 entry,
        bytes32 outputHash,
        bytes32 salt,
        string calldata outputURI,
        bytes calldata inlineOutput,
        bytes calldata signature
    ) external;

    /// @notice Closes a reveal phase: while Revealing, after `windowEnds`, committed workers that did not reveal are
    /// penalized and the job is tallied (the last reveal due tallies it by itself); while Disputed, once every
    /// committed seat has revealed (after all committed or the commit time ended) or the reveals are due, silent
    /// members are penalized and the round is decided, and after the commit time with no committee drawn, the round
    /// fails. Anyone may call it.
    function closeReveals(uint256 jobId) external;

    /// @notice Challenges a proposed result within its window, posting `challengeBond` from the caller: a
    /// re-execution round opens.
    function challenge(uint256 jobId) external;

    /// @notice Draws the round's committee from `drawBlock`'s hash: `committeeSize` workers serving the model,
    /// weighted by their stakes as they stood in the block before `drawBlock` (unpaused and holding at least
    /// `minStake`), none of them the job's original workers, the requester's identity, identities of the requester's
    /// account, the identity whose key challenged or identities of the challenging account. Each seat locks
    /// `minStake` of its member's stake, or what is left of it. Anyone may call it. When the block is too old for its
    /// hash to be known, the draw moves to the next block.
    function drawCommittee(uint256 jobId) external;

    /// @notice Commits a committee member's result at `entry`, by the member's Worker key, before the round's
    /// `commitEnds`.
    function commitResult(uint256 jobId, uint256 entry, bytes32 commitment) external;

    /// @notice Pays out a job whose challenge window is over. `inlineOutput` must be the final output's inline bytes
    /// when it was revealed inline (it is passed to the callback), and may be empty otherwise. Anyone may call it.
    function finalize(uint256 jobId, bytes calldata inlineOutput) external;

    /// @notice Withdraws the caller's earnings.
    function withdraw() external returns (uint256 amount);

    function model(uint256 modelId) external view returns (Model memory);
    function worker(uint256 workerId) external view returns (Worker memory);
    function serves(uint256 workerId, uint256 modelId) external view returns (bool);
    /// @notice The workers serving a model (the committee's candidates), in no particular order.
    function modelWorkers(uint256 modelId) external view returns (uint256[] memory);
    function job(uint256 jobId) external view returns (Job memory);
    function claim(uint256 jobId, uint256 entry) external view returns (Claim memory);
    function round(uint256 jobId) external view returns (Round memory);
    function jobGrants(uint256 jobId) external view returns (uint256[] memory);
    /// @notice The uses of a grant reserved by jobs that have not ended.
    function reservedUses(uint256 grantId) external view returns (uint256);
    /// @notice The EIP-712 digest a worker's key signs for a result.
    function resultDigest(uint256 jobId, bytes32 outputHash, uint256 workerId) external view returns (bytes32);
    /// @notice The commitment a worker claims with: `keccak256(abi.encode(jobId, workerId, outputHash, salt))`.
    function commitmentOf(
        uint256 jobId,
        uint256 workerId,
        bytes32 outputHash,
        bytes32 salt
    ) external pure returns (bytes32);
    function earned(address account) external view returns (uint256);
    function modelCount() external view returns (uint256);
    function jobCount() external view returns (uint256);
    function paymentToken() external view returns (address);
    function minStake() external view returns (uint256);
    function unstakeCooldown() external view returns (uint256);
    function challengeWindow() external view returns (uint256);
    function challengeBond() external view returns (uint256);
    function silenceSlashBps() external view returns (uint256);
    function revealWindow() external view returns (uint256);
    function committeeSize() external view returns (uint256);
    function committeeWindow() external view returns (uint256);
}

/// @title A contract that receives job results
interface IJobConsumer {
    /// @notice Called by the job market when a job this contract is the callback of is final. `inlineOutput` is the
    /// output when it was revealed inline (its sha256 is `outputHash`), and empty otherwise.
    function onJobResult(uint256 jobId, bytes32 outputHash, bytes calldata inlineOutput) external;
}
