// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {IDataMarket} from "./interfaces/IDataMarket.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IJobConsumer, IJobMarket} from "./interfaces/IJobMarket.sol";
import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";
import {Permits} from "./libraries/Permits.sol";

/// @title JobMarket
/// @notice See {IJobMarket}.
/// @dev Money: the market holds every job's escrow (`redundancy` x `maxFeePerWorker` from request to its end, when
/// it is paid out and refunded in full), every worker's stake and unstaking amount, every posted challenge bond
/// until its dispute is settled, and every account's unwithdrawn earnings, exactly. A slash moves collateral out of
/// a stake into earnings and refunds; nothing is minted or burnt.
/// `multicall` batches calls in one transaction (a worker's claims, results and finalizations in one block); no
/// function is payable, so a batch cannot reuse a value.
contract JobMarket is AccessControl, EIP712, Multicall, IJobMarket {
    using SafeERC20 for IERC20;

    /// @notice Settles disputes (a validator committee later).
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
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
    /// @notice How long a dispute waits for an arbiter before anyone may settle it without one.
    uint256 public constant MAX_DISPUTE_TIME = 7 days;
    /// @notice The most of each worker's fee a model owner may take.
    uint256 public constant MAX_OWNER_FEE_BPS = 5_000;

    /// @dev `JobResult(uint256 jobId,bytes32 modelHash,bytes32 inputHash,bytes32 outputHash,uint256 worker,uint256
    /// deadline)`.
    bytes32 private constant JOB_RESULT_TYPEHASH = keccak256(
        "JobResult(uint256 jobId,bytes32 modelHash,bytes32 inputHash,bytes32 outputHash,uint256 worker,uint256 deadline)"
    );
    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_WINDOW = 1 hours;
    uint256 private constant MAX_WINDOW = 7 days;
    uint256 private constant MAX_TEXT_BYTES = 256;
    uint256 private constant MAX_NAME_BYTES = 64;
    /// @dev What a callback costs besides its own gas: the call, a cold account, and the event after it.
    uint256 private constant CALLBACK_OVERHEAD = 12_000;
    bytes32 private constant RECEIPT_KIND = "job";

    /// @dev A job as stored: what claims and results read and write (slot A), the requester and the clock (slot B),
    /// the input hash, and the callback (written only when there is one).
    struct JobRecord {
        uint64 modelId;
        uint64 requesterId;
        uint80 maxFeePerWorker;
        uint8 redundancy;
        uint8 claimed;
        uint8 submitted;
        uint8 entries;
        uint8 rejected;
        bool challenged;
        address requester;
        JobState state;
        uint8 proposed;
        uint40 deadline;
        uint40 windowEnds;
        bytes32 inputHash;
        address callback;
        uint32 callbackGasLimit;
    }

    IERC20 private immutable _token;
    IIdentityRegistry private immutable _identities;
    IReputationRegistry private immutable _reputation;
    IDataMarket private immutable _data;
    uint256 private immutable _minStake;
    uint256 private immutable _unstakeCooldown;
    uint256 private immutable _challengeWindow;
    uint256 private immutable _challengeBond;
    uint256 private immutable _silenceSlashBps;

    uint256 private _modelCount;
    uint256 private _jobCount;
    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 workerId => Worker) private _workers;
    mapping(uint256 workerId => mapping(uint256 modelId => bool)) private _serves;
    mapping(uint256 jobId => JobRecord) private _jobs;
    mapping(uint256 jobId => mapping(uint256 entry => Claim)) private _claims;
    mapping(uint256 jobId => uint64[]) private _grants;
    mapping(uint256 jobId => address) private _challengers;
    mapping(address account => uint256) private _earned;

    /// @param token The payment token (FOLD).
    /// @param identities The identity registry.
    /// @param reputation The reputation registry (this market needs its writer role).
    /// @param data The data market (this market needs its market role to record grant uses).
    /// @param admin Manages roles (arbiters).
    /// @param params `minStake` (the least stake to register, and the collateral each claim locks), `unstakeCooldown`
    /// (1 hour to 30 days), `challengeWindow` (1 hour to 7 days), `challengeBond` and `silenceSlashBps` (the part of
    /// its collateral a claimed worker that never answered loses, 1 to 10,000).
    constructor(
        address token,
        address identities,
        address reputation,
        address data,
        address admin,
        uint256[5] memory params
    ) EIP712("Fourfold JobMarket", "1") {
        if (params[0] == 0 || params[0] > type(uint96).max) revert JobMarketInvalidParameter("minStake", params[0]);
        if (params[1] < 1 hours || params[1] > 30 days) revert JobMarketInvalidParameter("unstakeCooldown", params[1]);
        if (params[2] < MIN_WINDOW || params[2] > MAX_WINDOW) {
            revert JobMarketInvalidParameter("challengeWindow", params[2]);
        }
        if (params[3] == 0 || params[3] > type(uint96).max)
            revert JobMarketInvalidParameter("challengeBond", params[3]);
        if (params[4] == 0 || params[4] > BPS) revert JobMarketInvalidParameter("silenceSlashBps", params[4]);
        _token = IERC20(token);
        _identities = IIdentityRegistry(identities);
        _reputation = IReputationRegistry(reputation);
        _data = IDataMarket(data);
        _minStake = params[0];
        _unstakeCooldown = params[1];
        _challengeWindow = params[2];
        _challengeBond = params[3];
        _silenceSlashBps = params[4];
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
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
        modelId = ++_modelCount;
        // ownerId fits: identity ids are below 2^64 (the registry counts them one by one).
        _models[modelId] = Model({
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
        Worker storage w = _workers[workerId];
        if (w.registered) revert JobWorkerExists(workerId);
        if (stake < _minStake || stake > type(uint96).max) revert JobInvalidStake(stake, _minStake);
        if (pricePerJob > type(uint80).max) revert JobInvalidTerms();
        w.registered = true;
        w.stake = uint96(stake);
        w.pricePerJob = uint96(pricePerJob);
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
        Worker storage w = _requireWorkerController(workerId);
        if (pricePerJob > type(uint80).max) revert JobInvalidTerms();
        w.pricePerJob = uint96(pricePerJob);
        emit WorkerPriceSet(workerId, pricePerJob);
    }

    /// @inheritdoc IJobMarket
    function setWorkerPaused(uint256 workerId, bool paused) external {
        Worker storage w = _requireWorkerController(workerId);
        w.paused = paused;
        emit WorkerPausedSet(workerId, paused);
    }

    /// @inheritdoc IJobMarket
    function addStake(uint256 workerId, uint256 amount) external {
        Worker storage w = _requireWorker(workerId);
        uint256 stake = w.stake + amount;
        if (amount == 0 || stake > type(uint96).max) revert JobInvalidStake(amount, 1);
        w.stake = uint96(stake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
        emit StakeAdded(workerId, amount, stake);
    }

    /// @inheritdoc IJobMarket
    function requestUnstake(uint256 workerId, uint256 amount) external {
        Worker storage w = _requireWorkerController(workerId);
        uint256 free = w.stake - w.locked;
        if (amount == 0) revert JobInvalidStake(amount, 1);
        if (amount > free) revert JobStakeLocked(amount, free);
        uint256 unstakeAt = block.timestamp + _unstakeCooldown;
        w.stake -= uint96(amount);
        w.unstaking += uint96(amount);
        w.unstakeAt = uint40(unstakeAt);
        emit UnstakeRequested(workerId, amount, unstakeAt);
    }

    /// @inheritdoc IJobMarket
    function withdrawStake(uint256 workerId) external returns (uint256 amount) {
        Worker storage w = _requireWorker(workerId);
        amount = w.unstaking;
        if (amount == 0 || block.timestamp < w.unstakeAt) revert JobUnstakeNotReady(w.unstakeAt);
        w.unstaking = 0;
        address to = _identities.ownerOf(workerId);
        _token.safeTransfer(to, amount);
        emit StakeWithdrawn(workerId, to, amount);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Requests, claims, results
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
    function claimJob(uint256 jobId) external {
        uint256 workerId = _callingWorker();
        JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Open);
        if (block.timestamp >= j.deadline) revert JobDeadline(jobId, j.deadline);
        uint256 entries = j.entries;
        if (j.claimed >= j.redundancy) revert JobFullyClaimed(jobId);
        Worker storage w = _workers[workerId];
        uint256 price = w.pricePerJob;
        if (
            w.paused ||
            !_serves[workerId][j.modelId] ||
            price > j.maxFeePerWorker ||
            w.stake - w.locked < _minStake ||
            _entryOf(jobId, entries, workerId) != 0
        ) revert JobNotEligible(jobId, workerId);
        w.locked += uint96(_minStake);
        _claims[jobId][entries] = Claim({
            workerId: uint64(workerId),
            price: uint96(price),
            state: ClaimState.Claimed,
            inlineOutput: false,
            outputHash: bytes32(0)
        });
        // At most 2k - 1 entries: k - 1 rejections, then k claims.
        j.entries = uint8(entries + 1);
        ++j.claimed;
        emit JobClaimed(jobId, workerId, entries, price);
    }

    /// @inheritdoc IJobMarket
    function rejectJob(uint256 jobId, RejectReason reason) external {
        if (reason == RejectReason.None) revert JobInvalidReason();
        uint256 workerId = _callingWorker();
        JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Open);
        Claim storage c = _openClaim(jobId, j, workerId, ClaimState.Claimed);
        c.state = ClaimState.Rejected;
        _workers[workerId].locked -= uint96(_minStake);
        --j.claimed;
        uint256 rejected = ++j.rejected;
        emit JobRejected(jobId, workerId, reason);
        if (rejected >= j.redundancy) _refund(jobId, j, false);
    }

    /// @inheritdoc IJobMarket
    function submitResult(
        uint256 jobId,
        uint256 workerId,
        bytes32 outputHash,
        string calldata outputURI,
        bytes calldata inlineOutput,
        bytes calldata signature
    ) external {
        JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Open);
        if (block.timestamp >= j.deadline) revert JobDeadline(jobId, j.deadline);
        _checkOutput(outputHash, outputURI, inlineOutput);
        Claim storage c = _openClaim(jobId, j, workerId, ClaimState.Claimed);
        _checkSignature(jobId, j, outputHash, workerId, signature);
        c.state = ClaimState.Submitted;
        c.inlineOutput = inlineOutput.length != 0;
        c.outputHash = outputHash;
        uint256 submitted = ++j.submitted;
        emit ResultSubmitted(jobId, workerId, outputHash, outputURI, inlineOutput, signature);
        if (submitted == j.redundancy) _tally(jobId, j);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Challenges
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function challenge(uint256 jobId) external {
        JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Proposed);
        if (j.challenged) revert JobAlreadyChallenged(jobId);
        if (block.timestamp >= j.windowEnds) revert JobWindow(jobId, j.windowEnds);
        _challengers[jobId] = msg.sender;
        _dispute(jobId, j, msg.sender, _challengeBond);
        _token.safeTransferFrom(msg.sender, address(this), _challengeBond);
    }

    /// @inheritdoc IJobMarket
    function resolveDispute(uint256 jobId, bytes32 correctOutputHash) external onlyRole(ARBITER_ROLE) {
        JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Disputed);
        address challenger = _challengers[jobId];
        uint256 entries = j.entries;
        uint256 proposed = j.proposed;
        if (proposed != 0 && _claims[jobId][proposed - 1].outputHash == correctOutputHash) {
            // The challenge failed: the bond goes to the workers who produced the output, and the job is final.
            emit DisputeResolved(jobId, msg.sender, correctOutputHash, false);
            (address[] memory winners, uint256 count) = _payeesOf(jobId, entries, correctOutputHash);
            uint256 dust = _share(winners, count, _challengeBond);
            if (dust != 0) _credit(j.requester, dust);
            j.state = JobState.Proposed;
            j.windowEnds = uint40(block.timestamp);
            return;
        }
        emit DisputeResolved(jobId, msg.sender, correctOutputHash, challenger != address(0));
        uint256 newProposed = _slashWrong(jobId, j, correctOutputHash, challenger);
        if (newProposed == 0) {
            _refund(jobId, j, false);
            return;
        }
        j.proposed = uint8(newProposed);
        j.state = JobState.Proposed;
        j.windowEnds = uint40(block.timestamp);
    }

    /// @dev An upheld challenge (or, without a majority, the arbiter's pick): every output but `correct` is slashed;
    /// half of each slash goes to the challenger (whose bond comes back), or else to the workers who were right, and
    /// the rest to the requester. Returns 1 + the first entry that was right, or 0.
    function _slashWrong(
        uint256 jobId,
        JobRecord storage j,
        bytes32 correct,
        address challenger
    ) private returns (uint256 firstRight) {
        uint256 entries = j.entries;
        (address[] memory others, uint256 otherCount) = _payeesOf(jobId, entries, correct);
        if (challenger != address(0)) {
            others = new address[](1);
            others[0] = challenger;
            otherCount = 1;
            _credit(challenger, _challengeBond);
        }
        uint256 toRequester;
        for (uint256 i; i < entries; ++i) {
            Claim storage c = _claims[jobId][i];
            if (c.state != ClaimState.Submitted) continue;
            if (c.outputHash == correct) {
                if (firstRight == 0) firstRight = i + 1;
                continue;
            }
            c.state = ClaimState.Slashed;
            toRequester += _slash(jobId, c.workerId, others, otherCount, IReputationRegistry.Outcome.ChallengeLost);
        }
        if (toRequester != 0) _credit(j.requester, toRequester);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Ending
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function finalize(uint256 jobId, bytes calldata inlineOutput) external {
        JobRecord storage j = _requireJob(jobId);
        JobState state = j.state;
        if (state != JobState.Proposed && state != JobState.Disputed) revert JobWrongState(jobId, state);
        if (block.timestamp < j.windowEnds) revert JobWindow(jobId, j.windowEnds);
        if (state == JobState.Disputed) {
            // No arbiter came: nobody is found at fault. A challenger gets the bond back; a job without a majority is
            // refunded.
            address challenger = _challengers[jobId];
            if (challenger != address(0)) _credit(challenger, _challengeBond);
            if (j.proposed == 0) {
                _refund(jobId, j, false);
                return;
            }
        }
        Claim storage chosen = _claims[jobId][j.proposed - 1];
        bytes32 outputHash = chosen.outputHash;
        if ((chosen.inlineOutput || inlineOutput.length != 0) && sha256(inlineOutput) != outputHash) {
            revert JobInlineOutputRequired(jobId);
        }
        j.state = JobState.Final;
        (uint256 paid, uint256 refund) = _payOut(jobId, j, outputHash);
        emit JobFinalized(jobId, outputHash, paid, refund);
        _recordGrantUses(jobId);
        if (j.callback != address(0)) _callBack(jobId, j, outputHash, inlineOutput);
    }

    /// @inheritdoc IJobMarket
    function expireJob(uint256 jobId) external {
        JobRecord storage j = _requireJob(jobId);
        _requireState(jobId, j.state, JobState.Open);
        if (block.timestamp < j.deadline) revert JobDeadline(jobId, j.deadline);
        _refund(jobId, j, true);
    }

    /// @inheritdoc IJobMarket
    function withdraw() external returns (uint256 amount) {
        amount = _earned[msg.sender];
        if (amount == 0) revert JobNothingToWithdraw(msg.sender);
        _earned[msg.sender] = 0;
        _token.safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IJobMarket
    function model(uint256 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc IJobMarket
    function worker(uint256 workerId) external view returns (Worker memory) {
        return _workers[workerId];
    }

    /// @inheritdoc IJobMarket
    function serves(uint256 workerId, uint256 modelId) external view returns (bool) {
        return _serves[workerId][modelId];
    }

    /// @inheritdoc IJobMarket
    function job(uint256 jobId) external view returns (Job memory) {
        JobRecord storage j = _jobs[jobId];
        return
            Job({
                modelId: j.modelId,
                requesterId: j.requesterId,
                requester: j.requester,
                state: j.state,
                redundancy: j.redundancy,
                claimed: j.claimed,
                submitted: j.submitted,
                rejected: j.rejected,
                entries: j.entries,
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
        return _claims[jobId][entry];
    }

    /// @inheritdoc IJobMarket
    function jobGrants(uint256 jobId) external view returns (uint256[] memory grantIds) {
        uint64[] storage stored = _grants[jobId];
        grantIds = new uint256[](stored.length);
        for (uint256 i; i < grantIds.length; ++i) grantIds[i] = stored[i];
    }

    /// @inheritdoc IJobMarket
    function resultDigest(uint256 jobId, bytes32 outputHash, uint256 workerId) external view returns (bytes32) {
        return _resultDigest(jobId, _requireJob(jobId), outputHash, workerId);
    }

    /// @inheritdoc IJobMarket
    function earned(address account) external view returns (uint256) {
        return _earned[account];
    }

    /// @inheritdoc IJobMarket
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @inheritdoc IJobMarket
    function jobCount() external view returns (uint256) {
        return _jobCount;
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

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The caller acts for the requester; the model takes jobs; input, redundancy, terms and callback are valid.
    function _checkRequest(JobRequest calldata r) private view {
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

    function _request(JobRequest calldata r) private returns (uint256 jobId) {
        _checkRequest(r);
        uint256 k = r.redundancy;
        jobId = ++_jobCount;
        JobRecord storage j = _jobs[jobId];
        j.modelId = uint64(r.modelId);
        j.requesterId = uint64(r.requesterId);
        j.maxFeePerWorker = r.maxFeePerWorker;
        j.redundancy = uint8(k);
        j.requester = msg.sender;
        j.state = JobState.Open;
        j.deadline = r.deadline;
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
    /// left, and cited once.
    function _citeGrants(uint256 jobId, uint256 requesterId, uint256[] calldata grantIds) private {
        if (grantIds.length > MAX_GRANTS) revert JobInvalidGrant(grantIds[MAX_GRANTS]);
        uint64[] storage stored = _grants[jobId];
        for (uint256 i; i < grantIds.length; ++i) {
            uint256 grantId = grantIds[i];
            IDataMarket.Grant memory g;
            try _data.grant(grantId) returns (IDataMarket.Grant memory found) {
                g = found;
            } catch {
                revert JobInvalidGrant(grantId);
            }
            if (
                g.granteeId != requesterId ||
                !g.keyDelivered ||
                g.state != IDataMarket.GrantState.Active ||
                g.purpose != IDataMarket.Purpose.Inference ||
                block.timestamp >= g.expiresAt ||
                g.usesLeft == 0
            ) revert JobInvalidGrant(grantId);
            for (uint256 p; p < i; ++p) if (grantIds[p] == grantId) revert JobInvalidGrant(grantId);
            stored.push(uint64(grantId));
        }
    }

    /// @dev After the k-th result: a strict majority is proposed and its window starts; otherwise the arbiters decide.
    function _tally(uint256 jobId, JobRecord storage j) private {
        uint256 entries = j.entries;
        uint256 k = j.redundancy;
        uint256 best;
        uint256 bestVotes;
        bytes32 bestHash;
        for (uint256 i; i < entries; ++i) {
            Claim storage c = _claims[jobId][i];
            if (c.state != ClaimState.Submitted) continue;
            bytes32 h = c.outputHash;
            if (h == bestHash) continue;
            uint256 votes;
            for (uint256 o = i; o < entries; ++o) {
                Claim storage other = _claims[jobId][o];
                if (other.state == ClaimState.Submitted && other.outputHash == h) ++votes;
            }
            if (votes > bestVotes) {
                bestVotes = votes;
                best = i;
                bestHash = h;
            }
            if (2 * votes > k) break;
        }
        if (2 * bestVotes > k) {
            uint256 windowEnds = block.timestamp + _challengeWindow;
            j.proposed = uint8(best + 1);
            j.state = JobState.Proposed;
            j.windowEnds = uint40(windowEnds);
            emit ResultProposed(jobId, bestHash, bestVotes, windowEnds);
        } else {
            _dispute(jobId, j, address(0), 0);
        }
    }

    function _dispute(uint256 jobId, JobRecord storage j, address challenger, uint256 bond) private {
        uint256 settleAfter = block.timestamp + MAX_DISPUTE_TIME;
        j.challenged = true;
        j.state = JobState.Disputed;
        j.windowEnds = uint40(settleAfter);
        emit JobDisputed(jobId, challenger, bond, settleAfter);
    }

    /// @dev Pays the workers whose output is `outputHash`, and the model owner's share; slashes the other submitted
    /// workers (half to the paid workers, the rest to the requester); refunds the rest of the escrow.
    function _payOut(
        uint256 jobId,
        JobRecord storage j,
        bytes32 outputHash
    ) private returns (uint256 paid, uint256 refund) {
        Model storage m = _models[j.modelId];
        (uint256 ownerShare, uint256 toRequester) = (0, 0);
        (paid, ownerShare, toRequester) = _settleClaims(jobId, j, outputHash, m.ownerFeeBps);
        if (ownerShare != 0) _credit(_identities.ownerOf(m.ownerId), ownerShare);
        refund = uint256(j.redundancy) * j.maxFeePerWorker - paid;
        _send(j.requester, refund + toRequester);
    }

    /// @dev The claims' side of `_payOut`: what the paid workers earned in all, the model owner's share of it, and
    /// what the slashes left for the requester.
    function _settleClaims(
        uint256 jobId,
        JobRecord storage j,
        bytes32 outputHash,
        uint256 feeBps
    ) private returns (uint256 paid, uint256 ownerShare, uint256 toRequester) {
        uint256 entries = j.entries;
        (address[] memory winners, uint256 count) = _payeesOf(jobId, entries, outputHash);
        uint256 w;
        for (uint256 i; i < entries; ++i) {
            Claim storage c = _claims[jobId][i];
            if (c.state != ClaimState.Submitted) continue;
            if (c.outputHash != outputHash) {
                toRequester += _slash(jobId, c.workerId, winners, count, IReputationRegistry.Outcome.Slashed);
                continue;
            }
            paid += c.price;
            ownerShare += _payWorker(jobId, j.requesterId, c.workerId, winners[w], c.price, feeBps);
            ++w;
        }
    }

    /// @dev Pays a worker whose output is final its price less the model owner's cut (returned), releases its
    /// collateral, and records the receipt and the outcome.
    function _payWorker(
        uint256 jobId,
        uint256 requesterId,
        uint256 workerId,
        address payee,
        uint256 price,
        uint256 feeBps
    ) private returns (uint256 cut) {
        cut = (price * feeBps) / BPS;
        _credit(payee, price - cut);
        _workers[workerId].locked -= uint96(_minStake);
        if (price != 0 && requesterId != workerId) {
            _reputation.recordReceipt(requesterId, workerId, RECEIPT_KIND, bytes32(jobId), price);
        }
        _reputation.recordOutcome(workerId, IReputationRegistry.Outcome.Completed, bytes32(jobId));
    }

    /// @dev Takes one claim's collateral: half split among `others` (the first `count` of them), the rest (and the
    /// split's dust) returned to be credited to the requester.
    function _slash(
        uint256 jobId,
        uint256 workerId,
        address[] memory others,
        uint256 count,
        IReputationRegistry.Outcome outcome
    ) private returns (uint256 toRequester) {
        Worker storage w = _workers[workerId];
        uint256 collateral = _minStake;
        w.stake -= uint96(collateral);
        w.locked -= uint96(collateral);
        uint256 toOthers = count == 0 ? 0 : collateral / 2;
        toRequester = collateral - toOthers + _share(others, count, toOthers);
        emit WorkerSlashed(jobId, workerId, toRequester, toOthers);
        _reputation.recordOutcome(workerId, outcome, bytes32(jobId));
    }

    /// @dev Credits `amount` equally to the first `count` of `accounts`; returns the dust (all of it when count is 0).
    function _share(address[] memory accounts, uint256 count, uint256 amount) private returns (uint256 dust) {
        if (count == 0) return amount;
        uint256 each = amount / count;
        for (uint256 i; i < count; ++i) _credit(accounts[i], each);
        return amount - each * count;
    }

    /// @dev The owners of the workers whose submitted output is `outputHash`, in entry order.
    function _payeesOf(
        uint256 jobId,
        uint256 entries,
        bytes32 outputHash
    ) private view returns (address[] memory payees, uint256 count) {
        payees = new address[](entries);
        for (uint256 i; i < entries; ++i) {
            Claim storage c = _claims[jobId][i];
            if (c.state == ClaimState.Submitted && c.outputHash == outputHash) {
                payees[count] = _identities.ownerOf(c.workerId);
                ++count;
            }
        }
    }

    /// @dev Ends a job with the whole escrow back to the requester. Open claims are released; with `silence` (an
    /// expired job) a claimed worker that never submitted loses `silenceSlashBps` of its collateral to the requester.
    function _refund(uint256 jobId, JobRecord storage j, bool silence) private {
        j.state = JobState.Refunded;
        uint256 refund = uint256(j.redundancy) * j.maxFeePerWorker;
        uint256 slashed;
        uint256 entries = j.entries;
        for (uint256 i; i < entries; ++i) {
            Claim storage c = _claims[jobId][i];
            ClaimState state = c.state;
            if (state != ClaimState.Claimed && state != ClaimState.Submitted) continue;
            Worker storage w = _workers[c.workerId];
            w.locked -= uint96(_minStake);
            if (silence && state == ClaimState.Claimed) {
                uint256 penalty = (_minStake * _silenceSlashBps) / BPS;
                w.stake -= uint96(penalty);
                slashed += penalty;
                emit WorkerSlashed(jobId, c.workerId, penalty, 0);
                _reputation.recordOutcome(c.workerId, IReputationRegistry.Outcome.Slashed, bytes32(jobId));
            }
        }
        emit JobRefunded(jobId, refund);
        _send(j.requester, refund + slashed);
    }

    function _recordGrantUses(uint256 jobId) private {
        uint64[] storage grants = _grants[jobId];
        uint256 count = grants.length;
        for (uint256 i; i < count; ++i) {
            uint256 grantId = grants[i];
            try _data.recordUse(grantId, IDataMarket.Purpose.Inference, keccak256(abi.encode(address(this), jobId))) {
                // recorded and paid from the grant's escrow
            } catch {
                emit GrantUseFailed(jobId, grantId);
            }
        }
    }

    /// @dev Calls the consumer with exactly its gas limit, copying no return data: whatever it does, the job stays
    /// final and paid. The caller must leave enough gas for the limit to be honoured (EIP-150 keeps 1/64 back).
    function _callBack(uint256 jobId, JobRecord storage j, bytes32 outputHash, bytes calldata inlineOutput) private {
        address target = j.callback;
        uint256 gasLimit = j.callbackGasLimit;
        bytes memory payload = abi.encodeCall(IJobConsumer.onJobResult, (jobId, outputHash, inlineOutput));
        uint256 needed = gasLimit + gasLimit / 63 + CALLBACK_OVERHEAD;
        if (gasleft() < needed) revert JobInsufficientGas(needed);
        bool ok;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := call(gasLimit, target, 0, add(payload, 0x20), mload(payload), 0, 0)
        }
        emit CallbackResult(jobId, target, ok);
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
        JobRecord storage j,
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
        JobRecord storage j,
        bytes32 outputHash,
        uint256 workerId
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        JOB_RESULT_TYPEHASH,
                        jobId,
                        _models[j.modelId].modelHash,
                        j.inputHash,
                        outputHash,
                        workerId,
                        uint256(j.deadline)
                    )
                )
            );
    }

    function _setModels(uint256 workerId, uint256[] calldata modelIds, bool serving) private {
        for (uint256 i; i < modelIds.length; ++i) {
            if (serving) _requireModel(modelIds[i]);
            _serves[workerId][modelIds[i]] = serving;
        }
        emit WorkerModelsSet(workerId, modelIds, serving);
    }

    /// @dev The worker whose active Worker key is calling.
    function _callingWorker() private view returns (uint256 workerId) {
        (uint256 identityId, IIdentityRegistry.KeyPurpose purpose, bool active) = _identities.keyInfo(msg.sender);
        if (!active || purpose != IIdentityRegistry.KeyPurpose.Worker || !_workers[identityId].registered) {
            revert JobNotWorker(msg.sender);
        }
        return identityId;
    }

    /// @dev The worker's open claim in the state `state`, or JobNoClaim.
    function _openClaim(
        uint256 jobId,
        JobRecord storage j,
        uint256 workerId,
        ClaimState state
    ) private view returns (Claim storage c) {
        uint256 entry = _entryOf(jobId, j.entries, workerId);
        if (entry == 0) revert JobNoClaim(jobId, workerId);
        c = _claims[jobId][entry - 1];
        if (c.state != state) revert JobNoClaim(jobId, workerId);
    }

    /// @dev 1 + the entry of `workerId`'s claim on the job, or 0.
    function _entryOf(uint256 jobId, uint256 entries, uint256 workerId) private view returns (uint256) {
        for (uint256 i; i < entries; ++i) if (_claims[jobId][i].workerId == workerId) return i + 1;
        return 0;
    }

    function _credit(address account, uint256 amount) private {
        _earned[account] += amount;
    }

    function _send(address to, uint256 amount) private {
        if (amount != 0) _token.safeTransfer(to, amount);
    }

    function _requireModel(uint256 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.ownerId == 0) revert JobUnknownModel(modelId);
    }

    function _requireWorker(uint256 workerId) private view returns (Worker storage w) {
        w = _workers[workerId];
        if (!w.registered) revert JobUnknownWorker(workerId);
    }

    function _requireWorkerController(uint256 workerId) private view returns (Worker storage w) {
        w = _requireWorker(workerId);
        _requireController(workerId, false);
    }

    function _requireJob(uint256 jobId) private view returns (JobRecord storage j) {
        j = _jobs[jobId];
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
