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

/// @dev Drives jobs of redundancy 1 to 3 through random requests, claims, honest and lying results, rejections,
/// challenges, arbiter rulings (the proposal, another output, or none), finalizations, expiries, stake moves,
/// withdrawals and time jumps, and keeps ghosts of every deposit into the market and every transfer out of it.
contract JobMarketHandler is NodeKeys {
    uint256 public constant MIN_STAKE = 100 ether;
    uint256 public constant BOND = 10 ether;
    uint256 public constant WORKERS = 3;
    bytes32 public constant HONEST = sha256("honest");
    bytes32 public constant LIE = sha256("lie");

    JobMarket public immutable market;
    FoldToken public immutable token;
    address public immutable modelOwner = makeAddr("model owner");
    address public immutable requester = makeAddr("requester");
    address public immutable challenger = makeAddr("challenger");
    address public immutable arbiter;
    uint256 public immutable requesterId;
    address[WORKERS] public workerOwners;
    uint256[WORKERS] public workerIds;
    uint256[WORKERS] private _keys;
    uint256[] public jobs;
    mapping(uint256 jobId => bool) public bonded;
    uint256 public deposited;
    uint256 public sentOut;
    bool public started;

    constructor(JobMarket market_, FoldToken token_, IdentityRegistry identities, address arbiter_) {
        market = market_;
        token = token_;
        arbiter = arbiter_;
        vm.prank(modelOwner);
        uint256 ownerId = identities.register("model-owner", "");
        vm.prank(modelOwner);
        market.registerModel(ownerId, keccak256("weights"), "ocr", "", 1_500);
        vm.prank(requester);
        requesterId = identities.register("requester", "");
        for (uint256 i; i < WORKERS; ++i) {
            address who = makeAddr(string.concat("worker owner ", vm.toString(i)));
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
            market.registerWorker(workerIds[i], models, 0.05 ether + i * 0.01 ether, 3 * MIN_STAKE);
            vm.stopPrank();
            deposited += 3 * MIN_STAKE;
        }
    }

    function request(uint256 k, uint256 fee) external {
        k = bound(k, 1, 3);
        fee = bound(fee, 0.07 ether, 1 ether);
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
        deposited += k * fee;
    }

    function claim(uint256 workerSeed, uint256 jobSeed) external {
        (uint256 jobId, IJobMarket.Job memory j) = _pick(jobSeed);
        uint256 w = workerSeed % WORKERS;
        if (jobId == 0 || j.state != IJobMarket.JobState.Open || block.timestamp >= j.deadline) return;
        if (j.claimed >= j.redundancy || _entry(jobId, j, workerIds[w]) != 0) return;
        IJobMarket.Worker memory worker = market.worker(workerIds[w]);
        if (worker.paused || worker.stake - worker.locked < MIN_STAKE) return;
        vm.prank(vm.addr(_keys[w]));
        market.claimJob(jobId);
    }

    function submit(uint256 workerSeed, uint256 jobSeed, bool lie) external {
        (uint256 jobId, IJobMarket.Job memory j) = _pick(jobSeed);
        uint256 w = workerSeed % WORKERS;
        if (jobId == 0 || j.state != IJobMarket.JobState.Open || block.timestamp >= j.deadline) return;
        uint256 entry = _entry(jobId, j, workerIds[w]);
        if (entry == 0 || market.claim(jobId, entry - 1).state != IJobMarket.ClaimState.Claimed) return;
        bytes32 output = lie ? LIE : HONEST;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keys[w], market.resultDigest(jobId, output, workerIds[w]));
        market.submitResult(jobId, workerIds[w], output, "", "", abi.encodePacked(r, s, v));
    }

    /// @dev Runs an open job to its k results in one step: each free worker claims it and submits, lying where the
    /// bit of `lies` for it is set (so majorities, minorities and ties all occur).
    function runJob(uint256 jobSeed, uint8 lies) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Open));
        if (jobId == 0) return;
        IJobMarket.Job memory j = market.job(jobId);
        if (block.timestamp >= j.deadline) return;
        for (uint256 w; w < WORKERS; ++w) {
            j = market.job(jobId);
            if (j.state != IJobMarket.JobState.Open) return;
            uint256 entry = _entry(jobId, j, workerIds[w]);
            if (entry == 0) {
                IJobMarket.Worker memory worker = market.worker(workerIds[w]);
                if (j.claimed >= j.redundancy || worker.paused || worker.stake - worker.locked < MIN_STAKE) continue;
                vm.prank(vm.addr(_keys[w]));
                market.claimJob(jobId);
            } else if (market.claim(jobId, entry - 1).state != IJobMarket.ClaimState.Claimed) {
                continue;
            }
            bytes32 output = (lies >> w) & 1 == 1 ? LIE : HONEST;
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keys[w], market.resultDigest(jobId, output, workerIds[w]));
            market.submitResult(jobId, workerIds[w], output, "", "", abi.encodePacked(r, s, v));
        }
    }

    function reject(uint256 workerSeed, uint256 jobSeed) external {
        (uint256 jobId, IJobMarket.Job memory j) = _pick(jobSeed);
        uint256 w = workerSeed % WORKERS;
        if (jobId == 0 || j.state != IJobMarket.JobState.Open) return;
        uint256 entry = _entry(jobId, j, workerIds[w]);
        if (entry == 0 || market.claim(jobId, entry - 1).state != IJobMarket.ClaimState.Claimed) return;
        uint256 before = token.balanceOf(requester);
        vm.prank(vm.addr(_keys[w]));
        market.rejectJob(jobId, IJobMarket.RejectReason.InputMalformed);
        sentOut += token.balanceOf(requester) - before;
    }

    function challenge(uint256 jobSeed) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Proposed));
        if (jobId == 0) return;
        IJobMarket.Job memory j = market.job(jobId);
        if (j.challenged) return;
        if (block.timestamp >= j.windowEnds || token.balanceOf(challenger) < BOND) return;
        vm.prank(challenger);
        market.challenge(jobId);
        bonded[jobId] = true;
        deposited += BOND;
    }

    function resolve(uint256 jobSeed, uint256 ruling) external {
        uint256 jobId = _scan(jobSeed, 1 << uint8(IJobMarket.JobState.Disputed));
        if (jobId == 0) return;
        bytes32 correct = [HONEST, LIE, keccak256("neither")][ruling % 3];
        uint256 before = token.balanceOf(requester);
        vm.prank(arbiter);
        market.resolveDispute(jobId, correct);
        sentOut += token.balanceOf(requester) - before;
    }

    function finalize(uint256 jobSeed) external {
        uint256 jobId = _scan(
            jobSeed,
            (1 << uint8(IJobMarket.JobState.Proposed)) | (1 << uint8(IJobMarket.JobState.Disputed))
        );
        if (jobId == 0 || block.timestamp < market.job(jobId).windowEnds) return;
        uint256 before = token.balanceOf(requester);
        market.finalize(jobId, "");
        sentOut += token.balanceOf(requester) - before;
    }

    function expire(uint256 jobSeed) external {
        (uint256 jobId, IJobMarket.Job memory j) = _pick(jobSeed);
        if (jobId == 0 || j.state != IJobMarket.JobState.Open || block.timestamp < j.deadline) return;
        uint256 before = token.balanceOf(requester);
        market.expireJob(jobId);
        sentOut += token.balanceOf(requester) - before;
    }

    function addStake(uint256 workerSeed, uint256 amount) external {
        uint256 w = workerSeed % WORKERS;
        amount = bound(amount, 1, 50 ether);
        if (token.balanceOf(workerOwners[w]) < amount) return;
        vm.prank(workerOwners[w]);
        market.addStake(workerIds[w], amount);
        deposited += amount;
    }

    function unstake(uint256 workerSeed, uint256 amount) external {
        uint256 w = workerSeed % WORKERS;
        IJobMarket.Worker memory worker = market.worker(workerIds[w]);
        uint256 free = worker.stake - worker.locked;
        if (free == 0) return;
        vm.prank(workerOwners[w]);
        market.requestUnstake(workerIds[w], bound(amount, 1, free));
    }

    function withdrawStake(uint256 workerSeed) external {
        uint256 w = workerSeed % WORKERS;
        IJobMarket.Worker memory worker = market.worker(workerIds[w]);
        if (worker.unstaking == 0 || block.timestamp < worker.unstakeAt) return;
        market.withdrawStake(workerIds[w]);
        sentOut += worker.unstaking;
    }

    function withdraw(uint256 seed) external {
        address account = _accounts()[seed % 6];
        uint256 amount = market.earned(account);
        if (amount == 0) return;
        vm.prank(account);
        market.withdraw();
        sentOut += amount;
    }

    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 10 minutes, 1 days));
    }

    function jobCount() external view returns (uint256) {
        return jobs.length;
    }

    /// @dev Every account the market can owe earnings to.
    function accounts() external view returns (address[6] memory) {
        return _accounts();
    }

    /// @dev What the market holds for a job: its escrow while it is running, and a bond while a challenge is pending.
    function heldFor(uint256 jobId) external view returns (uint256 held) {
        IJobMarket.Job memory j = market.job(jobId);
        bool running =
            j.state == IJobMarket.JobState.Open ||
                j.state == IJobMarket.JobState.Proposed ||
                j.state == IJobMarket.JobState.Disputed;
        if (running) held = uint256(j.redundancy) * j.maxFeePerWorker;
        if (j.state == IJobMarket.JobState.Disputed && bonded[jobId]) held += BOND;
    }

    function _accounts() private view returns (address[6] memory) {
        return [modelOwner, requester, challenger, workerOwners[0], workerOwners[1], workerOwners[2]];
    }

    function _entry(uint256 jobId, IJobMarket.Job memory j, uint256 workerId) private view returns (uint256) {
        for (uint256 i; i < j.entries; ++i) if (market.claim(jobId, i).workerId == workerId) return i + 1;
        return 0;
    }

    /// @dev The first job from `seed` on (cyclically) whose state is in the bit mask `states`, or 0.
    function _scan(uint256 seed, uint256 states) private view returns (uint256) {
        uint256 n = jobs.length;
        for (uint256 i; i < n; ++i) {
            uint256 jobId = jobs[((seed % n) + i) % n];
            if ((states >> uint8(market.job(jobId).state)) & 1 == 1) return jobId;
        }
        return 0;
    }

    function _pick(uint256 seed) private view returns (uint256 id, IJobMarket.Job memory j) {
        if (jobs.length == 0) return (0, j);
        id = jobs[seed % jobs.length];
        j = market.job(id);
    }
}

contract JobMarketTest is Test {
    JobMarket private market;
    FoldToken private token;
    JobMarketHandler private handler;

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
            address(this),
            [uint256(100 ether), 1 hours, 1 hours, 10 ether, 1_000]
        );
        reputation.grantRole(reputation.WRITER_ROLE(), address(market));
        data.grantRole(data.MARKET_ROLE(), address(market));
        handler = new JobMarketHandler(market, token, identities, address(this));
        market.grantRole(market.ARBITER_ROLE(), address(this));
        assertTrue(token.transfer(handler.requester(), 10_000 ether));
        assertTrue(token.transfer(handler.challenger(), 1_000 ether));
        for (uint256 i; i < 3; ++i) assertTrue(token.transfer(handler.workerOwners(i), 1_000 ether));
        handler.start();
        targetContract(address(handler));
    }

    /// @notice The market holds exactly the running jobs' escrows, the pending bonds, the stakes (unstaking
    /// included) and the earnings not withdrawn.
    function invariant_balanceIsEscrowsStakesBondsAndEarnings() public view {
        assertEq(token.balanceOf(address(market)), _obligations(), "balance");
    }

    /// @notice Everything deposited (escrows, stakes, bonds) was either sent out (fees and earnings withdrawn,
    /// refunds, slashes to the requester, stakes withdrawn) or is still owed: nothing is created or lost.
    function invariant_depositsAreSentOutOrOwed() public view {
        assertEq(handler.deposited(), handler.sentOut() + _obligations(), "deposits");
    }

    /// @notice Each worker's locked collateral is `minStake` for each claim it holds on a running job, within its
    /// stake.
    function invariant_lockedIsCollateralOfOpenClaims() public view {
        for (uint256 w; w < 3; ++w) {
            uint256 workerId = handler.workerIds(w);
            uint256 open;
            for (uint256 i; i < handler.jobCount(); ++i) {
                uint256 jobId = handler.jobs(i);
                IJobMarket.Job memory j = market.job(jobId);
                if (j.state == IJobMarket.JobState.Final || j.state == IJobMarket.JobState.Refunded) continue;
                for (uint256 e; e < j.entries; ++e) {
                    IJobMarket.Claim memory c = market.claim(jobId, e);
                    if (c.workerId != workerId) continue;
                    if (c.state == IJobMarket.ClaimState.Claimed || c.state == IJobMarket.ClaimState.Submitted) ++open;
                }
            }
            IJobMarket.Worker memory worker = market.worker(workerId);
            assertEq(worker.locked, open * handler.MIN_STAKE(), "locked");
            assertLe(worker.locked, worker.stake, "locked within stake");
        }
    }

    function _obligations() private view returns (uint256 owed) {
        for (uint256 i; i < handler.jobCount(); ++i) owed += handler.heldFor(handler.jobs(i));
        for (uint256 w; w < 3; ++w) {
            IJobMarket.Worker memory worker = market.worker(handler.workerIds(w));
            owed += uint256(worker.stake) + worker.unstaking;
        }
        address[6] memory accounts = handler.accounts();
        for (uint256 a; a < accounts.length; ++a) owed += market.earned(accounts[a]);
    }
}
