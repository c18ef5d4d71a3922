// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {FarmingRewards} from "../../contracts/FarmingRewards.sol";
import {FoldToken} from "../../contracts/FoldToken.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {ReputationRegistry} from "../../contracts/ReputationRegistry.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {NodeKeys} from "./utils/NodeKeys.sol";

/// @dev Drives three nodes of one farm through random heartbeats, silences, certifications, leases (reserved, running,
/// ended) and claims, and keeps ghosts: the seconds each node proved in each epoch (from the heartbeats it sent), its
/// running leases' units times those seconds, each epoch's points as the nodes closed it, and the FOLD each epoch
/// turned into. The handler is the market: it reserves, marks in use and releases capacity itself.
contract FarmingRewardsHandler is NodeKeys {
    uint256 public constant NODES = 3;
    uint256 public constant MAX_GAP = 300;
    uint256 public constant EPOCH = 600;
    bytes32 private constant EPOCH_CLOSED = keccak256("EpochClosed(uint256,uint256,uint256,uint256,uint256,uint256)");
    bytes32 private constant REWARDS_OWED = keccak256("RewardsOwed(uint256,uint256,uint256)");

    NodeRegistry public immutable nodes;
    FarmingRewards public immutable rewards;
    ReputationRegistry public immutable reputation;
    uint256 public immutable genesis;
    uint256 public immutable farmerId;
    uint256[NODES] public keys;
    uint256[NODES] public lastBeat;
    bool[NODES] public certified;
    /// @dev node => epoch => proven seconds, as the handler computes them; and leased units times those seconds.
    mapping(uint256 => mapping(uint256 => uint256)) public ghostSeconds;
    mapping(uint256 => mapping(uint256 => uint256)) public ghostLeased;
    /// @dev Each node's leased units now, and as of its last heartbeat; the changes since then (time, units after).
    uint256[NODES] public leasedUnits;
    uint256[NODES] internal _leasedAtBeat;
    uint256[][NODES] internal _changeTimes;
    uint256[][NODES] internal _changeUnits;
    /// @dev Open reservations: node index, resources, and whether they run (count towards the bonus).
    uint256[] internal _leaseNode;
    INodeRegistry.Resources[] internal _leases;
    bool[] internal _running;
    /// @dev epoch => points the nodes closed it with; epoch => FOLD it turned into.
    mapping(uint256 => uint256) public ghostPoints;
    mapping(uint256 => uint256) public ghostConverted;
    /// @dev node => the epoch it last closed with points (plus one), for attributing conversions.
    uint256[NODES] public pendingEpoch;
    uint256 public maxEpoch;
    uint256 public violations;

    constructor(IdentityRegistry identities, NodeRegistry nodes_, FarmingRewards rewards_, ReputationRegistry rep) {
        nodes = nodes_;
        rewards = rewards_;
        reputation = rep;
        (, genesis) = nodes.rewardPolicy();
        address farmer = makeAddr("farmer");
        vm.prank(farmer);
        farmerId = identities.register("farmer", "");
        vm.prank(farmer);
        uint256 farmId = nodes.createFarm(farmerId, "farm", farmer);
        for (uint256 i; i < NODES; ++i) {
            keys[i] = _registerNode(
                identities,
                nodes,
                farmer,
                farmerId,
                farmId,
                "reward node key",
                i,
                INodeRegistry.Resources(uint16(2 + i), 4_096, 100, 0, 0),
                INodeRegistry.Prices(1, 1, 1, 1, 1)
            );
        }
    }

    function heartbeat(uint256 nodeSeed, uint256 wait) external {
        uint256 i = nodeSeed % NODES;
        vm.warp(block.timestamp + bound(wait, 1, 2 * MAX_GAP));
        _beat(i);
    }

    /// @dev A long silence of one node: up to three epochs.
    function silence(uint256 nodeSeed, uint256 wait) external {
        uint256 i = nodeSeed % NODES;
        vm.warp(block.timestamp + bound(wait, EPOCH, 3 * EPOCH));
        _beat(i);
    }

    /// @dev Time passes without a heartbeat, so that leases begin and end anywhere between heartbeats.
    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 * MAX_GAP));
    }

    /// @dev A lease on an online node: reserved, and running at once unless `pending` (awaiting its acknowledgement).
    function lease(uint256 nodeSeed, uint256 cpu, uint256 ssdGiB, bool pending) external {
        uint256 i = nodeSeed % NODES;
        if (!nodes.isOnline(i + 1)) return;
        INodeRegistry.Resources memory want = INodeRegistry.Resources(uint16(bound(cpu, 1, 2)), 0, 0, 0, 0);
        want.ssdGiB = uint32(bound(ssdGiB, 0, 40));
        (INodeRegistry.Resources memory total, INodeRegistry.Resources memory reserved) = nodes.capacity(i + 1);
        if (reserved.cpu + want.cpu > total.cpu || reserved.ssdGiB + want.ssdGiB > total.ssdGiB) return;
        nodes.reserve(i + 1, want);
        _leaseNode.push(i);
        _leases.push(want);
        _running.push(false);
        if (!pending) _run(_leases.length - 1);
    }

    /// @dev A pending lease is acknowledged: it begins to run.
    function acknowledge(uint256 leaseSeed) external {
        if (_leases.length == 0) return;
        uint256 index = leaseSeed % _leases.length;
        if (!_running[index]) _run(index);
    }

    function endLease(uint256 leaseSeed) external {
        if (_leases.length == 0) return;
        uint256 index = leaseSeed % _leases.length;
        uint256 i = _leaseNode[index];
        nodes.release(i + 1, _leases[index], _running[index]);
        if (_running[index]) _changeLeased(i, leasedUnits[i] - _units(_leases[index]));
        uint256 lastIndex = _leases.length - 1;
        _leaseNode[index] = _leaseNode[lastIndex];
        _leases[index] = _leases[lastIndex];
        _running[index] = _running[lastIndex];
        _leaseNode.pop();
        _leases.pop();
        _running.pop();
    }

    function _run(uint256 index) private {
        uint256 i = _leaseNode[index];
        nodes.useCapacity(i + 1, _leases[index]);
        _running[index] = true;
        _changeLeased(i, leasedUnits[i] + _units(_leases[index]));
    }

    function _changeLeased(uint256 i, uint256 units) private {
        leasedUnits[i] = units;
        _changeTimes[i].push(block.timestamp);
        _changeUnits[i].push(units);
    }

    /// @dev Capacity units times 1,024 at the local chain's weights (1,024 per core, 256 per GiB, 10 per SSD GiB).
    function _units(INodeRegistry.Resources memory r) private pure returns (uint256) {
        return uint256(r.cpu) * 1_024 + (uint256(r.memoryMiB) * 256) / 1_024 + uint256(r.ssdGiB) * 10;
    }

    function nodeUnits(uint256 i) public pure returns (uint256) {
        return _units(INodeRegistry.Resources(uint16(2 + i), 4_096, 100, 0, 0));
    }

    function certify(uint256 nodeSeed, bool on) external {
        uint256 i = nodeSeed % NODES;
        bytes32 schema = rewards.certificationSchema(i + 1);
        if (on) {
            reputation.attest(farmerId, schema, 0, bytes32(0), "");
        } else {
            uint256 current = reputation.currentAttestation(farmerId, schema);
            if (current == 0 || !reputation.isValid(current)) return;
            reputation.revokeAttestation(current);
        }
        certified[i] = nodes.refreshCertification(i + 1);
    }

    function claim(uint256 nodeSeed) external {
        uint256 i = nodeSeed % NODES;
        vm.recordLogs();
        if (rewards.pendingRewards(i + 1) == 0) return;
        rewards.claim(i + 1);
        _readLogs(i);
    }

    function _beat(uint256 i) private {
        uint256 last = lastBeat[i];
        uint256 t = block.timestamp;
        if (last != 0) {
            // The credited seconds: right after the previous heartbeat, at most MAX_GAP, split by epoch.
            uint256 credit = t - last < MAX_GAP ? t - last : MAX_GAP;
            uint256 from = last;
            uint256 to = last + credit;
            while (from < to) {
                uint256 e = (from - genesis) / EPOCH;
                uint256 end = genesis + (e + 1) * EPOCH;
                uint256 upTo = end < to ? end : to;
                ghostSeconds[i][e] += upTo - from;
                ghostLeased[i][e] += _leasedBetween(i, from, upTo);
                from = upTo;
            }
        }
        _leasedAtBeat[i] = leasedUnits[i];
        delete _changeTimes[i];
        delete _changeUnits[i];
        vm.recordLogs();
        vm.prank(vm.addr(keys[i]));
        nodes.heartbeat(i + 1);
        lastBeat[i] = t;
        uint256 epoch = (t - genesis) / EPOCH;
        if (epoch > maxEpoch) maxEpoch = epoch;
        _readLogs(i);
    }

    /// @dev The node's leased units integrated over [from, to], within the time since its last heartbeat.
    function _leasedBetween(uint256 i, uint256 from, uint256 to) private view returns (uint256 sum) {
        uint256 units = _leasedAtBeat[i];
        uint256 at = from;
        for (uint256 k; k < _changeTimes[i].length; ++k) {
            uint256 changedAt = _changeTimes[i][k];
            if (changedAt >= to) break;
            if (changedAt > at) {
                sum += units * (changedAt - at);
                at = changedAt;
            }
            units = _changeUnits[i][k];
        }
        sum += units * (to - at);
    }

    /// @dev Checks each EpochClosed against the ghost seconds and leased seconds, and its points against the formula;
    /// attributes conversions to their epochs.
    function _readLogs(uint256 i) private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 k; k < logs.length; ++k) {
            Vm.Log memory log = logs[k];
            if (log.emitter != address(nodes)) continue;
            if (log.topics[0] == EPOCH_CLOSED) {
                uint256 epoch = uint256(log.topics[2]);
                (uint256 seconds_, uint256 leased, uint256 points, uint256 owed) = abi.decode(
                    log.data,
                    (uint256, uint256, uint256, uint256)
                );
                if (owed != 0) ghostConverted[pendingEpoch[i] - 1] += owed;
                // A forfeited epoch reports the seconds too; a counted one must match the ghosts exactly, and earn
                // (units + leased units / 2) per second, times 1.25 when certified.
                uint256 units = nodeUnits(i);
                if (leased > seconds_ * units) ++violations;
                if (points != 0) {
                    if (seconds_ != ghostSeconds[i][epoch] || leased != ghostLeased[i][epoch]) ++violations;
                    if (points != ((2 * seconds_ * units + leased) * (certified[i] ? 5 : 4)) / 8) ++violations;
                }
                if (points != 0) {
                    ghostPoints[epoch] += points;
                    pendingEpoch[i] = epoch + 1;
                } else {
                    pendingEpoch[i] = 0;
                }
            } else if (log.topics[0] == REWARDS_OWED) {
                (uint256 amount) = abi.decode(log.data, (uint256));
                ghostConverted[uint256(log.topics[2])] += amount;
                pendingEpoch[i] = 0;
            }
        }
    }
}

contract FarmingRewardsTest is NodeKeys {
    FoldToken private token;
    NodeRegistry private nodes;
    FarmingRewards private rewards;
    FarmingRewardsHandler private handler;
    uint256 private constant GENESIS_SUPPLY = 100_000_000 ether;

    function setUp() public {
        Grid memory g = _deployGrid(GENESIS_SUPPLY);
        (token, nodes) = (g.token, g.nodes);
        (IdentityRegistry identities, ReputationRegistry reputation) = (g.identities, g.reputation);
        rewards = new FarmingRewards(address(token), address(nodes), address(this));
        token.setMinter(address(rewards));
        nodes.grantRole(nodes.REWARDS_ROLE(), address(rewards));
        handler = new FarmingRewardsHandler(identities, nodes, rewards, reputation);
        reputation.grantRole(reputation.CERTIFIER_ROLE(), address(handler));
        nodes.grantRole(nodes.MARKET_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// @notice Every epoch's points are the sum of what its nodes closed it with, and every counted epoch's seconds
    /// are exactly the seconds its node proved in it (no point for time not proven by heartbeats), its leased seconds
    /// exactly its running leases' units over those seconds, and its points the policy's formula of the two.
    function invariant_pointsAreProvenSeconds() public view {
        assertEq(handler.violations(), 0, "an epoch counted seconds its node did not prove");
        uint256 last = handler.maxEpoch();
        uint256 first = last > 30 ? last - 30 : 0;
        for (uint256 e = first; e <= last; ++e) assertEq(nodes.epochPoints(e), handler.ghostPoints(e), "epoch points");
    }

    /// @notice No epoch turns into more FOLD than it emits.
    function invariant_epochPaysAtMostItsEmission() public view {
        for (uint256 e; e <= handler.maxEpoch(); ++e) {
            assertLe(handler.ghostConverted(e), rewards.emission(e), "epoch over its emission");
        }
    }

    /// @notice Claims never exceed the emissions so far, and the supply is the genesis plus the claims, under the cap.
    function invariant_supplyIsGenesisPlusClaims() public view {
        uint256 emitted;
        for (uint256 e; e <= handler.maxEpoch(); ++e) emitted += rewards.emission(e);
        assertLe(rewards.totalClaimed(), emitted, "claims over emissions");
        assertEq(token.totalSupply(), GENESIS_SUPPLY + rewards.totalClaimed(), "supply");
        assertLe(token.totalSupply(), token.cap(), "cap");
    }
}
