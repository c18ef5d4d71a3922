// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Vm} from "forge-std/Vm.sol";
import {FarmingRewards} from "../../contracts/FarmingRewards.sol";
import {FoldToken} from "../../contracts/FoldToken.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {ReputationRegistry} from "../../contracts/ReputationRegistry.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {NodeKeys} from "./utils/NodeKeys.sol";

/// @dev Plays the farmer who wants more FOLD than the emission gives, against one honest farmer. Who profits if
/// rewards go wrong: the farm payouts, so the adversary is one owner ("mallory") with many identities, farms and
/// nodes, who
/// - declares whatever capacity it likes (up to 2,047 GPUs on a node);
/// - signs heartbeats and relays them late (backdated up to `offlineAfter`), alone or batched, and moves time to the
///   worst moments (just after an epoch boundary) before relaying;
/// - claims whenever it can, as soon as an epoch's total is final;
/// - is excluded by governance, then creates farms and identities again and re-registers its node keys;
/// - gets certified and has the certification revoked, refreshing (or not) as it pleases;
/// and the admin tries to revoke the rewards contract's role (to freeze claims) and to grant it to itself.
///
/// Ghosts, from the events: the points each epoch was closed with, the FOLD each epoch turned into, the epochs each
/// identity and key is excluded from, and the certification the registry has cached for each node.
contract FarmingRewardsAdversary is NodeKeys {
    uint256 public constant MAX_GAP = 300;
    uint256 public constant OFFLINE_AFTER = 300;
    uint256 public constant EPOCH = 600;
    uint256 public constant BASELINE = 8_192;
    uint256 public constant MAX_NODES = 14;
    bytes32 private constant EPOCH_CLOSED = keccak256("EpochClosed(uint256,uint256,uint256,uint256,uint256,uint256)");
    bytes32 private constant REWARDS_OWED = keccak256("RewardsOwed(uint256,uint256,uint256)");

    IdentityRegistry public immutable identities;
    NodeRegistry public immutable nodes;
    FarmingRewards public immutable rewards;
    ReputationRegistry public immutable reputation;
    uint256 public immutable genesis;
    address public immutable mallory = makeAddr("mallory");
    address public immutable honest = makeAddr("honest");

    /// @dev Every node registered, with its key, identity and farm; every identity's farms (for exclusion).
    uint256[] public nodeList;
    mapping(uint256 nodeId => uint256 keyPk) public keyOf;
    mapping(uint256 nodeId => uint256) public lastBeat;
    uint256[] public malloryIdentities;
    mapping(uint256 identityId => uint256[]) internal _farmsOf;
    mapping(uint256 farmId => uint256[]) internal _nodesOf;
    uint256 public keyCount;

    /// @dev Exclusion as governance decided it: identity => epoch + 1; key => excluded; node => epoch + 1.
    mapping(uint256 identityId => uint256) public ghostExcludedFrom;
    mapping(address key => bool) public ghostKeyExcluded;
    mapping(uint256 nodeId => uint256) public ghostNodeExcludedFrom;
    /// @dev The certification the registry cached for each node (as refreshed), and its expiry.
    mapping(uint256 nodeId => uint256) public ghostCertifiedUntil;

    /// @dev epoch => points it was closed with; epoch => FOLD it turned into; node => pending epoch plus one.
    mapping(uint256 => uint256) public ghostPoints;
    mapping(uint256 => uint256) public ghostConverted;
    mapping(uint256 nodeId => uint256) public pendingEpoch;
    /// @dev epoch => its total when first seen final (plus one: zero means not seen yet).
    mapping(uint256 => uint256) public finalTotalPlusOne;
    uint256 public finalSeenUpTo;
    uint256 public maxEpoch;
    uint256 public violations;
    string public lastViolation;

    constructor(IdentityRegistry identities_, NodeRegistry nodes_, FarmingRewards rewards_, ReputationRegistry rep) {
        identities = identities_;
        nodes = nodes_;
        rewards = rewards_;
        reputation = rep;
        (, genesis) = nodes.rewardPolicy();
        // The honest farmer: one real 8-core node (units 8 x 1,024 + 32 GiB x 256 + 500 GiB x 10 = 21,384).
        vm.prank(honest);
        uint256 honestId = identities.register("honest", "");
        vm.prank(honest);
        uint256 farmId = nodes.createFarm(honestId, "honest farm", honest);
        _addNode(honest, honestId, farmId, INodeRegistry.Resources(8, 32_768, 500, 0, 0));
        // Mallory's first identity, with a node declaring 2,047 GPUs.
        _newMalloryIdentity(2_047);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Heartbeats, at the worst moments
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev A heartbeat from the node's key, after `wait` seconds.
    function beat(uint256 nodeSeed, uint256 wait) external {
        _before();
        vm.warp(block.timestamp + bound(wait, 1, 2 * MAX_GAP));
        uint256 nodeId = _pick(nodeSeed);
        if (!_canBeat(nodeId, block.timestamp)) return;
        vm.prank(vm.addr(keyOf[nodeId]));
        nodes.heartbeat(nodeId);
        lastBeat[nodeId] = block.timestamp;
        _readLogs();
    }

    /// @dev A signed heartbeat relayed `wait` seconds on, signed `ago` seconds before the relay (up to offlineAfter).
    function relay(uint256 nodeSeed, uint256 wait, uint256 ago) external {
        _before();
        vm.warp(block.timestamp + bound(wait, 0, 2 * MAX_GAP));
        uint256 nodeId = _pick(nodeSeed);
        uint256 signedAt = block.timestamp - bound(ago, 0, OFFLINE_AFTER);
        if (!_canBeat(nodeId, signedAt)) return;
        (bytes32 r, bytes32 s, uint8 v) = _signHeartbeat(nodes, keyOf[nodeId], nodeId, signedAt);
        nodes.heartbeatBySig(nodeId, signedAt, abi.encodePacked(r, s, v));
        lastBeat[nodeId] = signedAt;
        _readLogs();
    }

    /// @dev Two nodes' signed heartbeats, both backdated, relayed in one batch.
    function relayBatch(uint256 seedA, uint256 seedB, uint256 agoA, uint256 agoB) external {
        _before();
        uint256 a = _pick(seedA);
        uint256 b = _pick(seedB);
        uint256 atA = block.timestamp - bound(agoA, 0, OFFLINE_AFTER);
        uint256 atB = block.timestamp - bound(agoB, 0, OFFLINE_AFTER);
        bool okA = _canBeat(a, atA);
        bool okB = a != b && _canBeat(b, atB);
        if (a == b) atB = atA; // the same entry twice: the second is skipped as not newer
        INodeRegistry.SignedHeartbeat[] memory batch = new INodeRegistry.SignedHeartbeat[](2);
        batch[0] = _signed(a, atA);
        batch[1] = _signed(b, atB);
        nodes.heartbeatBatch(batch);
        if (okA) lastBeat[a] = atA;
        if (okB) lastBeat[b] = atB;
        _readLogs();
    }

    /// @dev Time moves to just after the next epoch boundary: when the totals of two epochs ago become final, and
    /// when a late heartbeat of the last epoch would do the most harm.
    function toBoundary(uint256 offset) external {
        _before();
        uint256 epoch = (block.timestamp - genesis) / EPOCH;
        vm.warp(genesis + (epoch + 1) * EPOCH + bound(offset, 0, 20));
    }

    /// @dev A long silence: up to two epochs.
    function silence(uint256 wait) external {
        _before();
        vm.warp(block.timestamp + bound(wait, MAX_GAP, 2 * EPOCH));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Claims
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Anyone claims a node's rewards: a claim of what is owed must always go through.
    function claim(uint256 nodeSeed) external {
        _before();
        uint256 nodeId = _pick(nodeSeed);
        vm.recordLogs();
        if (rewards.pendingRewards(nodeId) == 0) return;
        try rewards.claim(nodeId) {
            _readLogs();
        } catch {
            _violate("a claim of owed rewards reverted");
        }
    }

    /// @dev Mallory claims every node's rewards in turn (one tranche after another).
    function claimAll() external {
        _before();
        for (uint256 k; k < nodeList.length; ++k) {
            uint256 nodeId = nodeList[k];
            vm.recordLogs();
            if (rewards.pendingRewards(nodeId) == 0) continue;
            rewards.claim(nodeId);
            _readLogs();
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Many identities, farms and nodes; exclusion and re-registration
    // ----------------------------------------------------------------------------------------------------------------

    function newIdentity(uint256 gpus) external {
        _before();
        if (nodeList.length >= MAX_NODES) return;
        _newMalloryIdentity(bound(gpus, 0, 2_047));
    }

    /// @dev Another farm under one of mallory's identities, with a node in it.
    function newFarm(uint256 identitySeed, uint256 cpu) external {
        _before();
        if (nodeList.length >= MAX_NODES) return;
        uint256 identityId = malloryIdentities[identitySeed % malloryIdentities.length];
        vm.prank(mallory);
        uint256 farmId = nodes.createFarm(identityId, "again", mallory);
        _farmsOf[identityId].push(farmId);
        _addNode(mallory, identityId, farmId, INodeRegistry.Resources(uint16(bound(cpu, 1, 64)), 1_024, 0, 0, 0));
    }

    /// @dev Governance excludes one of mallory's identities, listing its farms and nodes.
    function exclude(uint256 identitySeed) external {
        _before();
        uint256 identityId = malloryIdentities[identitySeed % malloryIdentities.length];
        if (ghostExcludedFrom[identityId] != 0) return;
        uint256[] memory farms = _farmsOf[identityId];
        uint256 count;
        for (uint256 f; f < farms.length; ++f) count += _nodesOf[farms[f]].length;
        uint256[] memory list = new uint256[](count);
        count = 0;
        // Farms are created in increasing order and their nodes too, but a later farm may hold a lower node id than
        // an earlier farm's last node: sort.
        for (uint256 f; f < farms.length; ++f) {
            uint256[] memory inFarm = _nodesOf[farms[f]];
            for (uint256 n; n < inFarm.length; ++n) list[count++] = inFarm[n];
        }
        _sort(list);
        rewards.excludeIdentity(identityId, farms, list);
        uint256 fromPlusOne = (block.timestamp - genesis) / EPOCH + 1;
        ghostExcludedFrom[identityId] = fromPlusOne;
        for (uint256 n; n < list.length; ++n) {
            ghostKeyExcluded[vm.addr(keyOf[list[n]])] = true;
            if (ghostNodeExcludedFrom[list[n]] == 0) ghostNodeExcludedFrom[list[n]] = fromPlusOne;
        }
    }

    /// @dev Mallory decommissions a node, moves its key to another (or a new) identity, and registers it again.
    function reregister(uint256 nodeSeed, uint256 identitySeed, bool fresh) external {
        _before();
        if (nodeList.length >= MAX_NODES) return;
        uint256 nodeId = _pick(nodeSeed);
        INodeRegistry.Node memory n = nodes.node(nodeId);
        if (n.status == INodeRegistry.NodeStatus.Decommissioned || nodes.farmOwner(n.farmId) != mallory) return;
        vm.prank(mallory);
        nodes.decommission(nodeId);
        uint256 keyPk = keyOf[nodeId];
        vm.prank(mallory);
        identities.unbindKey(vm.addr(keyPk));
        uint256 identityId;
        uint256 farmId;
        if (fresh) {
            (identityId, farmId) = _malloryFarm();
        } else {
            identityId = malloryIdentities[identitySeed % malloryIdentities.length];
            vm.prank(mallory);
            farmId = nodes.createFarm(identityId, "moved", mallory);
            _farmsOf[identityId].push(farmId);
        }
        _bindNodeKey(identities, mallory, identityId, keyPk);
        vm.prank(mallory);
        uint256 newId = nodes.registerNode(
            farmId,
            vm.addr(keyPk),
            INodeRegistry.Resources(16, 65_536, 0, 0, 8),
            INodeRegistry.Location("BE", ""),
            INodeRegistry.Prices(0, 0, 0, 0, 0)
        );
        _track(newId, keyPk, farmId);
    }

    /// @dev A certifier attests a node (with or without expiry) or revokes its attestation; the registry's cache is
    /// refreshed only when `refresh` (a stale cache is a trust assumption the docs state, not a bug).
    function certify(uint256 nodeSeed, bool on, uint256 lifetime, bool refresh) external {
        _before();
        uint256 nodeId = _pick(nodeSeed);
        INodeRegistry.Node memory n = nodes.node(nodeId);
        if (n.status == INodeRegistry.NodeStatus.Decommissioned) return;
        bytes32 schema = rewards.certificationSchema(nodeId);
        if (on) {
            lifetime = bound(lifetime, 0, 3 * EPOCH);
            reputation.attest(n.identityId, schema, lifetime == 0 ? 0 : uint64(block.timestamp + lifetime), 0, "");
        } else {
            uint256 current = reputation.currentAttestation(n.identityId, schema);
            if (current == 0 || !reputation.isValid(current)) return;
            reputation.revokeAttestation(current);
        }
        if (!refresh) return;
        nodes.refreshCertification(nodeId);
        uint256 current = reputation.currentAttestation(n.identityId, schema);
        uint256 expiresAt = reputation.attestation(current).expiresAt;
        ghostCertifiedUntil[nodeId] =
            !reputation.isValid(current)
                ? 0
                : expiresAt == 0
                    ? type(uint40).max
                    : expiresAt;
    }

    /// @dev The admin tries to freeze claims (revoking the rewards contract's role) or to take the role itself.
    function adminTakesRoles(bool grant) external {
        _before();
        bytes32 role = nodes.REWARDS_ROLE();
        bytes memory refused = abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector,
            address(this),
            nodes.SEALED_ROLE()
        );
        vm.expectRevert(refused);
        if (grant) nodes.grantRole(role, address(this));
        else nodes.revokeRole(role, address(rewards));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Ghosts
    // ----------------------------------------------------------------------------------------------------------------

    function nodeCount() external view returns (uint256) {
        return nodeList.length;
    }

    /// @dev At the start of every action: records the totals of the epochs that became final since the last one.
    function _before() private {
        uint256 epoch = (block.timestamp - genesis) / EPOCH;
        if (epoch > maxEpoch) maxEpoch = epoch;
        while (finalSeenUpTo + 2 <= epoch) {
            finalTotalPlusOne[finalSeenUpTo] = nodes.epochPoints(finalSeenUpTo) + 1;
            ++finalSeenUpTo;
        }
    }

    /// @dev Checks every EpochClosed against the rules an adversary would break, and attributes conversions.
    function _readLogs() private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 now_ = (block.timestamp - genesis) / EPOCH;
        for (uint256 k; k < logs.length; ++k) {
            Vm.Log memory log = logs[k];
            if (log.emitter != address(nodes)) continue;
            uint256 nodeId = uint256(log.topics[1]);
            if (log.topics[0] == EPOCH_CLOSED) {
                uint256 epoch = uint256(log.topics[2]);
                (uint256 seconds_, uint256 units, uint256 points, uint256 owed) = abi.decode(
                    log.data,
                    (uint256, uint256, uint256, uint256)
                );
                if (owed != 0) ghostConverted[pendingEpoch[nodeId] - 1] += owed;
                pendingEpoch[nodeId] = points != 0 ? epoch + 1 : 0;
                if (points == 0) continue;
                ghostPoints[epoch] += points;
                // C-1: points added to an epoch whose total was final.
                if (now_ >= epoch + 2) _violate("points added to a final epoch");
                // M-3: points for a node of an excluded identity, or registered with an excluded key.
                uint256 from = ghostNodeExcludedFrom[nodeId];
                if (from != 0 && epoch + 1 >= from) _violate("an excluded node earned points");
                // H-2: an uncertified node earns on at most the baseline; a certified one on its declared units.
                uint256 declared = nodes.rewardState(nodeId).units;
                bool certified = block.timestamp < ghostCertifiedUntil[nodeId];
                uint256 expected = certified ? declared : (declared < BASELINE ? declared : BASELINE);
                if (units != expected) _violate("earning units");
                if (points != (seconds_ * units * (certified ? 5 : 4)) / 4) _violate("points formula");
                if (seconds_ > EPOCH) _violate("more seconds than an epoch");
            } else if (log.topics[0] == REWARDS_OWED) {
                ghostConverted[uint256(log.topics[2])] += abi.decode(log.data, (uint256));
                pendingEpoch[nodeId] = 0;
            }
        }
    }

    function _violate(string memory what) private {
        ++violations;
        lastViolation = what;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------------------------------

    function _pick(uint256 seed) private view returns (uint256) {
        return nodeList[seed % nodeList.length];
    }

    /// @dev Whether the registry takes a heartbeat of the node at `signedAt` now (and records the logs if so).
    function _canBeat(uint256 nodeId, uint256 signedAt) private returns (bool) {
        INodeRegistry.Node memory n = nodes.node(nodeId);
        bool ok = n.status != INodeRegistry.NodeStatus.Decommissioned && signedAt > lastBeat[nodeId];
        vm.recordLogs();
        return ok;
    }

    function _signed(uint256 nodeId, uint256 signedAt) private view returns (INodeRegistry.SignedHeartbeat memory) {
        (bytes32 r, bytes32 s, uint8 v) = _signHeartbeat(nodes, keyOf[nodeId], nodeId, signedAt);
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        return INodeRegistry.SignedHeartbeat(uint64(nodeId), uint40(signedAt), r, vs);
    }

    function _newMalloryIdentity(uint256 gpus) private {
        (uint256 identityId, uint256 farmId) = _malloryFarm();
        _addNode(mallory, identityId, farmId, INodeRegistry.Resources(1, 1_024, 0, 0, uint16(gpus)));
    }

    function _malloryFarm() private returns (uint256 identityId, uint256 farmId) {
        vm.prank(mallory);
        identityId = identities.register(string.concat("mallory", vm.toString(malloryIdentities.length)), "");
        malloryIdentities.push(identityId);
        vm.prank(mallory);
        farmId = nodes.createFarm(identityId, "mallory farm", mallory);
        _farmsOf[identityId].push(farmId);
    }

    function _addNode(address owner, uint256 identityId, uint256 farmId, INodeRegistry.Resources memory r) private {
        uint256 keyPk = uint256(keccak256(abi.encode("adversary node key", keyCount++)));
        _bindNodeKey(identities, owner, identityId, keyPk);
        vm.prank(owner);
        uint256 nodeId = nodes.registerNode(
            farmId,
            vm.addr(keyPk),
            r,
            INodeRegistry.Location("BE", ""),
            INodeRegistry.Prices(0, 0, 0, 0, 0)
        );
        _track(nodeId, keyPk, farmId);
    }

    function _track(uint256 nodeId, uint256 keyPk, uint256 farmId) private {
        // Registered by an excluded identity or with an excluded key: excluded from now on.
        uint256 identityId = nodes.farm(farmId).identityId;
        if (ghostExcludedFrom[identityId] != 0 || ghostKeyExcluded[vm.addr(keyPk)]) {
            ghostNodeExcludedFrom[nodeId] = (block.timestamp - genesis) / EPOCH + 1;
        }
        nodeList.push(nodeId);
        keyOf[nodeId] = keyPk;
        _nodesOf[farmId].push(nodeId);
    }

    function _sort(uint256[] memory list) private pure {
        for (uint256 i = 1; i < list.length; ++i) {
            uint256 v = list[i];
            uint256 j = i;
            while (j > 0 && list[j - 1] > v) {
                list[j] = list[j - 1];
                --j;
            }
            list[j] = v;
        }
    }
}

contract FarmingRewardsTest is NodeKeys {
    FoldToken private token;
    NodeRegistry private nodes;
    FarmingRewards private rewards;
    FarmingRewardsAdversary private handler;
    uint256 private constant GENESIS_SUPPLY = 100_000_000 ether;

    function setUp() public {
        Grid memory g = _deployGrid(GENESIS_SUPPLY);
        (token, nodes) = (g.token, g.nodes);
        (IdentityRegistry identities, ReputationRegistry reputation) = (g.identities, g.reputation);
        rewards = new FarmingRewards(address(token), address(nodes), address(this));
        token.setMinter(address(rewards));
        // Wired as the deployment wires it: the rewards role granted, then sealed.
        nodes.grantRole(nodes.REWARDS_ROLE(), address(rewards));
        nodes.sealRole(nodes.REWARDS_ROLE());
        handler = new FarmingRewardsAdversary(identities, nodes, rewards, reputation);
        reputation.grantRole(reputation.CERTIFIER_ROLE(), address(handler));
        rewards.grantRole(rewards.GOVERNOR_ROLE(), address(handler));
        nodes.grantRole(nodes.DEFAULT_ADMIN_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// @notice No heartbeat, however late it was relayed, adds points to an epoch once its total is final; no
    /// excluded identity or key earns; an uncertified node earns on at most the baseline; every claim of owed rewards
    /// goes through.
    function invariant_adversaryBreaksNoRule() public view {
        assertEq(handler.violations(), 0, handler.lastViolation());
    }

    /// @notice An epoch's total never changes once it is final (the epoch after it has ended), and is the sum of the
    /// points its nodes closed it with.
    function invariant_finalTotalsNeverChange() public view {
        uint256 upTo = handler.finalSeenUpTo();
        uint256 first = upTo > 30 ? upTo - 30 : 0;
        for (uint256 e = first; e < upTo; ++e) {
            assertEq(nodes.epochPoints(e) + 1, handler.finalTotalPlusOne(e), "a final total changed");
        }
        uint256 last = handler.maxEpoch();
        first = last > 30 ? last - 30 : 0;
        for (uint256 e = first; e <= last; ++e) assertEq(nodes.epochPoints(e), handler.ghostPoints(e), "epoch points");
    }

    /// @notice No epoch turns into more FOLD than it emits.
    function invariant_epochPaysAtMostItsEmission() public view {
        for (uint256 e; e <= handler.maxEpoch(); ++e) {
            assertLe(handler.ghostConverted(e), rewards.emission(e), "epoch over its emission");
        }
    }

    /// @notice Everything minted is at most the emission scheduled up to now, and the supply is the genesis plus the
    /// claims, under the cap.
    function invariant_mintedWithinTheScheduleSoFar() public view {
        uint256 emitted;
        uint256 current = rewards.currentEpoch();
        for (uint256 e; e <= current; ++e) emitted += rewards.emission(e);
        assertLe(rewards.totalClaimed(), emitted, "minted more than scheduled");
        assertEq(token.totalSupply(), GENESIS_SUPPLY + rewards.totalClaimed(), "supply");
        assertLe(token.totalSupply(), token.cap(), "cap");
    }

    /// @notice The rewards contract keeps its role, whatever the admin tried.
    function invariant_rewardsRoleStays() public view {
        assertTrue(nodes.hasRole(nodes.REWARDS_ROLE(), address(rewards)), "rewards role revoked");
        assertFalse(nodes.hasRole(nodes.REWARDS_ROLE(), address(handler)), "rewards role taken");
    }
}
