// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {IDataMarket} from "./interfaces/IDataMarket.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";
import {JobSettlement} from "./libraries/JobSettlement.sol";
import {Permits} from "./libraries/Permits.sol";

/// @title JobMarket
/// @notice See {IJobMarket}.
/// @dev Money: the market holds every job's escrow (`redundancy` x `maxFeePerWorker` from request to its end, when
/// it is paid out and refunded in full), every worker's stake and unstaking amount, every posted challenge bond until
/// its round ends, every job's pot (slashes waiting to be shared) and every account's unwithdrawn earnings, exactly.
/// A slash moves stake into a pot; a pot is credited to earnings or, when nobody did the work, burnt (sent to
/// `BURN_ADDRESS`); nothing is minted. The market has no admin and no role: no account can move a job's money
/// except by the rules below.
/// `multicall` batches calls in one transaction (a worker's claims, reveals and finalizations in one block); no
/// function is payable, so a batch cannot reuse a value.
contract JobMarket is EIP712, Multicall, IJobMarket {
    using SafeERC20 for IERC20;

    /// @notice The most workers a job may ask for.
    uint256 public constant MAX_REDUNDANCY = 5;
    /// @notice The most bytes of inline input, and of inline output.
    uint256 public constant MAX_INLINE_INPUT = 4_096;
    uint256 public constant MAX_INLINE_OUTPUT = 4_096;
    /// @notice The most data grants a job may cite.
    uint256 public constant MAX_GRANTS = 4;
    /// @notice The furthest a job's deadline may be.
    uint256 public constant MAX_JOB_DURATION = 30 days;
    /// @notice The most gas a callback may ask for.
    uint256 public constant MAX_CALLBACK_GAS = 2_000_000;
    /// @notice The most of each worker's fee a model owner may take.
    uint256 public constant MAX_OWNER_FEE_BPS = 5_000;
    /// @notice The most workers that may serve one model: the committee draw reads them all.
    uint256 public constant MAX_MODEL_WORKERS = 64;
    /// @notice The largest committee (an odd number of seats, 1 to this).
    uint256 public constant MAX_COMMITTEE_SIZE = 9;
    /// @notice Bounds of `minStake` and `challengeBond` (FOLD wei): 0.001 to 1,000,000 FOLD.
    uint256 public constant MIN_AMOUNT_PARAMETER = 1e15;
    uint256 public constant MAX_AMOUNT_PARAMETER = 1e24;
    /// @notice Where a pot nobody earned goes: an address without a key, so the tokens leave circulation.
    address public constant BURN_ADDRESS = JobSettlement.BURN_ADDRESS;

    /// @dev `JobResult(uint256 jobId,bytes32 modelHash,bytes32 inputHash,bytes32 outputHash,uint256 worker,uint256
    /// deadline)`.
    bytes32 private constant JOB_RESULT_TYPEHASH = keccak256(
        "JobResult(uint256 jobId,bytes32 modelHash,bytes32 inputHash,bytes32 outputHash,uint256 worker,uint256 deadline)"
    );
    uint256 private constant BPS = 10_000;
    uint256 private constant MAX_TEXT_BYTES = 256;
    uint256 private constant MAX_NAME_BYTES = 64;
    /// @dev What a callback costs besides its own gas: the call, a cold account, and the event after it.
    uint256 private constant CALLBACK_OVERHEAD = 12_000;
    bytes32 private constant RECEIPT_KIND = "job";

    IERC20 private immutable _token;
    IIdentityRegistry private immutable _identities;
    IReputationRegistry private immutable _reputation;
    IDataMarket private immutable _data;
    uint256 private immutable _minStake;
    uint256 private immutable _unstakeCooldown;
    uint256 private immutable _challengeWindow;
    uint256 private immutable _challengeBond;
    uint256 private immutable _silenceSlashBps;
    uint256 private immutable _revealWindow;
    uint256 private immutable _committeeSize;
    uint256 private immutable _committeeWindow;

    JobSettlement.Store private _s;

    /// @param token The payment token (FOLD).
    /// @param identities The identity registry.
    /// @param reputation The reputation registry (this market needs its writer role).
    /// @param data The data market (this market needs its market role to record grant uses).
    /// @param params `minStake` (the least stake to register, and the collateral each claim and seat locks: 0.001 to
    /// 1,000,000 FOLD), `unstakeCooldown` (1 hour to 30 days), `challengeWindow` (1 hour to 7 days), `challengeBond`
    /// (0.001 to 1,000,000 FOLD), `silenceSlashBps` (the part of its collateral a worker silent at commit or reveal
    /// time loses, 1 to 10,000), `revealWindow` (how long reveals stay open, 5 minutes to 1 day), `committeeSize`
    /// (odd, 1 to 9) and `committeeWindow` (how long a round has to be drawn and committed, 10 minutes to 7 days).
    constructor(
        address token,
        address identities,
        address reputation,
        address data,
        uint256[8] memory params
    ) EIP712("Fourfold JobMarket", "1") {
        _checkParameter("minStake", params[0], MIN_AMOUNT_PARAMETER, MAX_AMOUNT_PARAMETER);
        _checkParameter("unstakeCooldown", params[1], 1 hours, 30 days);
        _checkParameter("challengeWindow", params[2], 1 hours, 7 days);
        _checkParameter("challengeBond", params[3], MIN_AMOUNT_PARAMETER, MAX_AMOUNT_PARAMETER);
        _checkParameter("silenceSlashBps", params[4], 1, BPS);
        _checkParameter("revealWindow", params[5], 5 minutes, 1 days);
        _checkParameter("committeeSize", params[6], 1, MAX_COMMITTEE_SIZE);
        if (params[6] % 2 == 0) revert JobMarketInvalidParameter("committeeSize", params[6]);
        _checkParameter("committeeWindow", params[7], 10 minutes, 7 days);
        _token = IERC20(token);
        _identities = IIdentityRegistry(identities);
        _reputation = IReputationRegistry(reputation);
        _data = IDataMarket(data);
        _minStake = params[0];
        _unstakeCooldown = params[1];
        _challengeWindow = params[2];
        _challengeBond = params[3];
        _silenceSlashBps = params[4];
        _revealWindow = params[5];
        _committeeSize = params[6];
        _committeeWindow = params[7];
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Models
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function registerModel(
        uint256 ownerId,
        bytes32 modelHash,
        string calldata name,
        string calldata uri,
        uint256 ownerFeeBps
    ) external returns (uint256 modelId) {
        _requireController(ownerId, false);
        uint256 nameBytes = bytes(name).length;
        if (
            modelHash == bytes32(0) ||
            nameBytes == 0 ||
            nameBytes > MAX_NAME_BYTES ||
            bytes(uri).length > MAX_TEXT_BYTES ||
            ownerFeeBps > MAX_OWNER_FEE_BPS
        ) revert JobInvalidModel();
        modelId = ++_s.modelCount;
        // ownerId fits: identity ids are below 2^64 (the registry counts them one by one).
        _s.models[modelId] = Model({
            ownerId: uint64(ownerId),
            ownerFeeBps: uint16(ownerFeeBps),
            active: true,
            modelHash: modelHash
        });
        emit ModelRegistered(modelId, ownerId, modelHash, name, uri, ownerFeeBps);
    }

    /// @inheritdoc IJobMarket
    function setModelActive(uint256 modelId, bool active) external {
        Model storage m = _requireModel(modelId);
        _requireController(m.ownerId, false);
        m.active = active;
        emit ModelActiveSet(modelId, active);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Workers
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function registerWorker(
        uint256 workerId,
        uint256[] calldata modelIds,
        uint256 pricePerJob,
        uint256 stake
    ) external {
        _requireController(workerId, false);
        JobSettlement.WorkerRecord storage w = _s.workers[workerId];
        if (w.registered) revert JobWorkerExists(workerId);
        if (stake < _minStake || stake > type(uint96).max) revert JobInvalidStake(stake, _minStake);
        if (pricePerJob > type(uint80).max) revert JobInvalidTerms();
        w.registered = true;
        w.stake = uint96(stake);
        w.pricePerJob = uint80(pricePerJob);
        JobSettlement.reweigh(_s, workerId, _minStake);
        _setModels(workerId, modelIds, true);
        _token.safeTransferFrom(msg.sender, address(this), stake);
        emit WorkerRegistered(workerId, pricePerJob, stake);
    }

    /// @inheritdoc IJobMarket
    function setWorkerModels(uint256 workerId, uint256[] calldata modelIds, bool serving) external {
        _requireWorkerController(workerId);
        _setModels(workerId, modelIds, serving);
    }

    /// @inheritdoc IJobMarket
    function setWorkerPrice(uint256 workerId, uint256 pricePerJob) external {
        JobSettlement.WorkerRecord storage w = _requireWorkerController(workerId);
        if (pricePerJob > type(uint80).max) revert JobInvalidTerms();
        w.pricePerJob = uint80(pricePerJob);
        emit WorkerPriceSet(workerId, pricePerJob);
    }

    /// @inheritdoc IJobMarket
    function setWorkerPaused(uint256 workerId, bool paused) external {
        JobSettlement.WorkerRecord storage w = _requireWorkerController(workerId);
        w.paused = paused;
        JobSettlement.reweigh(_s, workerId, _minStake);
        emit WorkerPausedSet(workerId, paused);
    }

    /// @inheritdoc IJobMarket
    function addStake(uint256 workerId, uint256 amount) external {
        JobSettlement.WorkerRecord storage w = _requireWorker(workerId);
        uint256 stake = w.stake + amount;
        if (amount == 0 || stake > type(uint96).max) revert JobInvalidStake(amount, 1);
        w.stake = uint96(stake);
        JobSettlement.reweigh(_s, workerId, _minStake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
        emit StakeAdded(workerId, amount, stake);
    }

    /// @inheritdoc IJobMarket
    function requestUnstake(uint256 workerId, uint256 amount) external {
        JobSettlement.WorkerRecord storage w = _requireWorkerController(workerId);
        uint256 free = JobSettlement.free(w, _minStake);
        if (amount == 0) revert JobInvalidStake(amount, 1);
        if (amount > free) revert JobStakeLocked(amount, free);
        uint256 unstakeAt = block.timestamp + _unstakeCooldown;
        w.stake -= uint96(amount);
        w.unstaking += uint96(amount);
        w.unstakeAt = uint40(unstakeAt);
        JobSettlement.reweigh(_s, workerId, _minStake);
        emit UnstakeRequested(workerId, amount, unstakeAt);
    }

    /// @inheritdoc IJobMarket
    function withdrawStake(uint256 workerId) external returns (uint256 amount) {
        JobSettlement.WorkerRecord storage w = _requireWorker(workerId);
        amount = w.unstaking;
        if (amount == 0 || block.timestamp < w.unstakeAt) revert JobUnstakeNotReady(w.unstakeAt);
        w.unstaking = 0;
        address to = _identities.ownerOf(workerId);
        _token.safeTransfer(to, amount);
        emit StakeWithdrawn(workerId, to, amount);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Requests, claims, reveals
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function requestJob(JobRequest calldata request) external returns (uint256 jobId) {
        return _request(request);
    }

    /// @inheritdoc IJobMarket
    function requestJobWithPermit(
        JobRequest calldata request,
        Permits.Permit calldata permit
    ) external returns (uint256 jobId) {
        Permits.tryPermit(address(_token), msg.sender, uint256(request.redundancy) * request.maxFeePerWorker, permit);
        return _request(request);
    }

    /// @inheritdoc IJobMarket
    function claimJob(uint256 jobId, bytes32 commitment) external {
        if (commitment == bytes32(0)) revert JobInvalidCommitment();
        uint256 workerId = _callingWorker();
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Open);
        if (block.timestamp >= j.deadline) revert JobDeadline(jobId, j.deadline);
        // An Open job has fewer than k claims: the k-th opens the reveals.
        uint256 entry = j.committed;
        JobSettlement.WorkerRecord storage w = _s.workers[workerId];
        uint256 price = w.pricePerJob;
        if (
            w.paused ||
            _s.listed[j.modelId][workerId] == 0 ||
            price > j.maxFeePerWorker ||
            JobSettlement.free(w, _minStake) < _minStake ||
            JobSettlement.isOriginal(_s, jobId, entry, workerId)
        ) revert JobNotEligible(jobId, workerId);
        ++w.seats;
        _s.claims[jobId][entry] = JobSettlement.ClaimRecord({
            workerId: uint64(workerId),
            price: uint80(price),
            state: ClaimState.Committed,
            inlineOutput: false,
            member: false,
            hash: commitment
        });
        j.committed = uint8(entry + 1);
        emit JobClaimed(jobId, workerId, entry, price, commitment);
        if (entry + 1 == j.redundancy) _openReveals(jobId, j);
    }

    /// @inheritdoc IJobMarket
    function closeCommits(uint256 jobId) external {
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Open);
        if (block.timestamp < j.deadline) revert JobDeadline(jobId, j.deadline);
        if (j.committed == 0) JobSettlement.refund(_s, _config(), jobId);
        else _openReveals(jobId, j);
    }

    /// @inheritdoc IJobMarket
    function revealResult(
        uint256 jobId,
        uint256 entry,
        bytes32 outputHash,
        bytes32 salt,
        string calldata outputURI,
        bytes calldata inlineOutput,
        bytes calldata signature
    ) external {
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        JobState state = j.state;
        JobSettlement.ClaimRecord storage c = _s.claims[jobId][entry];
        if (c.state != ClaimState.Committed) revert JobNoClaim(jobId, entry);
        if (state == JobState.Revealing) {
            if (block.timestamp >= j.windowEnds) revert JobWindow(jobId, j.windowEnds);
        } else if (state == JobState.Disputed) {
            // A committed seat's round is drawn: its reveals are open once all seats committed or commit time is up.
            uint256 ends = _roundRevealEnds(_s.rounds[jobId]);
            if (ends == 0 || block.timestamp >= ends) revert JobWindow(jobId, ends);
        } else {
            revert JobWrongState(jobId, state);
        }
        _checkOutput(outputHash, outputURI, inlineOutput);
        uint256 workerId = c.workerId;
        if (commitmentOf(jobId, workerId, outputHash, salt) != c.hash) revert JobCommitmentMismatch(jobId, entry);
        _checkSignature(jobId, j, outputHash, workerId, signature);
        c.state = ClaimState.Revealed;
        c.hash = outputHash;
        if (inlineOutput.length != 0) c.inlineOutput = true;
        emit ResultRevealed(jobId, workerId, entry, outputHash, outputURI, inlineOutput, signature);
        if (state == JobState.Revealing) {
            uint256 revealed = ++j.revealed;
            if (revealed == j.committed) JobSettlement.tally(_s, _config(), jobId);
        } else {
            // A round is decided by `closeReveals`, which anyone may call once its reveals are in.
            ++_s.rounds[jobId].revealed;
        }
    }

    /// @inheritdoc IJobMarket
    function closeReveals(uint256 jobId) external {
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        JobState state = j.state;
        if (state == JobState.Revealing) {
            if (block.timestamp < j.windowEnds) revert JobWindow(jobId, j.windowEnds);
            JobSettlement.tally(_s, _config(), jobId);
            return;
        }
        _requireState(jobId, state, JobState.Disputed);
        JobSettlement.RoundRecord storage r = _s.rounds[jobId];
        if (!r.drawn) {
            if (block.timestamp < r.commitEnds) revert JobWindow(jobId, r.commitEnds);
            JobSettlement.fail(_s, _config(), jobId);
            return;
        }
        uint256 ends = _roundRevealEnds(r);
        bool allIn = ends != 0 && r.revealed == r.committed;
        if (!allIn && (ends == 0 || block.timestamp < ends)) revert JobWindow(jobId, ends == 0 ? r.commitEnds : ends);
        JobSettlement.decide(_s, _config(), jobId);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Re-execution rounds
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function challenge(uint256 jobId) external {
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Proposed);
        if (j.challenged) revert JobAlreadyChallenged(jobId);
        if (block.timestamp >= j.windowEnds) revert JobWindow(jobId, j.windowEnds);
        uint256 serving = _s.modelWorkers[j.modelId].length;
        uint256 needed = _committeeSize + j.committed;
        if (serving < needed) revert JobCommitteeUnavailable(jobId, serving, needed);
        JobSettlement.openRound(_s, _config(), jobId, j, _s.rounds[jobId], msg.sender);
        _token.safeTransferFrom(msg.sender, address(this), _challengeBond);
    }

    /// @inheritdoc IJobMarket
    function drawCommittee(uint256 jobId) external {
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Disputed);
        JobSettlement.RoundRecord storage r = _s.rounds[jobId];
        if (r.drawn) revert JobWrongState(jobId, JobState.Disputed);
        if (block.timestamp >= r.commitEnds) revert JobWindow(jobId, r.commitEnds);
        uint256 drawBlock = r.drawBlock;
        if (block.number <= drawBlock) revert JobDrawTooEarly(jobId, drawBlock);
        bytes32 seed = blockhash(drawBlock);
        if (seed == bytes32(0)) {
            // Over 256 blocks ago: its hash is gone. The next block's, which nobody knows yet, draws instead.
            r.drawBlock = uint40(block.number + 1);
            emit CommitteeDrawMoved(jobId, block.number + 1);
            return;
        }
        JobSettlement.draw(_s, _config(), jobId, seed);
    }

    /// @inheritdoc IJobMarket
    function commitResult(uint256 jobId, uint256 entry, bytes32 commitment) external {
        if (commitment == bytes32(0)) revert JobInvalidCommitment();
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Disputed);
        JobSettlement.RoundRecord storage r = _s.rounds[jobId];
        if (block.timestamp >= r.commitEnds) revert JobWindow(jobId, r.commitEnds);
        JobSettlement.ClaimRecord storage c = _s.claims[jobId][entry];
        if (c.state != ClaimState.Drawn) revert JobNoClaim(jobId, entry);
        (uint256 identityId, IIdentityRegistry.KeyPurpose purpose, bool active) = _identities.keyInfo(msg.sender);
        if (!active || purpose != IIdentityRegistry.KeyPurpose.Worker || identityId != c.workerId) {
            revert JobNotWorker(msg.sender);
        }
        c.state = ClaimState.Committed;
        c.hash = commitment;
        uint256 committed = ++r.committed;
        emit MemberCommitted(jobId, identityId, entry, commitment);
        if (committed == r.size) {
            uint256 revealEnds = block.timestamp + _revealWindow;
            r.revealEnds = uint40(revealEnds);
            emit RevealsOpened(jobId, committed, revealEnds);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Ending
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function finalize(uint256 jobId, bytes calldata inlineOutput) external {
        JobSettlement.JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Proposed);
        if (block.timestamp < j.windowEnds) revert JobWindow(jobId, j.windowEnds);
        JobSettlement.finalize(_s, _config(), jobId, inlineOutput);
    }

    /// @inheritdoc IJobMarket
    function withdraw() external returns (uint256 amount) {
        amount = _s.earned[msg.sender];
        if (amount == 0) revert JobNothingToWithdraw(msg.sender);
        _s.earned[msg.sender] = 0;
        _token.safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function model(uint256 modelId) external view returns (Model memory) {
        return _s.models[modelId];
    }

    /// @inheritdoc IJobMarket
    function worker(uint256 workerId) external view returns (Worker memory) {
        JobSettlement.WorkerRecord storage w = _s.workers[workerId];
        return
            Worker({
                stake: w.stake,
                locked: uint96(uint256(w.seats) * _minStake),
                pricePerJob: w.pricePerJob,
                unstaking: w.unstaking,
                unstakeAt: w.unstakeAt,
                paused: w.paused,
                registered: w.registered
            });
    }

    /// @inheritdoc IJobMarket
    function serves(uint256 workerId, uint256 modelId) external view returns (bool) {
        return _s.listed[modelId][workerId] != 0;
    }

    /// @inheritdoc IJobMarket
    function modelWorkers(uint256 modelId) external view returns (uint256[] memory workerIds) {
        uint64[] storage list = _s.modelWorkers[modelId];
        workerIds = new uint256[](list.length);
        for (uint256 i; i < workerIds.length; ++i) workerIds[i] = list[i];
    }

    /// @inheritdoc IJobMarket
    function job(uint256 jobId) external view returns (Job memory) {
        JobSettlement.JobRecord storage j = _s.jobs[jobId];
        return
            Job({
                modelId: j.modelId,
                requesterId: j.requesterId,
                requester: j.requester,
                state: j.state,
                redundancy: j.redundancy,
                committed: j.committed,
                revealed: j.revealed,
                entries: j.committed + _s.rounds[jobId].size,
                challenged: j.challenged,
                proposed: j.proposed,
                deadline: j.deadline,
                windowEnds: j.windowEnds,
                maxFeePerWorker: j.maxFeePerWorker,
                inputHash: j.inputHash,
                callback: j.callback,
                callbackGasLimit: j.callbackGasLimit
            });
    }

    /// @inheritdoc IJobMarket
    function claim(uint256 jobId, uint256 entry) external view returns (Claim memory) {
        JobSettlement.ClaimRecord storage c = _s.claims[jobId][entry];
        ClaimState state = c.state;
        bool committing = state == ClaimState.Committed;
        bool revealed = state == ClaimState.Revealed || state == ClaimState.Slashed;
        return
            Claim({
                workerId: c.workerId,
                price: c.price,
                state: state,
                inlineOutput: c.inlineOutput,
                member: c.member,
                commitment: committing ? c.hash : bytes32(0),
                outputHash: revealed ? c.hash : bytes32(0)
            });
    }

    /// @inheritdoc IJobMarket
    function round(uint256 jobId) external view returns (Round memory) {
        JobSettlement.RoundRecord storage r = _s.rounds[jobId];
        return
            Round({
                challenger: r.challenger,
                drawBlock: r.drawBlock,
                commitEnds: r.commitEnds,
                revealEnds: r.drawn ? uint40(_roundRevealEnds(r)) : 0,
                size: r.size,
                committed: r.committed,
                revealed: r.revealed,
                drawn: r.drawn,
                pot: r.pot
            });
    }

    /// @inheritdoc IJobMarket
    function jobGrants(uint256 jobId) external view returns (uint256[] memory grantIds) {
        uint64[] storage stored = _s.grants[jobId];
        grantIds = new uint256[](stored.length);
        for (uint256 i; i < grantIds.length; ++i) grantIds[i] = stored[i];
    }

    /// @inheritdoc IJobMarket
    function reservedUses(uint256 grantId) external view returns (uint256) {
        return _s.reserved[grantId];
    }

    /// @inheritdoc IJobMarket
    function resultDigest(uint256 jobId, bytes32 outputHash, uint256 workerId) external view returns (bytes32) {
        return _resultDigest(jobId, _requireJob(jobId), outputHash, workerId);
    }

    /// @inheritdoc IJobMarket
    function commitmentOf(
        uint256 jobId,
        uint256 workerId,
        bytes32 outputHash,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(jobId, workerId, outputHash, salt));
    }

    /// @inheritdoc IJobMarket
    function earned(address account) external view returns (uint256) {
        return _s.earned[account];
    }

    /// @inheritdoc IJobMarket
    function modelCount() external view returns (uint256) {
        return _s.modelCount;
    }

    /// @inheritdoc IJobMarket
    function jobCount() external view returns (uint256) {
        return _s.jobCount;
    }

    /// @inheritdoc IJobMarket
    function paymentToken() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IJobMarket
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc IJobMarket
    function unstakeCooldown() external view returns (uint256) {
        return _unstakeCooldown;
    }

    /// @inheritdoc IJobMarket
    function challengeWindow() external view returns (uint256) {
        return _challengeWindow;
    }

    /// @inheritdoc IJobMarket
    function challengeBond() external view returns (uint256) {
        return _challengeBond;
    }

    /// @inheritdoc IJobMarket
    function silenceSlashBps() external view returns (uint256) {
        return _silenceSlashBps;
    }

    /// @inheritdoc IJobMarket
    function revealWindow() external view returns (uint256) {
        return _revealWindow;
    }

    /// @inheritdoc IJobMarket
    function committeeSize() external view returns (uint256) {
        return _committeeSize;
    }

    /// @inheritdoc IJobMarket
    function committeeWindow() external view returns (uint256) {
        return _committeeWindow;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals: requests
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The caller acts for the requester; the model takes jobs; input, redundancy, terms and callback are valid.
    function _checkRequest(JobRequest memory r) private view {
        _requireController(r.requesterId, true);
        Model storage m = _requireModel(r.modelId);
        if (!m.active) revert JobModelInactive(r.modelId);
        uint256 inputBytes = r.input.length;
        if (
            r.inputHash == bytes32(0) ||
            (inputBytes == 0) == (bytes(r.inputURI).length == 0) ||
            inputBytes > MAX_INLINE_INPUT ||
            bytes(r.inputURI).length > MAX_TEXT_BYTES ||
            (inputBytes != 0 && sha256(r.input) != r.inputHash)
        ) revert JobInvalidInput();
        if (r.redundancy == 0 || r.redundancy > MAX_REDUNDANCY) revert JobInvalidRedundancy(r.redundancy);
        if (r.maxFeePerWorker == 0 || r.deadline <= block.timestamp || r.deadline > block.timestamp + MAX_JOB_DURATION)
            revert JobInvalidTerms();
        if (
            r.callbackGasLimit > MAX_CALLBACK_GAS ||
            (r.callback == address(0) ? r.callbackGasLimit != 0 : r.callback.code.length == 0)
        ) revert JobInvalidCallback();
    }

    function _request(JobRequest memory r) private returns (uint256 jobId) {
        _checkRequest(r);
        uint256 k = r.redundancy;
        jobId = ++_s.jobCount;
        JobSettlement.JobRecord storage j = _s.jobs[jobId];
        j.modelId = uint64(r.modelId);
        j.maxFeePerWorker = r.maxFeePerWorker;
        j.deadline = r.deadline;
        j.state = JobState.Open;
        j.redundancy = uint8(k);
        j.requester = msg.sender;
        j.requesterId = uint64(r.requesterId);
        j.inputHash = r.inputHash;
        if (r.callback != address(0)) {
            j.callback = r.callback;
            j.callbackGasLimit = r.callbackGasLimit;
        }
        if (r.grantIds.length != 0) _citeGrants(jobId, r.requesterId, r.grantIds);
        _token.safeTransferFrom(msg.sender, address(this), k * r.maxFeePerWorker);
        emit JobRequested(jobId, r.modelId, r.requesterId, msg.sender, r);
    }

    /// @dev Each grant must be the requester's, active for Inference with its key delivered, unexpired, with a use
    /// left that open jobs have not reserved, and cited once; a use of each is reserved until the job ends.
    function _citeGrants(uint256 jobId, uint256 requesterId, uint256[] memory grantIds) private {
        if (grantIds.length > MAX_GRANTS) revert JobInvalidGrant(grantIds[MAX_GRANTS]);
        uint64[] storage stored = _s.grants[jobId];
        for (uint256 i; i < grantIds.length; ++i) {
            uint256 grantId = grantIds[i];
            IDataMarket.Grant memory g;
            try _data.grant(grantId) returns (IDataMarket.Grant memory found) {
                g = found;
            } catch {
                revert JobInvalidGrant(grantId);
            }
            uint256 reserved = _s.reserved[grantId];
            if (
                g.granteeId != requesterId ||
                !g.keyDelivered ||
                g.state != IDataMarket.GrantState.Active ||
                g.purpose != IDataMarket.Purpose.Inference ||
                block.timestamp >= g.expiresAt ||
                g.usesLeft <= reserved
            ) revert JobInvalidGrant(grantId);
            for (uint256 p; p < i; ++p) if (grantIds[p] == grantId) revert JobInvalidGrant(grantId);
            _s.reserved[grantId] = reserved + 1;
            stored.push(uint64(grantId));
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals: phases
    // ----------------------------------------------------------------------------------------------------------------

    function _openReveals(uint256 jobId, JobSettlement.JobRecord storage j) private {
        uint256 revealEnds = block.timestamp + _revealWindow;
        j.state = JobState.Revealing;
        j.windowEnds = uint40(revealEnds);
        emit RevealsOpened(jobId, j.committed, revealEnds);
    }

    /// @dev The parameters and contracts JobSettlement works with.
    function _config() private view returns (JobSettlement.Config memory) {
        return
            JobSettlement.Config({
                token: _token,
                identities: _identities,
                reputation: _reputation,
                data: _data,
                minStake: _minStake,
                challengeWindow: _challengeWindow,
                challengeBond: _challengeBond,
                silenceSlashBps: _silenceSlashBps,
                revealWindow: _revealWindow,
                committeeSize: _committeeSize,
                committeeWindow: _committeeWindow
            });
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals: checks
    // ----------------------------------------------------------------------------------------------------------------

    function _checkParameter(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert JobMarketInvalidParameter(name, value);
    }

    function _checkOutput(bytes32 outputHash, string calldata outputURI, bytes calldata inlineOutput) private pure {
        if (
            outputHash == bytes32(0) ||
            bytes(outputURI).length > MAX_TEXT_BYTES ||
            inlineOutput.length > MAX_INLINE_OUTPUT ||
            (inlineOutput.length != 0 && sha256(inlineOutput) != outputHash)
        ) revert JobInvalidOutput();
    }

    /// @dev The signature must be by an active Worker key of the worker over this job's result.
    function _checkSignature(
        uint256 jobId,
        JobSettlement.JobRecord storage j,
        bytes32 outputHash,
        uint256 workerId,
        bytes calldata signature
    ) private view {
        (address signer, ECDSA.RecoverError failure, ) = ECDSA.tryRecover(
            _resultDigest(jobId, j, outputHash, workerId),
            signature
        );
        if (
            failure != ECDSA.RecoverError.NoError ||
            !_identities.isActiveKey(signer, workerId, IIdentityRegistry.KeyPurpose.Worker)
        ) revert JobInvalidSignature();
    }

    function _resultDigest(
        uint256 jobId,
        JobSettlement.JobRecord storage j,
        bytes32 outputHash,
        uint256 workerId
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        JOB_RESULT_TYPEHASH,
                        jobId,
                        _s.models[j.modelId].modelHash,
                        j.inputHash,
                        outputHash,
                        workerId,
                        uint256(j.deadline)
                    )
                )
            );
    }

    /// @dev When the round's reveals are due: set once every seat committed, else the commit time's end plus the
    /// reveal window once that has passed; 0 while the reveals are not open.
    function _roundRevealEnds(JobSettlement.RoundRecord storage r) private view returns (uint256) {
        uint256 revealEnds = r.revealEnds;
        if (revealEnds != 0) return revealEnds;
        uint256 commitEnds = r.commitEnds;
        return block.timestamp >= commitEnds ? commitEnds + _revealWindow : 0;
    }

    /// @dev Adds or removes the worker from each model's list (serving a model it serves already, or leaving one it
    /// does not, changes nothing). A list whose model has a round awaiting its draw does not change: the draw follows
    /// its order.
    function _setModels(uint256 workerId, uint256[] calldata modelIds, bool serving) private {
        for (uint256 i; i < modelIds.length; ++i) {
            uint256 modelId = modelIds[i];
            uint256 place = _s.listed[modelId][workerId];
            uint64[] storage list = _s.modelWorkers[modelId];
            if ((place == 0) == serving && _s.undrawn[modelId] != 0) revert JobDrawPending(modelId);
            if (serving) {
                _requireModel(modelId);
                if (place != 0) continue;
                if (list.length >= MAX_MODEL_WORKERS) revert JobModelFull(modelId);
                list.push(uint64(workerId));
                _s.listed[modelId][workerId] = list.length;
            } else if (place != 0) {
                uint64 last = list[list.length - 1];
                list[place - 1] = last;
                _s.listed[modelId][last] = place;
                list.pop();
                delete _s.listed[modelId][workerId];
            }
        }
        emit WorkerModelsSet(workerId, modelIds, serving);
    }

    /// @dev The worker whose active Worker key is calling.
    function _callingWorker() private view returns (uint256 workerId) {
        (uint256 identityId, IIdentityRegistry.KeyPurpose purpose, bool active) = _identities.keyInfo(msg.sender);
        if (!active || purpose != IIdentityRegistry.KeyPurpose.Worker || !_s.workers[identityId].registered) {
            revert JobNotWorker(msg.sender);
        }
        return identityId;
    }

    function _requireModel(uint256 modelId) private view returns (Model storage m) {
        m = _s.models[modelId];
        if (m.ownerId == 0) revert JobUnknownModel(modelId);
    }

    function _requireWorker(uint256 workerId) private view returns (JobSettlement.WorkerRecord storage w) {
        w = _s.workers[workerId];
        if (!w.registered) revert JobUnknownWorker(workerId);
    }

    function _requireWorkerController(uint256 workerId) private view returns (JobSettlement.WorkerRecord storage w) {
        w = _requireWorker(workerId);
        _requireController(workerId, false);
    }

    function _requireJob(uint256 jobId) private view returns (JobSettlement.JobRecord storage j) {
        j = _s.jobs[jobId];
        if (j.state == JobState.None) revert JobUnknownJob(jobId);
    }

    function _requireState(uint256 jobId, JobState state, JobState expected) private pure {
        if (state != expected) revert JobWrongState(jobId, state);
    }

    /// @dev The identity's owner, or an active Operator key of it, or with `agents` an active Agent key of it.
    function _requireController(uint256 identityId, bool agents) private view {
        if (_identities.ownerOf(identityId) == msg.sender) return;
        if (_identities.isActiveKey(msg.sender, identityId, IIdentityRegistry.KeyPurpose.Operator)) return;
        if (agents && _identities.isActiveKey(msg.sender, identityId, IIdentityRegistry.KeyPurpose.Agent)) return;
        revert JobNotIdentityController(identityId, msg.sender);
    }
}
