// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SealableRoles} from "./access/SealableRoles.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";
import {Certification} from "./libraries/Certification.sol";
import {EmissionSchedule} from "./libraries/EmissionSchedule.sol";

/// @title NodeRegistry
/// @notice See {INodeRegistry}.
/// @dev Gas: a heartbeat reads two slots of the node (its hot slot and its key), asks the identity registry whether
/// the key is still active, and writes the hot slot once. Everything a heartbeat changes (last heartbeat, proven
/// online seconds) lives in that one slot, with what the markets check on every lease (status, active leases).
contract NodeRegistry is SealableRoles, EIP712, INodeRegistry {
    using SafeERC20 for IERC20;

    /// @notice Markets (the lease market) reserve and release node capacity.
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");
    /// @notice The rewards contract takes what nodes are owed (to mint it) and excludes farms.
    bytes32 public constant REWARDS_ROLE = keccak256("REWARDS_ROLE");

    /// @notice The EIP-712 type hash of a Heartbeat message.
    bytes32 public constant HEARTBEAT_TYPEHASH = keccak256("Heartbeat(uint256 nodeId,uint256 timestamp)");

    uint256 private constant MIN_TIMING = 1 minutes;
    uint256 private constant MAX_TIMING = 1 days;
    uint256 private constant MAX_NAME_LENGTH = 64;
    uint256 private constant MAX_REGION_LENGTH = 64;
    uint256 private constant MAX_EPOCH_LENGTH = 30 days;
    /// @dev About ten years of daily epochs per step of the emission schedule.
    uint256 private constant MAX_DECAY_EVERY = 3_650;
    /// @dev A node's capacity units (times 1,024) are kept in 24 bits of its reward slot.
    uint256 private constant MAX_UNITS = type(uint24).max;
    /// @notice The most a resource unit (a core, a GiB, a GPU) weighs: 64 capacity units, times 1,024.
    uint256 public constant MAX_WEIGHT = 65_536;
    /// @notice The most capacity units (times 1,024) an uncertified node may earn on: sixteen.
    uint256 public constant MAX_BASELINE_UNITS = 16_384;
    /// @dev A certification without expiry counts until the end of 40-bit time.
    uint256 private constant NO_EXPIRY = type(uint40).max;
    uint8 private constant EXCLUDED = 1;
    /// @dev Epoch totals live in a ring of slots, each tagged with its epoch in the top 32 bits. The slots are
    /// written at deployment, so adding to a total never pays for a new slot.
    uint256 private constant TOTALS = 32;
    uint256 private constant NO_EPOCH = type(uint32).max;

    /// @dev One slot: everything a heartbeat reads and writes. `keyTag` is the low 88 bits of the node key's
    /// address: a heartbeat's sender (or signer) must match it and must also be an active Node key of `identityId`
    /// in the identity registry. Matching 88 bits instead of 160 keeps the key out of a second slot; making another
    /// key match would take about 2^88 key generations, and would only let someone prove a node online that the
    /// identity registry already accepts as the farm's own Node key. `flags` carries EXCLUDED (its identity or its
    /// key was excluded), which the epoch accounting needs without another read.
    struct NodeHot {
        uint88 keyTag;
        uint8 flags;
        uint64 identityId;
        uint40 lastHeartbeat;
        uint48 onlineSeconds;
        NodeStatus status;
    }

    /// @dev One slot. `certifiedUntil` is the node's certification as `refreshCertification` last read it (zero: not
    /// certified); the epoch accounting reads it when the node closes an epoch.
    struct NodeCold {
        address key;
        uint32 farmId;
        bytes2 country;
        uint40 certifiedUntil;
    }

    /// @dev The reserved capacity and the leases holding it, in one slot.
    struct Reservation {
        uint16 cpu;
        uint32 memoryMiB;
        uint32 ssdGiB;
        uint32 hddGiB;
        uint16 gpus;
        uint32 activeLeases;
    }

    /// @dev Two slots (a struct member starts a new slot): a reservation reads both, a release only `reserved`.
    struct Capacity {
        Resources total;
        Reservation reserved;
    }

    /// @dev The storage form of a RewardState: `cumStart` plus one, so that the slot is never empty (writing an empty
    /// slot costs 20,000 gas, and the first heartbeat of an epoch may cost at most 25,000 more than any other).
    struct RewardSlot {
        uint48 cumStartPlusOne;
        uint24 pendingEpoch;
        uint24 units;
        uint64 pendingPoints;
        uint96 owed;
    }

    IIdentityRegistry private immutable _identities;
    IERC20 private immutable _bondToken;
    uint256 private immutable _maxGap;
    uint256 private immutable _offlineAfter;
    IReputationRegistry private immutable _reputation;
    uint256 private immutable _genesis;
    uint256 private immutable _epochLength;
    uint256 private immutable _initialEmission;
    uint256 private immutable _decayBps;
    uint256 private immutable _decayEvery;
    uint256 private immutable _wCpu;
    uint256 private immutable _wMemory;
    uint256 private immutable _wSsd;
    uint256 private immutable _wHdd;
    uint256 private immutable _wGpu;
    uint256 private immutable _baselineUnits;

    uint256 private _farmCount;
    uint256 private _nodeCount;
    mapping(uint256 farmId => Farm) private _farms;
    mapping(uint256 nodeId => NodeHot) private _hot;
    mapping(uint256 nodeId => NodeCold) private _cold;
    mapping(uint256 nodeId => Capacity) private _capacity;
    mapping(uint256 nodeId => Prices) private _prices;
    mapping(address key => uint256 nodeId) private _nodeOfKey;
    mapping(uint256 nodeId => uint256 amount) private _bonds;
    mapping(uint256 nodeId => RewardSlot) private _rewards;
    mapping(uint256 identityId => uint256 count) private _farmsOf;
    mapping(uint256 identityId => uint256 epochPlusOne) private _excludedFrom;
    mapping(address key => bool) private _excludedKeys;
    /// @dev Written only for nodes flagged EXCLUDED, and read only for them.
    mapping(uint256 nodeId => uint256 epochPlusOne) private _nodeExcludedFrom;
    uint256[TOTALS] private _totals;

    /// @param identities The identity registry that farms and node keys belong to.
    /// @param bondToken_ The payment token, in which nodes are bonded.
    /// @param admin Grants the market role.
    /// @param maxGap_ The most seconds one heartbeat credits (one heartbeat interval of tolerance).
    /// @param offlineAfter_ How long after its last heartbeat a node counts as offline.
    /// @param policy The farming rewards policy. Epoch 0 begins at the last multiple of the epoch length at least
    /// `offlineAfter_` before deployment, so that every heartbeat the registry accepts falls in an epoch.
    constructor(
        address identities,
        address bondToken_,
        address admin,
        uint256 maxGap_,
        uint256 offlineAfter_,
        RewardPolicy memory policy
    ) EIP712("Fourfold NodeRegistry", "1") {
        if (maxGap_ < MIN_TIMING || maxGap_ > MAX_TIMING || offlineAfter_ < MIN_TIMING || offlineAfter_ > MAX_TIMING) {
            revert NodeRegistryInvalidTiming(maxGap_, offlineAfter_);
        }
        if (policy.epochLength < maxGap_ || policy.epochLength > MAX_EPOCH_LENGTH) {
            revert RewardsInvalidPolicy("epochLength", policy.epochLength);
        }
        if (policy.decayBps >= EmissionSchedule.BPS) revert RewardsInvalidPolicy("decayBps", policy.decayBps);
        if (policy.decayEvery == 0 || policy.decayEvery > MAX_DECAY_EVERY) {
            revert RewardsInvalidPolicy("decayEvery", policy.decayEvery);
        }
        if (policy.initialEmission > type(uint112).max) {
            revert RewardsInvalidPolicy("initialEmission", policy.initialEmission);
        }
        Weights memory w = policy.weights;
        if (w.cpu > MAX_WEIGHT) revert RewardsInvalidPolicy("weights.cpu", w.cpu);
        if (w.memoryGiB > MAX_WEIGHT) revert RewardsInvalidPolicy("weights.memoryGiB", w.memoryGiB);
        if (w.ssdGiB > MAX_WEIGHT) revert RewardsInvalidPolicy("weights.ssdGiB", w.ssdGiB);
        if (w.hddGiB > MAX_WEIGHT) revert RewardsInvalidPolicy("weights.hddGiB", w.hddGiB);
        if (w.gpu > MAX_WEIGHT) revert RewardsInvalidPolicy("weights.gpu", w.gpu);
        if (policy.baselineUnits > MAX_BASELINE_UNITS) {
            revert RewardsInvalidPolicy("baselineUnits", policy.baselineUnits);
        }
        _identities = IIdentityRegistry(identities);
        _bondToken = IERC20(bondToken_);
        _maxGap = maxGap_;
        _offlineAfter = offlineAfter_;
        _reputation = IReputationRegistry(policy.reputation);
        // Epochs start at whole multiples of their length, the same boundaries whenever the registry is deployed.
        _genesis = ((block.timestamp - offlineAfter_) / policy.epochLength) * policy.epochLength;
        _epochLength = policy.epochLength;
        _initialEmission = policy.initialEmission;
        _decayBps = policy.decayBps;
        _decayEvery = policy.decayEvery;
        _wCpu = policy.weights.cpu;
        _wMemory = policy.weights.memoryGiB;
        _wSsd = policy.weights.ssdGiB;
        _wHdd = policy.weights.hddGiB;
        _wGpu = policy.weights.gpu;
        _baselineUnits = policy.baselineUnits;
        for (uint256 i; i < TOTALS; ++i) _totals[i] = NO_EPOCH << 224;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Farms and nodes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc INodeRegistry
    function createFarm(
        uint256 ownerIdentityId,
        string calldata name,
        address payout
    ) external returns (uint256 farmId) {
        if (_identities.ownerOf(ownerIdentityId) != msg.sender) {
            revert FarmNotIdentityOwner(ownerIdentityId, msg.sender);
        }
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_LENGTH) revert FarmInvalidName();
        if (payout == address(0)) revert FarmZeroPayout();
        farmId = ++_farmCount;
        ++_farmsOf[ownerIdentityId];
        _farms[farmId] = Farm({identityId: SafeCast.toUint64(ownerIdentityId), nodeCount: 0, payout: payout});
        emit FarmCreated(farmId, ownerIdentityId, name, payout);
    }

    /// @inheritdoc INodeRegistry
    function setFarmPayout(uint256 farmId, address payout) external {
        _requireFarmOwner(farmId);
        if (payout == address(0)) revert FarmZeroPayout();
        _farms[farmId].payout = payout;
        emit FarmPayoutSet(farmId, payout);
    }

    /// @inheritdoc INodeRegistry
    function registerNode(
        uint256 farmId,
        address key,
        Resources calldata resources,
        Location calldata location,
        Prices calldata nodePrices
    ) external returns (uint256 nodeId) {
        Farm memory f = _requireFarmOwner(farmId);
        if (key == address(0)) revert NodeZeroKey();
        uint256 existing = _nodeOfKey[key];
        if (existing != 0) revert NodeKeyInUse(key, existing);
        if (!_identities.isActiveKey(key, f.identityId, IIdentityRegistry.KeyPurpose.Node)) {
            revert NodeKeyNotBound(key, f.identityId);
        }
        if (resources.cpu == 0 || resources.memoryMiB == 0 || _units(resources) > MAX_UNITS) {
            revert NodeInvalidResources();
        }
        if (!_isCountryCode(location.country)) revert NodeInvalidCountry(location.country);
        if (bytes(location.region).length > MAX_REGION_LENGTH) revert NodeInvalidRegion();

        nodeId = ++_nodeCount;
        _farms[farmId].nodeCount = f.nodeCount + 1;
        // Exclusion follows the identity and the key, not the farm: a new farm or a re-registered key is excluded too.
        bool excluded = _excludedFrom[f.identityId] != 0 || _excludedKeys[key];
        _hot[nodeId] = NodeHot({
            keyTag: uint88(uint160(key)),
            flags: excluded ? EXCLUDED : 0,
            identityId: f.identityId,
            lastHeartbeat: 0,
            onlineSeconds: 0,
            status: NodeStatus.Active
        });
        _cold[nodeId] = NodeCold({
            key: key,
            farmId: SafeCast.toUint32(farmId),
            country: location.country,
            certifiedUntil: 0
        });
        _capacity[nodeId].total = resources;
        _prices[nodeId] = nodePrices;
        _nodeOfKey[key] = nodeId;
        _rewards[nodeId] = RewardSlot({
            cumStartPlusOne: 1,
            pendingEpoch: 0,
            units: uint24(_units(resources)),
            pendingPoints: 0,
            owed: 0
        });
        emit NodeRegistered(nodeId, farmId, key, resources, location.country, location.region);
        emit NodePricesSet(nodeId, nodePrices);
        if (excluded) _excludeNode(nodeId, _epochOf(block.timestamp));
    }

    /// @inheritdoc INodeRegistry
    function updatePrices(uint256 nodeId, Prices calldata nodePrices) external {
        _requireNodeOwner(nodeId);
        _prices[nodeId] = nodePrices;
        emit NodePricesSet(nodeId, nodePrices);
    }

    /// @inheritdoc INodeRegistry
    function setStandby(uint256 nodeId, bool standby) external {
        NodeStatus status = _requireNodeOwner(nodeId);
        NodeStatus next = standby ? NodeStatus.Standby : NodeStatus.Active;
        if (status == next) revert NodeStatusUnchanged(nodeId, status);
        _hot[nodeId].status = next;
        emit NodeStatusChanged(nodeId, next);
    }

    /// @inheritdoc INodeRegistry
    function decommission(uint256 nodeId) external {
        _requireNodeOwner(nodeId);
        uint256 leases = _capacity[nodeId].reserved.activeLeases;
        if (leases != 0) revert NodeHasActiveLeases(nodeId, leases);
        _hot[nodeId].status = NodeStatus.Decommissioned;
        delete _nodeOfKey[_cold[nodeId].key];
        emit NodeStatusChanged(nodeId, NodeStatus.Decommissioned);
        uint256 amount = _bonds[nodeId];
        if (amount != 0) {
            delete _bonds[nodeId];
            emit NodeBondRefunded(nodeId, msg.sender, amount);
            _bondToken.safeTransfer(msg.sender, amount);
        }
    }

    /// @inheritdoc INodeRegistry
    function bond(uint256 nodeId, uint256 amount) external {
        _requireNodeOwner(nodeId);
        if (amount == 0) revert NodeZeroBond();
        uint256 total = _bonds[nodeId] + amount;
        _bonds[nodeId] = total;
        emit NodeBonded(nodeId, amount, total);
        _bondToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Heartbeats
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc INodeRegistry
    function heartbeat(uint256 nodeId) external {
        NodeHot memory hot = _hot[nodeId];
        _requireLive(nodeId, hot.status);
        if (uint88(uint160(msg.sender)) != hot.keyTag) revert NodeNotKey(nodeId, msg.sender);
        if (!_keyActive(msg.sender, hot.identityId)) revert NodeKeyInactive(nodeId, msg.sender);
        _credit(nodeId, hot, block.timestamp);
    }

    /// @inheritdoc INodeRegistry
    function heartbeatBySig(uint256 nodeId, uint256 timestamp, bytes calldata signature) external {
        NodeHot memory hot = _hot[nodeId];
        _requireLive(nodeId, hot.status);
        if (timestamp > block.timestamp) revert HeartbeatFromTheFuture(timestamp, block.timestamp);
        if (block.timestamp - timestamp > _offlineAfter) revert HeartbeatTooOld(timestamp, block.timestamp);
        if (timestamp <= hot.lastHeartbeat) revert HeartbeatNotNewer(nodeId, timestamp, hot.lastHeartbeat);
        address key = _cold[nodeId].key;
        if (!SignatureChecker.isValidSignatureNow(key, _heartbeatDigest(nodeId, timestamp), signature)) {
            revert HeartbeatInvalidSignature(nodeId);
        }
        if (!_keyActive(key, hot.identityId)) revert NodeKeyInactive(nodeId, key);
        _credit(nodeId, hot, timestamp);
    }

    /// @inheritdoc INodeRegistry
    function heartbeatBatch(SignedHeartbeat[] calldata heartbeats) external returns (uint256 accepted) {
        uint256 count = heartbeats.length;
        for (uint256 i; i < count; ++i) {
            SignedHeartbeat calldata entry = heartbeats[i];
            (bool ok, SkipReason reason) = _tryHeartbeat(entry);
            if (ok) {
                ++accepted;
            } else {
                emit HeartbeatSkipped(entry.nodeId, reason);
            }
        }
    }

    /// @dev The same rules as `heartbeatBySig`, in the same order, skipping instead of reverting. They are written
    /// out twice on purpose: one shared check function cost about 100 gas per batched heartbeat. Change both together.
    function _tryHeartbeat(SignedHeartbeat calldata entry) private returns (bool, SkipReason) {
        uint256 nodeId = entry.nodeId;
        uint256 timestamp = entry.timestamp;
        NodeHot memory hot = _hot[nodeId];
        if (hot.status == NodeStatus.None) return (false, SkipReason.UnknownNode);
        if (hot.status == NodeStatus.Decommissioned) return (false, SkipReason.Decommissioned);
        if (timestamp > block.timestamp) return (false, SkipReason.FromTheFuture);
        if (block.timestamp - timestamp > _offlineAfter) return (false, SkipReason.TooOld);
        if (timestamp <= hot.lastHeartbeat) return (false, SkipReason.NotNewer);
        (address signer, ECDSA.RecoverError recoverError, ) = ECDSA.tryRecover(
            _heartbeatDigest(nodeId, timestamp),
            entry.r,
            entry.vs
        );
        if (recoverError != ECDSA.RecoverError.NoError || uint88(uint160(signer)) != hot.keyTag) {
            return (false, SkipReason.BadSignature);
        }
        if (!_keyActive(signer, hot.identityId)) return (false, SkipReason.InactiveKey);
        _credit(nodeId, hot, timestamp);
        return (true, SkipReason.UnknownNode);
    }

    /// @dev Credits min(timestamp - last heartbeat, maxGap) (nothing for the first heartbeat) and moves the last
    /// heartbeat to `timestamp`, in one write of the hot slot.
    /// The credited seconds are the ones right after the previous heartbeat, [last, last + credit]: with `maxGap` at
    /// most an epoch, they fall in the previous heartbeat's epoch and at most the next one. The first heartbeat in a
    /// new epoch closes the node's previous epoch (`_closeEpoch`); no other heartbeat touches the rewards.
    function _credit(uint256 nodeId, NodeHot memory hot, uint256 timestamp) private {
        uint256 last = hot.lastHeartbeat;
        uint256 online = hot.onlineSeconds;
        if (last != 0) {
            uint256 gap = timestamp - last;
            uint256 credit = gap < _maxGap ? gap : _maxGap;
            // Epochs start at multiples of their length, so t / length changes exactly at their boundaries.
            uint256 lastSlice = last / _epochLength;
            uint256 slice = timestamp / _epochLength;
            if (slice != lastSlice) {
                uint256 beforeBoundary = (lastSlice + 1) * _epochLength - last;
                uint256 genesisSlice = _genesis / _epochLength;
                _closeEpoch(
                    nodeId,
                    hot,
                    lastSlice - genesisSlice,
                    slice - genesisSlice,
                    online + (beforeBoundary < credit ? beforeBoundary : credit),
                    online + credit
                );
            }
            online += credit;
        }
        hot.lastHeartbeat = uint40(timestamp);
        hot.onlineSeconds = uint48(online);
        _storeHot(nodeId, hot);
        emit Heartbeat(nodeId, timestamp, online);
    }

    /// @dev The EIP-712 digest of Heartbeat(nodeId, timestamp). Hashes in scratch memory: the batch loop calls it
    /// once per entry, and `abi.encode` would allocate each time.
    function _heartbeatDigest(uint256 nodeId, uint256 signedAt) private view returns (bytes32) {
        bytes32 typeHash = HEARTBEAT_TYPEHASH;
        bytes32 structHash;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), nodeId)
            mstore(add(ptr, 0x40), signedAt)
            structHash := keccak256(ptr, 0x60)
        }
        return _hashTypedDataV4(structHash);
    }

    /// @dev `IdentityRegistry.isActiveKey(key, identityId, Node)`, as a plain static call: this runs for every
    /// heartbeat, and the high-level call would allocate memory and check the registry's code size each time. A
    /// failed call or a malformed answer counts as inactive.
    function _keyActive(address key, uint256 identityId) private view returns (bool active) {
        address registry = address(_identities);
        bytes4 selector = IIdentityRegistry.isActiveKey.selector;
        uint256 purpose = uint256(IIdentityRegistry.KeyPurpose.Node);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), key)
            mstore(add(ptr, 0x24), identityId)
            mstore(add(ptr, 0x44), purpose)
            let ok := staticcall(gas(), registry, ptr, 0x64, 0x00, 0x20)
            active := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)))
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Capacity, for markets
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc INodeRegistry
    function reserve(
        uint256 nodeId,
        Resources calldata resources
    ) external onlyRole(MARKET_ROLE) returns (Prices memory) {
        NodeHot memory hot = _hot[nodeId];
        if (hot.status != NodeStatus.Active) {
            if (hot.status == NodeStatus.None) revert NodeUnknown(nodeId);
            revert NodeNotAvailable(nodeId, hot.status);
        }
        if (!_isOnline(hot)) revert NodeOffline(nodeId, hot.lastHeartbeat);
        Capacity memory c = _capacity[nodeId];
        if (
            uint256(c.reserved.cpu) + resources.cpu > c.total.cpu ||
            uint256(c.reserved.memoryMiB) + resources.memoryMiB > c.total.memoryMiB ||
            uint256(c.reserved.ssdGiB) + resources.ssdGiB > c.total.ssdGiB ||
            uint256(c.reserved.hddGiB) + resources.hddGiB > c.total.hddGiB ||
            uint256(c.reserved.gpus) + resources.gpus > c.total.gpus
        ) revert NodeInsufficientCapacity(nodeId);
        c.reserved.cpu += resources.cpu;
        c.reserved.memoryMiB += resources.memoryMiB;
        c.reserved.ssdGiB += resources.ssdGiB;
        c.reserved.hddGiB += resources.hddGiB;
        c.reserved.gpus += resources.gpus;
        ++c.reserved.activeLeases;
        _storeReserved(nodeId, c.reserved);
        emit CapacityReserved(nodeId, msg.sender, resources);
        return _prices[nodeId];
    }

    /// @inheritdoc INodeRegistry
    function release(uint256 nodeId, Resources calldata resources) external onlyRole(MARKET_ROLE) {
        if (_hot[nodeId].status == NodeStatus.None) revert NodeUnknown(nodeId);
        // Only the reserved half is read and written: releasing never needs the totals.
        Reservation memory r = _capacity[nodeId].reserved;
        if (
            r.activeLeases == 0 ||
            r.cpu < resources.cpu ||
            r.memoryMiB < resources.memoryMiB ||
            r.ssdGiB < resources.ssdGiB ||
            r.hddGiB < resources.hddGiB ||
            r.gpus < resources.gpus
        ) revert NodeReleaseExceedsReservation(nodeId);
        r.cpu -= resources.cpu;
        r.memoryMiB -= resources.memoryMiB;
        r.ssdGiB -= resources.ssdGiB;
        r.hddGiB -= resources.hddGiB;
        r.gpus -= resources.gpus;
        --r.activeLeases;
        _storeReserved(nodeId, r);
        emit CapacityReleased(nodeId, msg.sender, resources);
    }

    // The `_store*` functions write a one-slot struct in one store: assigning a struct from memory writes each
    // member separately, each a read and a write of the slot. The layout is Solidity's: members from the lowest-order
    // bits up, in order of declaration. The views read them back through Solidity, and the tests check every member.

    function _storeReserved(uint256 nodeId, Reservation memory r) private {
        Reservation storage reserved = _capacity[nodeId].reserved;
        uint256 packed =
            uint256(r.cpu) |
                (uint256(r.memoryMiB) << 16) |
                (uint256(r.ssdGiB) << 48) |
                (uint256(r.hddGiB) << 80) |
                (uint256(r.gpus) << 112) |
                (uint256(r.activeLeases) << 128);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(reserved.slot, packed)
        }
    }

    function _storeHot(uint256 nodeId, NodeHot memory h) private {
        NodeHot storage hot = _hot[nodeId];
        uint256 packed =
            uint256(h.keyTag) |
                (uint256(h.flags) << 88) |
                (uint256(h.identityId) << 96) |
                (uint256(h.lastHeartbeat) << 160) |
                (uint256(h.onlineSeconds) << 200) |
                (uint256(h.status) << 248);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(hot.slot, packed)
        }
    }

    function _storeRewards(uint256 nodeId, RewardSlot memory r) private {
        RewardSlot storage rewards = _rewards[nodeId];
        uint256 packed =
            uint256(r.cumStartPlusOne) |
                (uint256(r.pendingEpoch) << 48) |
                (uint256(r.units) << 72) |
                (uint256(r.pendingPoints) << 96) |
                (uint256(r.owed) << 160);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(rewards.slot, packed)
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Farming rewards
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc INodeRegistry
    function refreshCertification(uint256 nodeId) external returns (bool certified) {
        NodeHot memory hot = _hot[nodeId];
        _requireLive(nodeId, hot.status);
        uint256 until = _certificationExpiry(hot.identityId, nodeId);
        certified = until != 0;
        if (until != _cold[nodeId].certifiedUntil) {
            _cold[nodeId].certifiedUntil = uint40(until);
            emit CertificationRefreshed(nodeId, certified, until);
        }
    }

    /// @inheritdoc INodeRegistry
    function takeRewards(uint256 nodeId) external onlyRole(REWARDS_ROLE) returns (uint256 amount, address payout) {
        if (_hot[nodeId].status == NodeStatus.None) revert NodeUnknown(nodeId);
        RewardSlot memory r = _rewards[nodeId];
        _convertIfFinal(nodeId, r);
        amount = r.owed;
        r.owed = 0;
        _storeRewards(nodeId, r);
        payout = _farms[_cold[nodeId].farmId].payout;
        emit RewardsTaken(nodeId, payout, amount);
    }

    /// @inheritdoc INodeRegistry
    function excludeIdentity(
        uint256 identityId,
        uint256[] calldata farmIds,
        uint256[] calldata nodeIds
    ) external onlyRole(REWARDS_ROLE) {
        if (_excludedFrom[identityId] != 0) revert IdentityAlreadyExcluded(identityId);
        // Every farm the identity created, each once; then every node in them, each once. A node's identity is its
        // farm's, so the nodes of the identity are exactly those: the flag goes where the heartbeat already reads.
        uint256 expected = _farmsOf[identityId];
        if (farmIds.length != expected) revert ExclusionIncomplete(identityId, farmIds.length, expected);
        uint256 previous;
        uint256 nodes;
        for (uint256 i; i < farmIds.length; ++i) {
            uint256 farmId = farmIds[i];
            Farm memory f = _farms[farmId];
            if (farmId <= previous || f.identityId != identityId) revert ExclusionIncomplete(identityId, i, expected);
            previous = farmId;
            nodes += f.nodeCount;
        }
        if (nodeIds.length != nodes) revert ExclusionIncomplete(identityId, nodeIds.length, nodes);
        uint256 from = _epochOf(block.timestamp);
        previous = 0;
        for (uint256 i; i < nodeIds.length; ++i) {
            uint256 nodeId = nodeIds[i];
            if (nodeId <= previous || _hot[nodeId].identityId != identityId) {
                revert ExclusionIncomplete(identityId, i, nodes);
            }
            previous = nodeId;
            _excludedKeys[_cold[nodeId].key] = true;
            // A node excluded already (registered with an excluded key) stays excluded from when it was.
            if (_hot[nodeId].flags & EXCLUDED == 0) {
                _hot[nodeId].flags |= EXCLUDED;
                _excludeNode(nodeId, from);
            }
        }
        _excludedFrom[identityId] = from + 1;
        emit IdentityExcluded(identityId, from);
    }

    /// @dev Closes epoch `closing` for the node at its first heartbeat in a later one, `current`: converts the node's
    /// pending epoch (final by now: it is at most `closing - 1`, and the heartbeat is in `closing + 1` or later),
    /// then records the closing epoch's points as pending and adds them to the epoch's total.
    ///
    /// A node earns its capacity units for every proven second: all its declared units, times 1.25, while certified;
    /// at most the baseline otherwise. Points are forfeited when
    /// - the heartbeat is not in the next epoch (the node was silent for all of it), or was relayed once the
    ///   epoch after that had begun: the closing epoch's total is final then and nodes may have been paid from it, so
    ///   adding to it would pay the epoch twice. (A heartbeat is accepted up to `offlineAfter` after it was signed,
    ///   so without this rule one signed late in `closing + 1` and relayed early in `closing + 2` would.)
    /// - the node is excluded (from an epoch no later than `closing`).
    function _closeEpoch(
        uint256 nodeId,
        NodeHot memory hot,
        uint256 closing,
        uint256 current,
        uint256 atBoundary,
        uint256 afterCredit
    ) private {
        bool next = current == closing + 1;
        RewardSlot memory r = _rewards[nodeId];
        uint256 owed = r.pendingEpoch != 0 ? _convert(r) : 0;
        uint256 seconds_ = atBoundary - (r.cumStartPlusOne - 1);
        bool certified = block.timestamp < _cold[nodeId].certifiedUntil;
        uint256 units = _earningUnits(r.units, certified);
        uint256 points = (seconds_ * units * (certified ? 5 : 4)) / 4;
        if (
            !next || _epochOf(block.timestamp) != current || (hot.flags & EXCLUDED != 0 && _excludedIn(nodeId, closing))
        ) points = 0;
        if (points != 0) {
            _addPoints(closing, points);
            r.pendingEpoch = uint24(closing + 1);
            r.pendingPoints = uint64(points);
        }
        // In the next epoch the credit's tail after the boundary counts; after a silent epoch it is forfeited too.
        r.cumStartPlusOne = uint48((next ? atBoundary : afterCredit) + 1);
        _storeRewards(nodeId, r);
        emit EpochClosed(nodeId, closing, seconds_, units, points, owed);
    }

    /// @dev The capacity units a node of `units` declared units earns on: all of them while certified, at most the
    /// baseline otherwise.
    function _earningUnits(uint256 units, bool certified) private view returns (uint256) {
        return certified || units < _baselineUnits ? units : _baselineUnits;
    }

    /// @dev Until when the node's certification counts, read from the reputation registry: zero when it has no valid
    /// attestation of its schema about the farm's identity, the attestation's expiry otherwise (`NO_EXPIRY` for none).
    function _certificationExpiry(uint256 identityId, uint256 nodeId) private view returns (uint256) {
        uint256 attestationId = _reputation.currentAttestation(identityId, Certification.schema(nodeId));
        if (attestationId == 0 || !_reputation.isValid(attestationId)) return 0;
        uint256 expiresAt = _reputation.attestation(attestationId).expiresAt;
        return expiresAt == 0 ? NO_EXPIRY : expiresAt;
    }

    /// @dev Converts the pending epoch into FOLD owed when its total is final (the epoch after it has ended).
    function _convertIfFinal(uint256 nodeId, RewardSlot memory r) private {
        if (_pendingIsFinal(r)) {
            uint256 epoch = uint256(r.pendingEpoch) - 1;
            emit RewardsOwed(nodeId, epoch, _convert(r));
        }
    }

    /// @dev Whether the node has a pending epoch whose total is final (the epoch after it has ended).
    function _pendingIsFinal(RewardSlot memory r) private view returns (bool) {
        return r.pendingEpoch != 0 && _epochOf(block.timestamp) >= uint256(r.pendingEpoch) + 1;
    }

    /// @dev pendingPoints / total x emission of the pending epoch, rounded down, added to what the node is owed. A
    /// total no longer in the ring (the node left its rewards unclaimed for 32 epochs) converts to nothing.
    function _convert(RewardSlot memory r) private view returns (uint256 amount) {
        uint256 epoch = uint256(r.pendingEpoch) - 1;
        uint256 slot = _totals[epoch % TOTALS];
        if (slot >> 224 == epoch) {
            amount = (uint256(r.pendingPoints) * _emission(epoch)) / (slot & type(uint224).max);
            r.owed += uint96(amount);
        }
        r.pendingEpoch = 0;
        r.pendingPoints = 0;
    }

    function _addPoints(uint256 epoch, uint256 points) private {
        uint256 i = epoch % TOTALS;
        uint256 slot = _totals[i];
        _totals[i] = slot >> 224 == epoch ? slot + points : (epoch << 224) | points;
    }

    /// @dev Records that the node (flagged EXCLUDED) earns nothing from epoch `from` on.
    function _excludeNode(uint256 nodeId, uint256 from) private {
        _nodeExcludedFrom[nodeId] = from + 1;
        emit NodeExcluded(nodeId, from);
    }

    /// @dev Whether a node flagged EXCLUDED is excluded in `epoch` (it keeps what it earned before).
    function _excludedIn(uint256 nodeId, uint256 epoch) private view returns (bool) {
        return epoch + 1 >= _nodeExcludedFrom[nodeId];
    }

    /// @dev Capacity units times 1,024: the weights are units times 1,024 per core, GiB and GPU, and memory is
    /// leased by the MiB.
    function _units(Resources memory r) private view returns (uint256) {
        return
            uint256(r.cpu) * _wCpu +
            uint256(r.ssdGiB) * _wSsd +
            uint256(r.hddGiB) * _wHdd +
            uint256(r.gpus) * _wGpu +
            (uint256(r.memoryMiB) * _wMemory) / 1_024;
    }

    function _emission(uint256 epoch) private view returns (uint256) {
        return EmissionSchedule.emission(epoch, _initialEmission, _decayBps, _decayEvery);
    }

    function _epochOf(uint256 t) private view returns (uint256) {
        return (t - _genesis) / _epochLength;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc INodeRegistry
    function epochPoints(uint256 epoch) external view returns (uint256) {
        uint256 slot = _totals[epoch % TOTALS];
        return slot >> 224 == epoch ? slot & type(uint224).max : 0;
    }

    /// @inheritdoc INodeRegistry
    function rewardState(uint256 nodeId) external view returns (RewardState memory) {
        if (_hot[nodeId].status == NodeStatus.None) revert NodeUnknown(nodeId);
        RewardSlot memory r = _rewards[nodeId];
        return RewardState(r.cumStartPlusOne - 1, r.pendingEpoch, r.units, r.pendingPoints, r.owed);
    }

    /// @inheritdoc INodeRegistry
    function rewardStanding(uint256 nodeId) external view returns (RewardStanding memory standing) {
        NodeHot memory hot = _hot[nodeId];
        if (hot.status == NodeStatus.None) revert NodeUnknown(nodeId);
        uint256 units = _rewards[nodeId].units;
        uint256 until = _cold[nodeId].certifiedUntil;
        bool certified = block.timestamp < until;
        standing = RewardStanding({
            units: units,
            earningUnits: _earningUnits(units, certified),
            certifiedUntil: certified ? until : 0,
            excluded: hot.flags & EXCLUDED != 0
        });
    }

    /// @inheritdoc INodeRegistry
    function excludedFrom(uint256 identityId) external view returns (uint256) {
        return _excludedFrom[identityId];
    }

    /// @inheritdoc INodeRegistry
    function isKeyExcluded(address key) external view returns (bool) {
        return _excludedKeys[key];
    }

    /// @inheritdoc INodeRegistry
    function farmCountOf(uint256 identityId) external view returns (uint256) {
        return _farmsOf[identityId];
    }

    /// @inheritdoc INodeRegistry
    function rewardsOwed(uint256 nodeId) external view returns (uint256) {
        if (_hot[nodeId].status == NodeStatus.None) revert NodeUnknown(nodeId);
        RewardSlot memory r = _rewards[nodeId];
        // The same conversion `takeRewards` makes, on a copy in memory.
        if (_pendingIsFinal(r)) _convert(r);
        return r.owed;
    }

    /// @inheritdoc INodeRegistry
    function rewardPolicy() external view returns (RewardPolicy memory policy, uint256 genesis) {
        policy = RewardPolicy({
            reputation: address(_reputation),
            epochLength: _epochLength,
            initialEmission: _initialEmission,
            decayBps: _decayBps,
            decayEvery: _decayEvery,
            weights: Weights(_wCpu, _wMemory, _wSsd, _wHdd, _wGpu),
            baselineUnits: _baselineUnits
        });
        genesis = _genesis;
    }

    /// @inheritdoc INodeRegistry
    function farm(uint256 farmId) external view returns (Farm memory f) {
        f = _farms[farmId];
        if (f.identityId == 0) revert FarmUnknown(farmId);
    }

    /// @inheritdoc INodeRegistry
    function farmOwner(uint256 farmId) external view returns (address) {
        uint256 identityId = _farms[farmId].identityId;
        if (identityId == 0) revert FarmUnknown(farmId);
        return _identities.ownerOf(identityId);
    }

    /// @inheritdoc INodeRegistry
    function node(uint256 nodeId) external view returns (Node memory n) {
        NodeHot memory hot = _hot[nodeId];
        if (hot.status == NodeStatus.None) revert NodeUnknown(nodeId);
        NodeCold memory cold = _cold[nodeId];
        n = Node({
            farmId: cold.farmId,
            identityId: hot.identityId,
            status: hot.status,
            lastHeartbeat: hot.lastHeartbeat,
            onlineSeconds: hot.onlineSeconds,
            activeLeases: _capacity[nodeId].reserved.activeLeases,
            key: cold.key,
            country: cold.country
        });
    }

    /// @inheritdoc INodeRegistry
    function nodeOfKey(address key) external view returns (uint256) {
        return _nodeOfKey[key];
    }

    /// @inheritdoc INodeRegistry
    function capacity(uint256 nodeId) external view returns (Resources memory total, Resources memory reserved) {
        if (_hot[nodeId].status == NodeStatus.None) revert NodeUnknown(nodeId);
        Capacity memory c = _capacity[nodeId];
        Reservation memory r = c.reserved;
        return (c.total, Resources(r.cpu, r.memoryMiB, r.ssdGiB, r.hddGiB, r.gpus));
    }

    /// @inheritdoc INodeRegistry
    function prices(uint256 nodeId) external view returns (Prices memory) {
        if (_hot[nodeId].status == NodeStatus.None) revert NodeUnknown(nodeId);
        return _prices[nodeId];
    }

    /// @inheritdoc INodeRegistry
    function isOnline(uint256 nodeId) external view returns (bool) {
        return _isOnline(_hot[nodeId]);
    }

    /// @inheritdoc INodeRegistry
    function accruedOnlineSeconds(uint256 nodeId) external view returns (uint256) {
        NodeHot memory hot = _hot[nodeId];
        if (hot.status == NodeStatus.None) revert NodeUnknown(nodeId);
        uint256 last = hot.lastHeartbeat;
        if (last == 0) return hot.onlineSeconds;
        uint256 gap = block.timestamp - last;
        return hot.onlineSeconds + (gap < _maxGap ? gap : _maxGap);
    }

    /// @inheritdoc INodeRegistry
    function billing(
        uint256 nodeId
    ) external view returns (uint256 onlineSeconds, uint256 lastHeartbeat, address payout, uint256 farmIdentityId) {
        NodeHot memory hot = _hot[nodeId];
        if (hot.status == NodeStatus.None) revert NodeUnknown(nodeId);
        return (hot.onlineSeconds, hot.lastHeartbeat, _farms[_cold[nodeId].farmId].payout, hot.identityId);
    }

    /// @inheritdoc INodeRegistry
    function bondOf(uint256 nodeId) external view returns (uint256) {
        if (_hot[nodeId].status == NodeStatus.None) revert NodeUnknown(nodeId);
        return _bonds[nodeId];
    }

    /// @inheritdoc INodeRegistry
    function bondToken() external view returns (address) {
        return address(_bondToken);
    }

    /// @inheritdoc INodeRegistry
    function maxGap() external view returns (uint256) {
        return _maxGap;
    }

    /// @inheritdoc INodeRegistry
    function offlineAfter() external view returns (uint256) {
        return _offlineAfter;
    }

    /// @inheritdoc INodeRegistry
    function farmCount() external view returns (uint256) {
        return _farmCount;
    }

    /// @inheritdoc INodeRegistry
    function nodeCount() external view returns (uint256) {
        return _nodeCount;
    }

    /// @inheritdoc INodeRegistry
    function identityRegistry() external view returns (address) {
        return address(_identities);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    function _isOnline(NodeHot memory hot) private view returns (bool) {
        return
            hot.status != NodeStatus.None &&
            hot.status != NodeStatus.Decommissioned &&
            hot.lastHeartbeat != 0 &&
            block.timestamp - hot.lastHeartbeat <= _offlineAfter;
    }

    function _requireLive(uint256 nodeId, NodeStatus status) private pure {
        if (status == NodeStatus.None) revert NodeUnknown(nodeId);
        if (status == NodeStatus.Decommissioned) revert NodeDecommissioned(nodeId);
    }

    function _requireFarmOwner(uint256 farmId) private view returns (Farm memory f) {
        f = _farms[farmId];
        if (f.identityId == 0) revert FarmUnknown(farmId);
        if (_identities.ownerOf(f.identityId) != msg.sender) revert FarmNotOwner(farmId, msg.sender);
    }

    /// @dev The node exists, is not decommissioned, and the caller owns its farm. Returns its status.
    function _requireNodeOwner(uint256 nodeId) private view returns (NodeStatus status) {
        status = _hot[nodeId].status;
        _requireLive(nodeId, status);
        _requireFarmOwner(_cold[nodeId].farmId);
    }

    function _isCountryCode(bytes2 code) private pure returns (bool) {
        bytes1 a = code[0];
        bytes1 b = code[1];
        return a >= "A" && a <= "Z" && b >= "A" && b <= "Z";
    }
}
