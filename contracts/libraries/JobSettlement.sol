// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IDataMarket} from "../interfaces/IDataMarket.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IJobConsumer, IJobMarket} from "../interfaces/IJobMarket.sol";
import {IReputationRegistry} from "../interfaces/IReputationRegistry.sol";

/// @title JobSettlement
/// @notice How JobMarket's jobs end: tallies, re-execution rounds (the committee's draw and verdict), payouts,
/// penalties and pots. A linked library running in JobMarket's storage (by delegatecall), so that the market fits
/// EIP-170's 24,576 bytes; it holds nothing and has no state of its own. Every entry point is called by JobMarket
/// after it has checked the caller, the job's state and its clock.
library JobSettlement {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Where a pot nobody earned goes: an address without a key, so the tokens leave circulation.
    address internal constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    uint256 private constant BPS = 10_000;
    /// @dev A drawn seat's placeholder until its member commits.
    bytes32 private constant DRAWN = bytes32(uint256(1));
    /// @dev What a callback costs besides its own gas: the call, a cold account, and the event after it.
    uint256 private constant CALLBACK_OVERHEAD = 12_000;
    bytes32 private constant RECEIPT_KIND = "job";

    /// @notice JobMarket's deployment parameters and the contracts it works with (its immutables), passed to every
    /// entry point.
    struct Config {
        IERC20 token;
        IIdentityRegistry identities;
        IReputationRegistry reputation;
        IDataMarket data;
        uint256 minStake;
        uint256 challengeWindow;
        uint256 challengeBond;
        uint256 silenceSlashBps;
        uint256 revealWindow;
        uint256 committeeSize;
        uint256 committeeWindow;
    }

    /// @notice A job as stored: what claims and reveals read and write (slot A), the requester (slot B), the input
    /// hash, and the callback (written only when there is one). Original claims hold entries 0 to `committed` - 1; a
    /// round's seats follow them.
    struct JobRecord {
        uint64 modelId;
        uint80 maxFeePerWorker;
        uint40 deadline;
        uint40 windowEnds;
        IJobMarket.JobState state;
        uint8 redundancy;
        uint8 committed;
        uint8 revealed;
        address requester;
        uint64 requesterId;
        uint8 proposed;
        bool challenged;
        bytes32 inputHash;
        address callback;
        uint32 callbackGasLimit;
    }

    /// @notice A worker as stored: what a claim reads and writes, in one slot. Its locked collateral is `seats` x
    /// `minStake`: within its stake when it claims, possibly beyond it once drawn for committees (a draw does not look
    /// at seats, see `_draw`).
    struct WorkerRecord {
        uint96 stake;
        uint80 pricePerJob;
        uint16 seats;
        bool paused;
        bool registered;
        uint40 unstakeAt;
        uint96 unstaking;
    }

    /// @notice A claim or seat: `hash` is its commitment until it reveals, its output hash after.
    struct ClaimRecord {
        uint64 workerId;
        uint80 price;
        IJobMarket.ClaimState state;
        bool inlineOutput;
        bool member;
        bytes32 hash;
    }

    /// @notice A round as stored (slot 0 is written when it opens, slot 1 as it goes; a job without a round may still
    /// have a pot, of silence penalties).
    struct RoundRecord {
        address challenger;
        uint40 drawBlock;
        uint40 commitEnds;
        uint8 size;
        uint40 revealEnds;
        uint96 pot;
        uint8 committed;
        uint8 revealed;
        bool drawn;
    }

    /// @notice All of JobMarket's state.
    struct Store {
        uint256 modelCount;
        uint256 jobCount;
        mapping(uint256 modelId => IJobMarket.Model) models;
        mapping(uint256 modelId => uint64[]) modelWorkers;
        /// @dev 1 + the worker's place in `modelWorkers[modelId]`, or 0 when it does not serve the model.
        mapping(uint256 modelId => mapping(uint256 workerId => uint256)) listed;
        mapping(uint256 workerId => WorkerRecord) workers;
        mapping(uint256 jobId => JobRecord) jobs;
        mapping(uint256 jobId => mapping(uint256 entry => ClaimRecord)) claims;
        mapping(uint256 jobId => RoundRecord) rounds;
        mapping(uint256 jobId => uint64[]) grants;
        mapping(uint256 grantId => uint256) reserved;
        mapping(address account => uint256) earned;
        /// @dev Each worker's chances in a draw, by block: its stake while it is unpaused and holds at least
        /// `minStake`, 0 otherwise (see `reweigh`).
        mapping(uint256 workerId => Checkpoints.Trace208) weights;
        /// @dev Rounds of each model opened and not drawn yet: while there are any, no worker joins or leaves the
        /// model's list (whose order the draw follows).
        mapping(uint256 modelId => uint256) undrawn;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Entry points
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice Tallies a job whose reveals are in or due (see `_tally`).
    function tally(Store storage s, Config calldata cfg, uint256 jobId) external {
        _tally(s, cfg, jobId, s.jobs[jobId]);
    }

    /// @notice Records the worker's chances in draws from this block on (see `_reweigh`). Called on every change of
    /// its stake or pause.
    function reweigh(Store storage s, uint256 workerId, uint256 minStake) external {
        _reweigh(s, workerId, minStake);
    }

    /// @notice Refunds a job nobody claimed.
    function refund(Store storage s, Config calldata cfg, uint256 jobId) external {
        _refund(s, cfg, jobId, s.jobs[jobId]);
    }

    /// @notice Draws a round's committee from `seed` and gives each member its seat, or fails the round when too few
    /// workers are eligible.
    function draw(Store storage s, Config calldata cfg, uint256 jobId, bytes32 seed) external {
        JobRecord storage j = s.jobs[jobId];
        RoundRecord storage r = s.rounds[jobId];
        --s.undrawn[j.modelId];
        uint256[] memory drawn = _draw(s, cfg, jobId, j, seed);
        if (drawn.length < cfg.committeeSize) {
            _fail(s, cfg, jobId, j, r, IJobMarket.RoundFailure.NoCommittee);
            return;
        }
        uint256 first = j.committed;
        for (uint256 i; i < drawn.length; ++i) {
            ++s.workers[drawn[i]].seats;
            s.claims[jobId][first + i] = ClaimRecord({
                workerId: uint64(drawn[i]),
                price: 0,
                state: IJobMarket.ClaimState.Drawn,
                inlineOutput: false,
                member: true,
                // Written now, so that the member's commitment overwrites a slot rather than creating one.
                hash: DRAWN
            });
        }
        r.size = uint8(drawn.length);
        r.drawn = true;
        emit IJobMarket.CommitteeDrawn(jobId, drawn, first, seed);
    }

    /// @notice Decides a round whose reveals are in or due (see `_decide`).
    function decide(Store storage s, Config calldata cfg, uint256 jobId) external {
        _decide(s, cfg, jobId, s.jobs[jobId], s.rounds[jobId]);
    }

    /// @notice Fails a round that was never drawn.
    function fail(Store storage s, Config calldata cfg, uint256 jobId) external {
        --s.undrawn[s.jobs[jobId].modelId];
        _fail(s, cfg, jobId, s.jobs[jobId], s.rounds[jobId], IJobMarket.RoundFailure.NoCommittee);
    }

    /// @notice Pays out a job whose challenge window is over, records its grants' uses and calls its consumer.
    function finalize(Store storage s, Config calldata cfg, uint256 jobId, bytes calldata inlineOutput) external {
        JobRecord storage j = s.jobs[jobId];
        ClaimRecord storage chosen = s.claims[jobId][j.proposed - 1];
        bytes32 outputHash = chosen.hash;
        if ((chosen.inlineOutput || inlineOutput.length != 0) && sha256(inlineOutput) != outputHash) {
            revert IJobMarket.JobInlineOutputRequired(jobId);
        }
        j.state = IJobMarket.JobState.Final;
        (uint256 paid, uint256 refunded) = _payOut(s, cfg, jobId, j, outputHash);
        emit IJobMarket.JobFinalized(jobId, outputHash, paid, refunded);
        _endGrants(s, cfg, jobId, true);
        if (j.callback != address(0)) _callBack(jobId, j, outputHash, inlineOutput);
    }

    /// @notice Opens a re-execution round: its committee is drawn from the next block's hash, and has
    /// `committeeWindow` to be drawn and commit.
    function openRound(
        Store storage s,
        Config memory cfg,
        uint256 jobId,
        JobRecord storage j,
        RoundRecord storage r,
        address challenger
    ) internal {
        uint256 drawBlock = block.number + 1;
        uint256 commitEnds = block.timestamp + cfg.committeeWindow;
        r.challenger = challenger;
        r.drawBlock = uint40(drawBlock);
        r.commitEnds = uint40(commitEnds);
        j.challenged = true;
        j.state = IJobMarket.JobState.Disputed;
        ++s.undrawn[j.modelId];
        emit IJobMarket.JobDisputed(
            jobId,
            challenger,
            challenger == address(0) ? 0 : cfg.challengeBond,
            drawBlock,
            commitEnds
        );
    }

    /// @notice Whether `workerId` holds one of the job's first `committed` entries (its original claims).
    function isOriginal(
        Store storage s,
        uint256 jobId,
        uint256 committed,
        uint256 workerId
    ) internal view returns (bool) {
        for (uint256 i; i < committed; ++i) if (s.claims[jobId][i].workerId == workerId) return true;
        return false;
    }

    /// @notice A worker's stake not locked by its seats (0 when they lock all of it, or more).
    function free(WorkerRecord storage w, uint256 minStake) internal view returns (uint256) {
        (uint256 stake, uint256 locked) = (w.stake, uint256(w.seats) * minStake);
        return stake > locked ? stake - locked : 0;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev A worker's chances in draws from this block on: its stake while it is unpaused and holds at least
    /// `minStake`, 0 otherwise.
    function _reweigh(Store storage s, uint256 workerId, uint256 minStake) private {
        WorkerRecord storage w = s.workers[workerId];
        uint256 stake = w.stake;
        uint256 weight = w.paused || stake < minStake ? 0 : stake;
        s.weights[workerId].push(uint48(block.number), uint208(weight));
    }

    /// @dev The reveals are in (or due): silent claims are penalized; a strict majority of k is proposed and its
    /// window starts; without one, a round opens (or, too few workers serving the model for a committee, the job is
    /// Unresolved); with no reveal at all, the job is refunded.
    function _tally(Store storage s, Config calldata cfg, uint256 jobId, JobRecord storage j) private {
        uint256 committed = j.committed;
        for (uint256 i; i < committed; ++i) {
            ClaimRecord storage c = s.claims[jobId][i];
            if (c.state == IJobMarket.ClaimState.Committed) _penalize(s, cfg, jobId, c, true);
        }
        (uint256 best, uint256 votes) = _plurality(s, jobId, 0, committed);
        if (2 * votes > j.redundancy) {
            uint256 windowEnds = block.timestamp + cfg.challengeWindow;
            j.proposed = uint8(best + 1);
            j.state = IJobMarket.JobState.Proposed;
            j.windowEnds = uint40(windowEnds);
            emit IJobMarket.ResultProposed(jobId, s.claims[jobId][best].hash, votes, windowEnds);
        } else if (votes == 0) {
            _refund(s, cfg, jobId, j);
        } else if (s.modelWorkers[j.modelId].length < cfg.committeeSize + committed) {
            _unresolved(s, cfg, jobId, j);
        } else {
            openRound(s, cfg, jobId, j, s.rounds[jobId], address(0));
        }
    }

    /// @dev The revealed output with the most votes among entries [from, to) (the first to reach it on a tie), and
    /// its votes (0 when nothing was revealed).
    function _plurality(
        Store storage s,
        uint256 jobId,
        uint256 from,
        uint256 to
    ) private view returns (uint256 best, uint256 votes) {
        for (uint256 i = from; i < to; ++i) {
            ClaimRecord storage c = s.claims[jobId][i];
            if (c.state != IJobMarket.ClaimState.Revealed) continue;
            bytes32 h = c.hash;
            uint256 count;
            for (uint256 o = i; o < to; ++o) {
                ClaimRecord storage other = s.claims[jobId][o];
                if (other.state == IJobMarket.ClaimState.Revealed && other.hash == h) ++count;
            }
            if (count > votes) {
                votes = count;
                best = i;
            }
        }
    }

    /// @dev Up to `committeeSize` distinct workers serving the job's model, drawn without replacement with chances
    /// proportional to their weights as they stood in the block before the draw block (see `reweigh`), passing over
    /// the job's original workers, the requester's identity and identities of the requester's account, the identity
    /// whose key challenged and identities of the challenging account.
    /// Nobody can steer it once the seed is known: the candidates, in order, follow from the seed and the weights alone
    /// (a candidate passed over leaves the draw as a seated one does), and nobody may join or leave the model's list
    /// until it is drawn. Passing over depends on what the draw reads now, but only a candidate's owner (or the
    /// challenger, of its own identities) can change whether it is passed over, and passing over one's own candidate
    /// seats the next one in its place, which never gives its owner more seats.
    function _draw(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        JobRecord storage j,
        bytes32 seed
    ) private view returns (uint256[] memory drawn) {
        (uint256[] memory ids, uint256[] memory weights, uint256 total) = _weights(s, j.modelId, s.rounds[jobId]);
        Conflicts memory conflicts = _conflicts(s, cfg, jobId, j);
        drawn = new uint256[](cfg.committeeSize);
        uint256 count;
        for (uint256 nonce; count < drawn.length && total != 0; ++nonce) {
            uint256 point = uint256(keccak256(abi.encode(seed, nonce))) % total;
            uint256 i;
            while (point >= weights[i]) {
                point -= weights[i];
                ++i;
            }
            total -= weights[i];
            weights[i] = 0;
            if (_passedOver(s, cfg, jobId, conflicts, ids[i])) continue;
            drawn[count] = ids[i];
            ++count;
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(drawn, count)
        }
    }

    /// @dev The model's workers in list order, their weights in the block before the round's draw block, and the sum.
    function _weights(
        Store storage s,
        uint256 modelId,
        RoundRecord storage r
    ) private view returns (uint256[] memory ids, uint256[] memory weights, uint256 total) {
        uint64[] storage list = s.modelWorkers[modelId];
        uint256 n = list.length;
        ids = new uint256[](n);
        weights = new uint256[](n);
        uint48 asOf = uint48(r.drawBlock - 1);
        for (uint256 i; i < n; ++i) {
            uint256 id = list[i];
            ids[i] = id;
            uint256 weight = s.weights[id].upperLookupRecent(asOf);
            weights[i] = weight;
            total += weight;
        }
    }

    /// @dev Who may not sit on a job's committee (see `_passedOver`).
    struct Conflicts {
        address requester;
        uint256 requesterId;
        address challenger;
        uint256 challengerId;
        uint256 committed;
    }

    function _conflicts(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        JobRecord storage j
    ) private view returns (Conflicts memory conflicts) {
        (conflicts.challenger, conflicts.challengerId) = _challenger(s, cfg, jobId);
        conflicts.requester = j.requester;
        conflicts.requesterId = j.requesterId;
        conflicts.committed = j.committed;
    }

    /// @dev Whether a drawn candidate may not sit on the job's committee: one of its original workers, the requester's
    /// identity or one of its account's, or the challenger's (nobody judges its own challenge).
    function _passedOver(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        Conflicts memory conflicts,
        uint256 id
    ) private view returns (bool) {
        if (id == conflicts.requesterId || id == conflicts.challengerId) return true;
        if (isOriginal(s, jobId, conflicts.committed, id)) return true;
        address owner = cfg.identities.ownerOf(id);
        return owner == conflicts.requester || owner == conflicts.challenger;
    }

    /// @dev The round's challenger (zero for reveals without a majority) and the identity whose active key it is
    /// (zero when it is none).
    function _challenger(
        Store storage s,
        Config calldata cfg,
        uint256 jobId
    ) private view returns (address challenger, uint256 identityId) {
        challenger = s.rounds[jobId].challenger;
        if (challenger == address(0)) return (challenger, 0);
        (uint256 keyOf, , bool active) = cfg.identities.keyInfo(challenger);
        if (active) identityId = keyOf;
    }

    /// @dev The round's reveals are due: silent seats are penalized; a strict majority of the seats decides the
    /// output, everyone who contradicted it (original workers, seats, the challenger) loses collateral or bond into
    /// the pot, and the pot is shared by everyone who matched it. The job then goes to finalize with the decided
    /// output when an original worker produced it, and is refunded when none did.
    function _decide(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        JobRecord storage j,
        RoundRecord storage r
    ) private {
        uint256 first = j.committed;
        uint256 end = first + r.size;
        for (uint256 e = first; e < end; ++e) {
            ClaimRecord storage c = s.claims[jobId][e];
            if (c.state == IJobMarket.ClaimState.Drawn || c.state == IJobMarket.ClaimState.Committed)
                _penalize(s, cfg, jobId, c, true);
        }
        (uint256 best, uint256 votes) = _plurality(s, jobId, first, end);
        if (2 * votes <= r.size) {
            _fail(s, cfg, jobId, j, r, IJobMarket.RoundFailure.NoMajority);
            return;
        }
        bytes32 verdict = s.claims[jobId][best].hash;
        uint256 proposed = j.proposed;
        bool upheld = proposed != 0 && s.claims[jobId][proposed - 1].hash != verdict;
        (address[] memory parties, uint256 count, uint256 firstRight) = _judge(s, cfg, jobId, first, end, verdict);
        address challenger = r.challenger;
        if (challenger != address(0)) {
            if (upheld) {
                _credit(s, challenger, cfg.challengeBond);
                parties[count] = challenger;
                ++count;
            } else {
                _forfeitBond(cfg, jobId, r, challenger);
            }
        }
        emit IJobMarket.RoundDecided(jobId, verdict, votes, upheld);
        _sharePot(s, cfg, jobId, r, parties, count);
        if (firstRight == 0) {
            _refund(s, cfg, jobId, j);
            return;
        }
        j.proposed = uint8(firstRight);
        j.state = IJobMarket.JobState.Proposed;
        j.windowEnds = uint40(block.timestamp);
    }

    /// @dev Slashes every revealed entry in [0, end) whose output is not `verdict`, and releases the seats that matched
    /// it (with a Completed outcome). Returns the owners of those who matched, with a place left for the challenger,
    /// and 1 + the first original entry that matched (0 when none did).
    function _judge(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        uint256 first,
        uint256 end,
        bytes32 verdict
    ) private returns (address[] memory parties, uint256 count, uint256 firstRight) {
        parties = new address[](end + 1);
        for (uint256 i; i < end; ++i) {
            ClaimRecord storage c = s.claims[jobId][i];
            if (c.state != IJobMarket.ClaimState.Revealed) continue;
            if (c.hash != verdict) {
                _penalize(s, cfg, jobId, c, false);
                continue;
            }
            parties[count] = cfg.identities.ownerOf(c.workerId);
            ++count;
            if (i < first) {
                if (firstRight == 0) firstRight = i + 1;
            } else {
                _release(s, c.workerId);
                cfg.reputation.recordOutcome(c.workerId, IReputationRegistry.Outcome.Completed, bytes32(jobId));
            }
        }
    }

    /// @dev The round decided nothing. Seats that revealed are released. A challenged proposal stands (the challenger
    /// forfeits its bond when no committee was drawn, and has it back otherwise); reveals without a majority leave the
    /// job Unresolved.
    function _fail(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        JobRecord storage j,
        RoundRecord storage r,
        IJobMarket.RoundFailure failure
    ) private {
        uint256 first = j.committed;
        uint256 end = first + r.size;
        for (uint256 e = first; e < end; ++e) {
            ClaimRecord storage c = s.claims[jobId][e];
            if (c.state == IJobMarket.ClaimState.Revealed) _release(s, c.workerId);
        }
        emit IJobMarket.RoundFailed(jobId, failure);
        if (j.proposed == 0) {
            _unresolved(s, cfg, jobId, j);
            return;
        }
        address challenger = r.challenger;
        if (failure == IJobMarket.RoundFailure.NoCommittee) _forfeitBond(cfg, jobId, r, challenger);
        else _credit(s, challenger, cfg.challengeBond);
        j.state = IJobMarket.JobState.Proposed;
        j.windowEnds = uint40(block.timestamp);
    }

    function _forfeitBond(Config calldata cfg, uint256 jobId, RoundRecord storage r, address challenger) private {
        r.pot += uint96(cfg.challengeBond);
        emit IJobMarket.BondForfeited(jobId, challenger, cfg.challengeBond);
    }

    /// @dev Pays every original worker whose revealed output is `outputHash` (every one that revealed, when it is
    /// zero: an Unresolved job) its price, less the model owner's share, and shares the pot among them; releases the
    /// others (unpaid, not slashed: only a round's verdict slashes an output); refunds the rest of the escrow.
    function _payOut(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        JobRecord storage j,
        bytes32 outputHash
    ) private returns (uint256 paid, uint256 refunded) {
        uint256 committed = j.committed;
        address[] memory payees = new address[](committed);
        // [paid, owner's share, payees]: one memory word each keeps the loop within the legacy pipeline's stack.
        uint256[3] memory sums;
        for (uint256 i; i < committed; ++i) {
            ClaimRecord storage c = s.claims[jobId][i];
            if (c.state != IJobMarket.ClaimState.Revealed) continue;
            if (outputHash != bytes32(0) && c.hash != outputHash) {
                _release(s, c.workerId);
                continue;
            }
            (address payee, uint256 price, uint256 cut) = _payWorker(s, cfg, jobId, j, c);
            payees[sums[2]] = payee;
            ++sums[2];
            sums[0] += price;
            sums[1] += cut;
        }
        if (sums[1] != 0) _credit(s, cfg.identities.ownerOf(s.models[j.modelId].ownerId), sums[1]);
        _sharePot(s, cfg, jobId, s.rounds[jobId], payees, sums[2]);
        paid = sums[0];
        refunded = uint256(j.redundancy) * j.maxFeePerWorker - paid;
        _send(cfg, j.requester, refunded);
    }

    /// @dev No output was decided: every original worker that revealed is paid; grant reservations end unused.
    function _unresolved(Store storage s, Config calldata cfg, uint256 jobId, JobRecord storage j) private {
        j.state = IJobMarket.JobState.Unresolved;
        (uint256 paid, uint256 refunded) = _payOut(s, cfg, jobId, j, bytes32(0));
        emit IJobMarket.JobUnresolved(jobId, paid, refunded);
        _endGrants(s, cfg, jobId, false);
    }

    /// @dev Ends a job nobody answered (or that every original worker got wrong): the whole escrow back to the
    /// requester, whatever is left in the pot burnt, grant reservations ended unused.
    function _refund(Store storage s, Config calldata cfg, uint256 jobId, JobRecord storage j) private {
        j.state = IJobMarket.JobState.Refunded;
        uint256 escrow = uint256(j.redundancy) * j.maxFeePerWorker;
        _sharePot(s, cfg, jobId, s.rounds[jobId], new address[](0), 0);
        emit IJobMarket.JobRefunded(jobId, escrow);
        _endGrants(s, cfg, jobId, false);
        _send(cfg, j.requester, escrow);
    }

    /// @dev Pays a worker whose output is final (or who revealed in an Unresolved job) its price less the model
    /// owner's cut (returned), releases its seat, and records the receipt and the outcome.
    function _payWorker(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        JobRecord storage j,
        ClaimRecord storage c
    ) private returns (address payee, uint256 price, uint256 cut) {
        uint256 workerId = c.workerId;
        uint256 requesterId = j.requesterId;
        price = c.price;
        cut = (price * s.models[j.modelId].ownerFeeBps) / BPS;
        payee = cfg.identities.ownerOf(workerId);
        _credit(s, payee, price - cut);
        _release(s, workerId);
        if (price != 0 && requesterId != workerId) {
            cfg.reputation.recordReceipt(requesterId, workerId, RECEIPT_KIND, bytes32(jobId), price);
        }
        cfg.reputation.recordOutcome(workerId, IReputationRegistry.Outcome.Completed, bytes32(jobId));
    }

    /// @dev Takes a claim's or seat's collateral into the job's pot: `silenceSlashBps` of it when silent, all of it
    /// when its output contradicted a verdict. The seat is released.
    function _penalize(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        ClaimRecord storage c,
        bool silent
    ) private {
        uint256 workerId = c.workerId;
        uint256 amount = silent ? (cfg.minStake * cfg.silenceSlashBps) / BPS : cfg.minStake;
        WorkerRecord storage w = s.workers[workerId];
        // A seat drawn beyond the worker's free stake is backed by what is left of it.
        if (amount > w.stake) amount = w.stake;
        w.stake -= uint96(amount);
        --w.seats;
        _reweigh(s, workerId, cfg.minStake);
        c.state = silent ? IJobMarket.ClaimState.Silent : IJobMarket.ClaimState.Slashed;
        s.rounds[jobId].pot += uint96(amount);
        emit IJobMarket.WorkerSlashed(jobId, workerId, amount, silent);
        cfg.reputation.recordOutcome(
            workerId,
            silent ? IReputationRegistry.Outcome.Slashed : IReputationRegistry.Outcome.ChallengeLost,
            bytes32(jobId)
        );
    }

    /// @dev Credits the pot equally to the first `count` of `parties` (the first also takes the dust), or burns it
    /// when there are none.
    function _sharePot(
        Store storage s,
        Config calldata cfg,
        uint256 jobId,
        RoundRecord storage r,
        address[] memory parties,
        uint256 count
    ) private {
        uint256 pot = r.pot;
        if (pot == 0) return;
        r.pot = 0;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(parties, count)
        }
        emit IJobMarket.PotShared(jobId, pot, parties);
        if (count == 0) {
            cfg.token.safeTransfer(BURN_ADDRESS, pot);
            return;
        }
        uint256 each = pot / count;
        for (uint256 i; i < count; ++i) _credit(s, parties[i], each);
        _credit(s, parties[0], pot - each * count);
    }

    function _release(Store storage s, uint256 workerId) private {
        --s.workers[workerId].seats;
    }

    /// @dev The callback with exactly its gas limit, copying no return data: whatever it does, the job stays final
    /// and paid. The caller must leave enough gas for the limit to be honoured (EIP-150 keeps 1/64 back).
    function _callBack(uint256 jobId, JobRecord storage j, bytes32 outputHash, bytes calldata inlineOutput) private {
        address target = j.callback;
        uint256 gasLimit = j.callbackGasLimit;
        bytes memory payload = abi.encodeCall(IJobConsumer.onJobResult, (jobId, outputHash, inlineOutput));
        uint256 needed = gasLimit + gasLimit / 63 + CALLBACK_OVERHEAD;
        if (gasleft() < needed) revert IJobMarket.JobInsufficientGas(needed);
        bool ok;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := call(gasLimit, target, 0, add(payload, 0x20), mload(payload), 0, 0)
        }
        emit IJobMarket.CallbackResult(jobId, target, ok);
    }

    function _endGrants(Store storage s, Config calldata cfg, uint256 jobId, bool use) private {
        uint64[] storage grants = s.grants[jobId];
        uint256 count = grants.length;
        for (uint256 i; i < count; ++i) {
            uint256 grantId = grants[i];
            --s.reserved[grantId];
            if (!use) continue;
            try
                cfg.data.recordUse(grantId, IDataMarket.Purpose.Inference, keccak256(abi.encode(address(this), jobId)))
            {
                // recorded and paid from the grant's escrow
            } catch {
                emit IJobMarket.GrantUseFailed(jobId, grantId);
            }
        }
    }

    function _credit(Store storage s, address account, uint256 amount) private {
        s.earned[account] += amount;
    }

    function _send(Config calldata cfg, address to, uint256 amount) private {
        if (amount != 0) cfg.token.safeTransfer(to, amount);
    }
}
