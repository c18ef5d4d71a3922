// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {DataMarket} from "../../contracts/DataMarket.sol";
import {FoldToken} from "../../contracts/FoldToken.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {JobMarket} from "../../contracts/JobMarket.sol";
import {ReputationRegistry} from "../../contracts/ReputationRegistry.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {NodeKeys} from "./utils/NodeKeys.sol";

/// @dev Drives jobs of redundancy 1 to 3 against adversaries, and keeps ghosts of what the requester put in.
/// Who profits if settlement goes wrong, and how each is played here:
/// - the requester, who also owns two Sybil workers: they claim its jobs and lie, tell the truth, or stay silent,
///   hoping for a refund that skips paying the honest worker, or for a slash of honest work;
/// - the liar, a worker of its own owner that always reveals a wrong output, and as a committee member votes wrong;
/// - a copier, which tries to reveal another worker's output with its own commitment;
/// - the challenger, who challenges proposals right and wrong, with a bond, and owns an (honest) worker of its own,
///   which may never judge its challenges;
/// - anyone, who calls the permissionless steps (closes, draws, finalizations) at the worst moment, after time jumps
///   that let windows lapse;
/// - whoever would profit from a committee of its choosing: once a draw's seed is known, workers pause, unstake or
///   try to leave the model and anyone stakes on a worker, and the committee drawn must be the one drawn without
///   any of it.
/// Honest workers (four, of four owners) always reveal the honest output when asked; the committee (three seats) is
/// drawn from whoever is eligible, so it may hold the liar and Sybils never sit on the requester's own jobs. Stakes
/// differ (one to three times `minStake`), so that seats drawn beyond a worker's free stake, and slashes of more
/// than is left, happen.
contract JobMarketHandler is NodeKeys {
    uint256 public constant MIN_STAKE = 100 ether;
    uint256 public constant BOND = 10 ether;
    uint256 public constant OWNER_FEE_BPS = 1_500;
    uint256 public constant WORKERS = 8;
    /// @dev Worker kinds by index: 0-3 honest, 4 the liar, 5-6 the requester's Sybils, 7 the challenger's own.
    uint256 public constant LIAR = 4;
    uint256 public constant CHALLENGERS = 7;
    bytes32 public constant HONEST = sha256("honest");
    bytes32 public constant LIE = sha256("lie");
    bytes32 public constant OTHER = sha256("other");

    JobMarket public immutable market;
    FoldToken public immutable token;
    address public immutable modelOwner = makeAddr("model owner");
    address public immutable requester = makeAddr("requester");
    address public immutable challenger = makeAddr("challenger");
    uint256 public immutable requesterId;
    address[WORKERS] public workerOwners;
    uint256[WORKERS] public workerIds;
    uint256[WORKERS] private _keys;
    uint256[] public jobs;
    /// @dev What each worker committed to on each job (its output), and whether a challenge's bond is still held.
    mapping(uint256 jobId => mapping(uint256 workerId => bytes32)) public committedTo;
    mapping(uint256 jobId => bool) public bondHeld;
    /// @dev The requester's FOLD once its Sybils are registered: it may never exceed this plus nothing.
    uint256 public requesterBase;
    /// @dev What the model owner withdrew.
    uint256 public ownerWithdrawn;
    bool public started;

    constructor(JobMarket market_, FoldToken token_, IdentityRegistry identities) {
        market = market_;
        token = token_;
        vm.prank(modelOwner);
        uint256 ownerId = identities.register("model-owner", "");
        vm.prank(modelOwner);
        market.registerModel(ownerId, keccak256("weights"), "ocr", "", OWNER_FEE_BPS);
        vm.prank(requester);
        requesterId = identities.register("requester", "");
        for (uint256 i; i < WORKERS; ++i) {
            address who =
                _isSybil(i)
                    ? requester
                    : i == CHALLENGERS
                        ? challenger
                        : makeAddr(string.concat("worker owner ", vm.toString(i)));
            workerOwners[i] = who;
            vm.prank(who);
            workerIds[i] = identities.register(string.concat("worker-", vm.toString(i)), "");
            _keys[i] = uint256(keccak256(abi.encode("worker key", i)));
            _bindKey(identities, who, workerIds[i], _keys[i], IIdentityRegistry.KeyPurpose.Worker);
        }
    }

    /// @dev Called once the actors hold FOLD: approvals and the workers' registrations (later calls do nothing).
    function start() external {
        if (started) return;
        started = true;
        vm.prank(requester);
        token.approve(address(market), type(uint256).max);
        vm.prank(challenger);
        token.approve(address(market), type(uint256).max);
        uint256[] memory models = new uint256[](1);
        models[0] = 1;
        for (uint256 i; i < WORKERS; ++i) {
            vm.startPrank(workerOwners[i]);
            token.approve(address(market), type(uint256).max);
            market.registerWorker(workerIds[i], models, 0.05 ether + i * 0.01 ether, (1 + (i % 3)) * MIN_STAKE);
            vm.stopPrank();
        }
        requesterBase = token.balanceOf(requester);
    }

    function request(uint256 k, uint256 fee) external {
        k = bound(k, 1, 3);
        fee = bound(fee, 0.11 ether, 1 ether);
        if (token.balanceOf(requester) < k * fee) return;
        IJobMarket.JobRequest memory r = IJobMarket.JobRequest({
            requesterId: requesterId,
            modelId: 1,
            input: "",
            inputHash: sha256("input"),
            inputURI: "ipfs://input",
            grantIds: new uint256[](0),
            redundancy: uint8(k),
            maxFeePerWorker: uint80(fee),
            deadline: uint40(block.timestamp + 1 days),
            callback: address(0),
            callbackGasLimit: 0
        });
        vm.prank(requester);
        jobs.push(market.requestJob(r));
    }

    /// @dev A worker claims an Open job with a commitment to the output its kind produces (a Sybil picks one by
    /// `choice`).
    function claim(uint256 workerSeed, uint256 jobSeed, uint256 choice) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Open));
        uint256 w = workerSeed % WORKERS;
        if (jobId == 0) return;
        IJobMarket.Job memory j = market.job(jobId);
        if (block.timestamp >= j.deadline || _entryOf(jobId, j.committed, workerIds[w]) != 0) return;
        IJobMarket.Worker memory worker = market.worker(workerIds[w]);
        if (worker.paused || worker.stake < uint256(worker.locked) + MIN_STAKE) return;
        if (worker.pricePerJob > j.maxFeePerWorker) return;
        bytes32 output = _outputOf(w, choice);
        committedTo[jobId][workerIds[w]] = output;
        bytes32 commitment = _commitment(jobId, w, output); // before the prank, which the next call takes
        vm.prank(vm.addr(_keys[w]));
        market.claimJob(jobId, commitment);
    }

    /// @dev Reveals what a worker (or committee member) committed to, when its phase is open. A Sybil given an even
    /// `choice` stays silent instead. The copier's attempt (the liar revealing another entry's output with its own
    /// salt) must be refused.
    function reveal(uint256 jobSeed, uint256 entrySeed, uint256 choice) external {
        uint256 jobId = _scan(
            jobSeed,
            (1 << uint8(IJobMarket.JobState.Revealing)) | (1 << uint8(IJobMarket.JobState.Disputed))
        );
        if (jobId == 0) return;
        IJobMarket.Job memory j = market.job(jobId);
        if (j.entries == 0) return;
        uint256 entry = entrySeed % j.entries;
        IJobMarket.Claim memory c = market.claim(jobId, entry);
        if (c.state != IJobMarket.ClaimState.Committed || !_revealOpen(jobId, j)) return;
        uint256 w = _indexOf(c.workerId);
        if (_isSybil(w) && choice % 2 == 0) return;
        bytes32 output = committedTo[jobId][c.workerId];
        if (w == LIAR) _tryCopy(jobId, entry, c.workerId, output == HONEST ? LIE : HONEST);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keys[w], market.resultDigest(jobId, output, c.workerId));
        market.revealResult(jobId, entry, output, _salt(jobId, w), "", "", abi.encodePacked(r, s, v));
    }

    /// @dev Runs an Open job's claims and reveals in one step: workers from `first` on claim it (each by its kind,
    /// Sybils by `choice`), then each reveals unless it is a Sybil choosing silence; so that random campaigns reach
    /// proposals, ties and rounds within their depth.
    function runJob(uint256 jobSeed, uint256 first, uint256 choice) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Open));
        if (jobId == 0) return;
        for (uint256 i; i < WORKERS; ++i) {
            if (market.job(jobId).state != IJobMarket.JobState.Open) break;
            this.claim((first % WORKERS) + i, _indexOfJob(jobId), choice >> i);
        }
        IJobMarket.Job memory j = market.job(jobId);
        for (uint256 e; e < j.committed; ++e) this.reveal(_indexOfJob(jobId), e, choice >> (e + 8));
    }

    /// @dev Draws a Disputed job's committee and has each member commit and reveal, then closes the round.
    function runRound(uint256 jobSeed, uint256 hashSeed, uint256 choice) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Disputed));
        if (jobId == 0) return;
        uint256 at = _indexOfJob(jobId);
        this.draw(at, hashSeed, choice);
        IJobMarket.Round memory r = market.round(jobId);
        if (!r.drawn) return;
        for (uint256 seat; seat < r.size; ++seat) this.memberCommit(at, seat, choice >> seat);
        IJobMarket.Job memory j = market.job(jobId);
        for (uint256 e = j.committed; e < j.entries; ++e) this.reveal(at, e, 1);
        this.closeReveals(at);
    }

    function closeCommits(uint256 jobSeed) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Open));
        if (jobId == 0 || block.timestamp < market.job(jobId).deadline) return;
        market.closeCommits(jobId);
    }

    /// @dev Closes a reveal phase or a round when the market allows it (a refusal is the market's to make: the call
    /// is tried, and a refusal changes nothing). A refusal must be one of the market's errors: a panic (an overflow, a
    /// slash of more than is staked) would leave the job stuck for good.
    function closeReveals(uint256 jobSeed) external {
        uint256 jobId = _scan(
            jobSeed,
            (1 << uint8(IJobMarket.JobState.Revealing)) | (1 << uint8(IJobMarket.JobState.Disputed))
        );
        if (jobId == 0) return;
        try market.closeReveals(jobId) {
            _roundEnded(jobId);
        } catch (bytes memory reason) {
            require(bytes4(reason) != bytes4(keccak256("Panic(uint256)")), "closing a job panicked");
        }
    }

    function challenge(uint256 jobSeed) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Proposed));
        if (jobId == 0) return;
        IJobMarket.Job memory j = market.job(jobId);
        if (j.challenged || block.timestamp >= j.windowEnds || token.balanceOf(challenger) < BOND) return;
        vm.prank(challenger);
        market.challenge(jobId);
        bondHeld[jobId] = true;
    }

    /// @dev Draws a round's committee from a draw block whose hash `hashSeed` picks (the test chain keeps no block
    /// hashes of its own): any hash at all must give a committee within the rules. With the seed known, whoever would
    /// profit first tries to steer the draw (`_steer`); the committee then drawn must be the one drawn, from the same
    /// state, without any of it.
    function draw(uint256 jobSeed, uint256 hashSeed, uint256 steer) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Disputed));
        if (jobId == 0) return;
        IJobMarket.Round memory r = market.round(jobId);
        if (r.drawn || block.timestamp >= r.commitEnds) return;
        if (block.number <= r.drawBlock) vm.roll(r.drawBlock + 1);
        vm.setBlockhash(r.drawBlock, keccak256(abi.encode(hashSeed)));
        uint256 seedKnown = vm.snapshotState();
        _steer(steer);
        market.drawCommittee(jobId);
        uint256[] memory steered = _members(jobId);
        vm.revertToState(seedKnown);
        market.drawCommittee(jobId);
        require(keccak256(abi.encode(_members(jobId))) == keccak256(abi.encode(steered)), "the draw was steered");
        _roundEnded(jobId);
    }

    /// @dev Pauses and resumes a worker, by its owner, outside any draw (the claims of a paused worker are skipped).
    function pause(uint256 workerSeed, bool paused) external {
        uint256 w = workerSeed % WORKERS;
        vm.prank(workerOwners[w]);
        market.setWorkerPaused(workerIds[w], paused);
    }

    /// @dev A worker's owner adds to its stake, outside any draw.
    function addStake(uint256 workerSeed, uint256 amount) external {
        uint256 w = workerSeed % WORKERS;
        uint256 balance = token.balanceOf(workerOwners[w]);
        if (balance == 0 || workerOwners[w] == requester) return;
        vm.prank(workerOwners[w]);
        market.addStake(workerIds[w], bound(amount, 1, balance));
    }

    /// @dev A drawn member commits: honest members to the honest output, the liar to a lie, a Sybil by `choice`.
    function memberCommit(uint256 jobSeed, uint256 seatSeed, uint256 choice) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Disputed));
        if (jobId == 0) return;
        IJobMarket.Job memory j = market.job(jobId);
        IJobMarket.Round memory r = market.round(jobId);
        if (!r.drawn || r.size == 0 || block.timestamp >= r.commitEnds) return;
        uint256 entry = j.committed + (seatSeed % r.size);
        IJobMarket.Claim memory c = market.claim(jobId, entry);
        if (c.state != IJobMarket.ClaimState.Drawn) return;
        uint256 w = _indexOf(c.workerId);
        bytes32 output = _outputOf(w, choice);
        committedTo[jobId][c.workerId] = output;
        bytes32 commitment = _commitment(jobId, w, output);
        vm.prank(vm.addr(_keys[w]));
        market.commitResult(jobId, entry, commitment);
    }

    /// @dev Finalizes a proposal whose window is over, and checks that every original worker whose revealed output
    /// is the final one was paid its price less the model owner's share.
    function finalize(uint256 jobSeed) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Proposed));
        if (jobId == 0) return;
        IJobMarket.Job memory j = market.job(jobId);
        if (block.timestamp < j.windowEnds) return;
        bytes32 finalHash = market.claim(jobId, j.proposed - 1).outputHash;
        uint256[WORKERS] memory before;
        uint256[WORKERS] memory due;
        for (uint256 e; e < j.committed; ++e) {
            IJobMarket.Claim memory c = market.claim(jobId, e);
            if (c.state != IJobMarket.ClaimState.Revealed || c.outputHash != finalHash) continue;
            due[_indexOf(c.workerId)] += c.price - (c.price * OWNER_FEE_BPS) / 10_000;
        }
        for (uint256 w; w < WORKERS; ++w) before[w] = market.earned(workerOwners[w]);
        market.finalize(jobId, "");
        // Two Sybils share an owner: compare per owner, summing what each of its workers was due.
        for (uint256 w; w < WORKERS; ++w) {
            uint256 ownerDue;
            for (uint256 o; o < WORKERS; ++o) if (workerOwners[o] == workerOwners[w]) ownerDue += due[o];
            require(market.earned(workerOwners[w]) - before[w] >= ownerDue, "a worker with the final output unpaid");
        }
    }

    function withdraw(uint256 who) external {
        address account = _accounts()[who % 9];
        // The requester never withdraws here: its token balance then moves only by escrows and refunds.
        if (account == requester || market.earned(account) == 0) return;
        vm.prank(account);
        uint256 amount = market.withdraw();
        if (account == modelOwner) ownerWithdrawn += amount;
    }

    function unstake(uint256 workerSeed, uint256 amount) external {
        uint256 w = workerSeed % WORKERS;
        if (workerOwners[w] == requester) return;
        IJobMarket.Worker memory worker = market.worker(workerIds[w]);
        if (worker.stake <= worker.locked) return;
        uint256 free = worker.stake - worker.locked;
        vm.prank(workerOwners[w]);
        market.requestUnstake(workerIds[w], bound(amount, 1, free));
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
        vm.roll(block.number + 1);
    }

    function jobCount() external view returns (uint256) {
        return jobs.length;
    }

    /// @dev Every account that can hold earnings: the workers' owners, the model owner, the challenger, the requester.
    function accounts() external view returns (address[9] memory) {
        return _accounts();
    }

    function _accounts() private view returns (address[9] memory list) {
        // The challenger's worker (7) is the challenger's: list[8].
        for (uint256 w; w < 7; ++w) list[w] = workerOwners[w];
        list[7] = modelOwner;
        list[8] = challenger;
    }

    /// @dev What those who would profit from a committee of their choosing do once its seed is known, by the bits of
    /// `steer`: each worker pauses or resumes, unstakes what it can or stakes more, and tries to leave the model (which
    /// must be refused); the challenger stakes on a worker of `steer`'s choosing.
    function _steer(uint256 steer) private {
        uint256[] memory models = new uint256[](1);
        models[0] = 1;
        for (uint256 w; w < WORKERS; ++w) {
            uint256 bits = steer >> (4 * w);
            uint256 id = workerIds[w];
            IJobMarket.Worker memory worker = market.worker(id);
            vm.startPrank(workerOwners[w]);
            if (bits & 1 == 1) market.setWorkerPaused(id, !worker.paused);
            if (bits & 2 == 2 && worker.stake > worker.locked) market.requestUnstake(id, worker.stake - worker.locked);
            if (bits & 4 == 4 && token.balanceOf(workerOwners[w]) > 0) market.addStake(id, 1);
            if (bits & 8 == 8) {
                try market.setWorkerModels(id, models, false) {
                    revert("a worker left a model awaiting its draw");
                } catch {} // solhint-disable-line no-empty-blocks
            }
            vm.stopPrank();
        }
        uint256 amount = token.balanceOf(challenger);
        if (amount == 0) return;
        vm.prank(challenger);
        market.addStake(workerIds[(steer >> 250) % WORKERS], amount);
    }

    /// @dev The workers holding a round's seats, in order.
    function _members(uint256 jobId) private view returns (uint256[] memory ids) {
        IJobMarket.Job memory j = market.job(jobId);
        ids = new uint256[](j.entries - j.committed);
        for (uint256 e = j.committed; e < j.entries; ++e) ids[e - j.committed] = market.claim(jobId, e).workerId;
    }

    function _isSybil(uint256 w) private pure returns (bool) {
        return w == 5 || w == 6;
    }

    function _roundEnded(uint256 jobId) private {
        if (market.job(jobId).state != IJobMarket.JobState.Disputed) bondHeld[jobId] = false;
    }

    function _tryCopy(uint256 jobId, uint256 entry, uint256 workerId, bytes32 copied) private {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keys[LIAR], market.resultDigest(jobId, copied, workerId));
        try market.revealResult(jobId, entry, copied, _salt(jobId, LIAR), "", "", abi.encodePacked(r, s, v)) {
            revert("a copied output opened another commitment");
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function _revealOpen(uint256 jobId, IJobMarket.Job memory j) private view returns (bool) {
        if (j.state == IJobMarket.JobState.Revealing) return block.timestamp < j.windowEnds;
        IJobMarket.Round memory r = market.round(jobId);
        return r.revealEnds != 0 && block.timestamp < r.revealEnds;
    }

    function _outputOf(uint256 w, uint256 choice) private pure returns (bytes32) {
        if (w < LIAR || w == CHALLENGERS) return HONEST;
        if (w == LIAR) return LIE;
        uint256 pick = choice % 3;
        return
            pick == 0
                ? HONEST
                : pick == 1
                    ? LIE
                    : OTHER;
    }

    function _salt(uint256 jobId, uint256 w) private pure returns (bytes32) {
        return keccak256(abi.encode("salt", jobId, w));
    }

    function _commitment(uint256 jobId, uint256 w, bytes32 output) private view returns (bytes32) {
        return market.commitmentOf(jobId, workerIds[w], output, _salt(jobId, w));
    }

    function _indexOfJob(uint256 jobId) private view returns (uint256) {
        for (uint256 i; i < jobs.length; ++i) if (jobs[i] == jobId) return i;
        revert("unknown job");
    }

    function _indexOf(uint256 workerId) private view returns (uint256) {
        for (uint256 w; w < WORKERS; ++w) if (workerIds[w] == workerId) return w;
        revert("unknown worker");
    }

    function _entryOf(uint256 jobId, uint256 committed, uint256 workerId) private view returns (uint256) {
        for (uint256 e; e < committed; ++e) if (market.claim(jobId, e).workerId == workerId) return e + 1;
        return 0;
    }

    /// @dev The first job from a seeded start whose state is in `mask` (bit i for JobState i), or 0.
    function _scan(uint256 seed, uint256 mask) private view returns (uint256) {
        uint256 n = jobs.length;
        if (n == 0) return 0;
        for (uint256 i; i < n; ++i) {
            uint256 jobId = jobs[((seed % n) + i) % n];
            if ((mask >> uint8(market.job(jobId).state)) & 1 == 1) return jobId;
        }
        return 0;
    }
}

contract JobMarketInvariantTest is Test {
    JobMarket internal market;
    FoldToken internal token;
    JobMarketHandler internal handler;
    uint256 internal constant LIAR_INDEX = 4;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new FoldToken(address(this), 100_000 ether);
        IdentityRegistry identities = new IdentityRegistry();
        ReputationRegistry reputation = new ReputationRegistry(address(identities), address(this));
        DataMarket data = new DataMarket(
            address(token),
            address(identities),
            address(reputation),
            address(this),
            600,
            600
        );
        market = new JobMarket(
            address(token),
            address(identities),
            address(reputation),
            address(data),
            [uint256(100 ether), 1 hours, 1 hours, 10 ether, 1_000, 10 minutes, 3, 1 hours]
        );
        reputation.grantRole(reputation.WRITER_ROLE(), address(market));
        data.grantRole(data.MARKET_ROLE(), address(market));
        handler = new JobMarketHandler(market, token, identities);
        assertTrue(token.transfer(handler.requester(), 10_000 ether));
        assertTrue(token.transfer(handler.challenger(), 1_000 ether));
        for (uint256 i; i < 5; ++i) assertTrue(token.transfer(handler.workerOwners(i), 1_000 ether));
        handler.start();
        targetContract(address(handler));
    }

    /// @notice The handler's steps reach every way a job ends (so the invariants below are tested on them): a job run
    /// to Final, one challenged and decided by a committee, one nobody revealed.
    function test_handlerReachesEveryEnding() public {
        handler.request(1, 0.5 ether);
        handler.claim(0, 0, 0);
        handler.reveal(0, 0, 1);
        handler.warp(2 hours);
        handler.finalize(0);
        assertEq(uint8(market.job(handler.jobs(0)).state), uint8(IJobMarket.JobState.Final), "final");
        handler.request(1, 0.5 ether);
        handler.claim(4, 1, 0); // the liar
        handler.reveal(1, 0, 1);
        handler.challenge(1);
        handler.draw(1, 7, 0);
        for (uint256 s; s < 3; ++s) handler.memberCommit(1, s, 0);
        for (uint256 e = 1; e < 4; ++e) handler.reveal(1, e, 1);
        handler.closeReveals(1);
        assertEq(uint8(market.job(handler.jobs(1)).state), uint8(IJobMarket.JobState.Refunded), "overturned");
        handler.request(2, 0.5 ether);
        handler.claim(5, 2, 0);
        handler.warp(1 days);
        handler.closeCommits(2);
        handler.warp(1 hours);
        handler.closeReveals(2);
        assertEq(uint8(market.job(handler.jobs(2)).state), uint8(IJobMarket.JobState.Refunded), "silent");
    }

    /// @notice Whatever the seed, and whatever those who would profit do once it is known (see the handler's `_steer`),
    /// the committee is the one drawn without any of it, and holds neither the requester's Sybils nor the challenger's
    /// worker: the liar's lie is challenged, four honest workers are eligible, three are drawn.
    function testFuzz_drawCannotBeSteered(uint256 hashSeed, uint256 steer) public {
        handler.request(1, 0.5 ether);
        handler.claim(LIAR_INDEX, 0, 0);
        handler.reveal(0, 0, 1);
        handler.challenge(0);
        handler.draw(0, hashSeed, steer);
        assertEq(market.round(handler.jobs(0)).size, 3, "committee");
        invariant_noSeatForTheRequesterOrTheChallenger();
    }

    /// @notice The market holds exactly the running jobs' escrows, the bonds of undecided rounds, the pots, the stakes
    /// (unstaking included) and the earnings not withdrawn.
    function invariant_balanceIsWhatItOwes() public view {
        assertEq(token.balanceOf(address(market)), _obligations(), "balance");
    }

    /// @notice The requester (which also owns two workers, never withdrawn here) never gets back more than it put in:
    /// its balance plus the escrow of its running jobs is at most what it held before its first job. A slash, a pot
    /// or a bond reaching it as the requester would break this.
    function invariant_requesterNeverRicherThanItsDeposits() public view {
        uint256 running;
        for (uint256 i; i < handler.jobCount(); ++i) running += _escrowHeld(handler.jobs(i));
        assertLe(token.balanceOf(handler.requester()) + running, handler.requesterBase(), "requester richer");
    }

    /// @notice The model owner receives exactly its share of each paid worker's price, and nothing else: no slash or
    /// pot leaks to an account that is not a party to the job.
    function invariant_modelOwnerGetsExactlyItsShare() public view {
        uint256 share;
        for (uint256 i; i < handler.jobCount(); ++i) {
            uint256 jobId = handler.jobs(i);
            IJobMarket.Job memory j = market.job(jobId);
            bool unresolved = j.state == IJobMarket.JobState.Unresolved;
            if (j.state != IJobMarket.JobState.Final && !unresolved) continue;
            bytes32 finalHash = unresolved ? bytes32(0) : market.claim(jobId, j.proposed - 1).outputHash;
            for (uint256 e; e < j.committed; ++e) {
                IJobMarket.Claim memory c = market.claim(jobId, e);
                if (c.state != IJobMarket.ClaimState.Revealed || (!unresolved && c.outputHash != finalHash)) continue;
                share += (uint256(c.price) * handler.OWNER_FEE_BPS()) / 10_000;
            }
        }
        assertEq(market.earned(handler.modelOwner()) + handler.ownerWithdrawn(), share, "model owner");
    }

    /// @notice Each worker's locked collateral is `minStake` for each claim or seat it holds on a running job (a seat
    /// may take it beyond the stake: it is backed by what is left).
    function invariant_lockedIsCollateralOfHeldSeats() public view {
        for (uint256 w; w < handler.WORKERS(); ++w) {
            uint256 workerId = handler.workerIds(w);
            uint256 held;
            for (uint256 i; i < handler.jobCount(); ++i) held += _seatsOf(handler.jobs(i), workerId);
            IJobMarket.Worker memory worker = market.worker(workerId);
            assertEq(worker.locked, held * handler.MIN_STAKE(), "locked");
        }
    }

    /// @notice No committee seat ever goes to the requester's Sybils (the requester's account owns them), nor to the
    /// challenger's worker in a round it challenged.
    function invariant_noSeatForTheRequesterOrTheChallenger() public view {
        for (uint256 i; i < handler.jobCount(); ++i) {
            uint256 jobId = handler.jobs(i);
            IJobMarket.Job memory j = market.job(jobId);
            bool challenged = market.round(jobId).challenger == handler.challenger();
            for (uint256 e = j.committed; e < j.entries; ++e) {
                uint256 id = market.claim(jobId, e).workerId;
                assertTrue(id != handler.workerIds(5) && id != handler.workerIds(6), "a Sybil judged its owner's job");
                assertTrue(!challenged || id != handler.workerIds(7), "the challenger judged its own challenge");
            }
        }
    }

    function _seatsOf(uint256 jobId, uint256 workerId) private view returns (uint256 held) {
        IJobMarket.Job memory j = market.job(jobId);
        if (_ended(j.state)) return 0;
        for (uint256 e; e < j.entries; ++e) {
            IJobMarket.Claim memory c = market.claim(jobId, e);
            if (c.workerId != workerId) continue;
            IJobMarket.ClaimState s = c.state;
            if (s == IJobMarket.ClaimState.Drawn || s == IJobMarket.ClaimState.Committed) ++held;
            else if (s == IJobMarket.ClaimState.Revealed && (!c.member || j.state == IJobMarket.JobState.Disputed)) {
                ++held;
            }
        }
    }

    function _escrowHeld(uint256 jobId) private view returns (uint256) {
        IJobMarket.Job memory j = market.job(jobId);
        return _ended(j.state) ? 0 : uint256(j.redundancy) * j.maxFeePerWorker;
    }

    function _ended(IJobMarket.JobState s) private pure returns (bool) {
        return
            s == IJobMarket.JobState.Final || s == IJobMarket.JobState.Unresolved || s == IJobMarket.JobState.Refunded;
    }

    function _obligations() private view returns (uint256 owed) {
        for (uint256 i; i < handler.jobCount(); ++i) {
            uint256 jobId = handler.jobs(i);
            owed += _escrowHeld(jobId) + market.round(jobId).pot;
            if (handler.bondHeld(jobId)) owed += handler.BOND();
        }
        for (uint256 w; w < handler.WORKERS(); ++w) {
            IJobMarket.Worker memory worker = market.worker(handler.workerIds(w));
            owed += uint256(worker.stake) + worker.unstaking;
        }
        address[9] memory accounts = handler.accounts();
        // The two Sybils share the requester as owner: count each account once.
        for (uint256 a; a < accounts.length; ++a) {
            bool seen;
            for (uint256 b; b < a; ++b) if (accounts[b] == accounts[a]) seen = true;
            if (!seen) owed += market.earned(accounts[a]);
        }
    }
}
