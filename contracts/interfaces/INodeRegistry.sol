// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Fourfold node registry
/// @notice Farms and the nodes in them, and the uptime each node proves. A farm belongs to an identity (its owner is
/// the identity's current owner) and names a payout address. A node has a signing key bound to the farm's identity
/// with purpose Node, its resources, a location and its prices per hour. The node proves it is online with
/// heartbeats, sent by its key or signed by it (EIP-712) and relayed by anyone, alone or in batches. Each heartbeat
/// credits min(time since the previous heartbeat, `maxGap`) seconds to the node's cumulative proven online time, so
/// a node that was silent is credited at most one gap for its silence. A node is online while its last heartbeat
/// is at most `offlineAfter` old. Markets (holders of the market role) reserve and release node capacity for
/// leases; reservations never exceed the node's resources. A farm may bond payment tokens to a node, a public sign of
/// commitment held by the registry and refunded to the farm's owner when the node is decommissioned.
interface INodeRegistry {
    /// @notice A node's lifecycle. `Standby` nodes take no new leases; `Decommissioned` is final.
    enum NodeStatus {
        None,
        Active,
        Standby,
        Decommissioned
    }

    /// @notice Why a batch skipped a heartbeat.
    enum SkipReason {
        UnknownNode,
        Decommissioned,
        FromTheFuture,
        TooOld,
        NotNewer,
        BadSignature,
        InactiveKey
    }

    /// @notice Capacity, of a node or of a lease.
    /// @param cpu CPU cores.
    /// @param memoryMiB Memory in MiB.
    /// @param ssdGiB SSD storage in GiB.
    /// @param hddGiB HDD storage in GiB.
    /// @param gpus GPUs.
    struct Resources {
        uint16 cpu;
        uint32 memoryMiB;
        uint32 ssdGiB;
        uint32 hddGiB;
        uint16 gpus;
    }

    /// @notice A node's prices, in payment-token base units per hour for one unit of each resource.
    /// @param cpu One CPU core.
    /// @param memoryGiB One GiB of memory.
    /// @param ssdGiB One GiB of SSD.
    /// @param hddGiB One GiB of HDD.
    /// @param gpu One GPU.
    struct Prices {
        uint96 cpu;
        uint96 memoryGiB;
        uint96 ssdGiB;
        uint96 hddGiB;
        uint96 gpu;
    }

    /// @notice Where a node is.
    /// @param country ISO 3166-1 alpha-2 country code, two upper-case letters.
    /// @param region A geohash or a region name, at most 64 bytes (kept in the registration event only).
    struct Location {
        bytes2 country;
        string region;
    }

    /// @notice A farm.
    /// @param identityId The identity that owns it; the farm's owner is that identity's owner.
    /// @param nodeCount Nodes ever registered in it.
    /// @param payout Where lease payments and rewards for its nodes go.
    struct Farm {
        uint64 identityId;
        uint32 nodeCount;
        address payout;
    }

    /// @notice A node, as the views return it.
    /// @param farmId Its farm.
    /// @param identityId Its farm's identity, to which its key is bound.
    /// @param status Active, Standby or Decommissioned.
    /// @param lastHeartbeat The time of its last heartbeat, zero before the first.
    /// @param onlineSeconds Its cumulative proven online time.
    /// @param activeLeases Leases holding a reservation on it.
    /// @param key Its signing key.
    /// @param country Its country code.
    struct Node {
        uint32 farmId;
        uint64 identityId;
        NodeStatus status;
        uint40 lastHeartbeat;
        uint48 onlineSeconds;
        uint32 activeLeases;
        address key;
        bytes2 country;
    }

    /// @notice How much one unit of each resource weighs in a node's capacity units (farming reward points).
    struct Weights {
        uint256 cpu;
        uint256 memoryGiB;
        uint256 ssdGiB;
        uint256 hddGiB;
        uint256 gpu;
    }

    /// @notice The farming rewards policy, fixed at deployment.
    /// @param reputation The reputation registry, where node certifications are attested.
    /// @param epochLength Seconds in an epoch (at least maxGap, at most 30 days).
    /// @param initialEmission FOLD emitted in each of the first `decayEvery` epochs.
    /// @param decayBps The factor applied to the emission every `decayEvery` epochs, in basis points (below 10,000).
    /// @param decayEvery Epochs per step of the schedule (1 to 3,650).
    /// @param weights Capacity units per resource unit (times 1,024; each at most 65,536).
    /// @param baselineUnits The most capacity units (times 1,024) an uncertified node earns on, whatever it declares
    /// (at most 16,384: sixteen units).
    struct RewardPolicy {
        address reputation;
        uint256 epochLength;
        uint256 initialEmission;
        uint256 decayBps;
        uint256 decayEvery;
        Weights weights;
        uint256 baselineUnits;
    }

    /// @notice A node's farming reward accounting (one slot).
    /// @param cumStart The node's proven seconds when its open epoch began for it.
    /// @param pendingEpoch The epoch the node last closed, plus one (zero: none); it becomes FOLD owed once that
    /// epoch's total is final (two epochs later).
    /// @param units The node's declared capacity units, times 1,024 (what it earns on per proven second while
    /// certified; uncertified, at most the policy's `baselineUnits`).
    /// @param pendingPoints The node's points in that epoch.
    /// @param owed FOLD owed to the node and not yet claimed.
    struct RewardState {
        uint48 cumStart;
        uint24 pendingEpoch;
        uint24 units;
        uint64 pendingPoints;
        uint96 owed;
    }

    /// @notice Where a node stands for farming rewards.
    /// @param units Its declared capacity units, times 1,024.
    /// @param earningUnits The units it earns on per proven second now: all of them while certified, at most the
    /// policy's `baselineUnits` otherwise.
    /// @param certifiedUntil Until when its cached certification counts (zero: not certified; 2^40 - 1: no expiry).
    /// @param excluded Whether it is excluded from farming rewards (its identity or its key was excluded).
    struct RewardStanding {
        uint256 units;
        uint256 earningUnits;
        uint256 certifiedUntil;
        bool excluded;
    }

    /// @notice One relayed heartbeat: the node key's compact (EIP-2098) signature of Heartbeat(nodeId, timestamp).
    struct SignedHeartbeat {
        uint64 nodeId;
        uint40 timestamp;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice The caller does not own the identity it names.
    error FarmNotIdentityOwner(uint256 identityId, address caller);
    /// @notice A farm name is 1 to 64 bytes.
    error FarmInvalidName();
    /// @notice The payout address is zero.
    error FarmZeroPayout();
    /// @notice No farm has this id.
    error FarmUnknown(uint256 farmId);
    /// @notice The caller does not own the farm.
    error FarmNotOwner(uint256 farmId, address caller);

    /// @notice No node has this id.
    error NodeUnknown(uint256 nodeId);
    /// @notice The node key is zero.
    error NodeZeroKey();
    /// @notice The key is already the key of a node that is not decommissioned.
    error NodeKeyInUse(address key, uint256 nodeId);
    /// @notice The key is not an active Node key of the farm's identity.
    error NodeKeyNotBound(address key, uint256 identityId);
    /// @notice A node needs at least one CPU core and some memory.
    error NodeInvalidResources();
    /// @notice The country code is not two upper-case letters.
    error NodeInvalidCountry(bytes2 country);
    /// @notice The region is longer than 64 bytes.
    error NodeInvalidRegion();
    /// @notice The node is decommissioned.
    error NodeDecommissioned(uint256 nodeId);
    /// @notice The node still holds leases.
    error NodeHasActiveLeases(uint256 nodeId, uint256 activeLeases);
    /// @notice The node is already in the requested state.
    error NodeStatusUnchanged(uint256 nodeId, NodeStatus status);
    /// @notice The caller is not the node's key.
    error NodeNotKey(uint256 nodeId, address caller);
    /// @notice The node's key is no longer an active Node key of its farm's identity (unbound, or the identity was
    /// transferred).
    error NodeKeyInactive(uint256 nodeId, address key);
    /// @notice The node takes no new leases (standby or decommissioned).
    error NodeNotAvailable(uint256 nodeId, NodeStatus status);
    /// @notice The node has not sent a heartbeat within `offlineAfter`.
    error NodeOffline(uint256 nodeId, uint256 lastHeartbeat);
    /// @notice The node's free capacity is less than requested.
    error NodeInsufficientCapacity(uint256 nodeId);
    /// @notice A market released more than it had reserved.
    error NodeReleaseExceedsReservation(uint256 nodeId);

    /// @notice A signed heartbeat's timestamp is later than the block's.
    error HeartbeatFromTheFuture(uint256 timestamp, uint256 blockTimestamp);
    /// @notice A signed heartbeat is older than `offlineAfter`.
    error HeartbeatTooOld(uint256 timestamp, uint256 blockTimestamp);
    /// @notice A signed heartbeat is not newer than the node's last heartbeat (a replay, or out of order).
    error HeartbeatNotNewer(uint256 nodeId, uint256 timestamp, uint256 lastHeartbeat);
    /// @notice The signature is not the node key's.
    error HeartbeatInvalidSignature(uint256 nodeId);

    /// @notice The heartbeat parameters are out of range (each from one minute to one day).
    error NodeRegistryInvalidTiming(uint256 maxGap, uint256 offlineAfter);

    event FarmCreated(uint256 indexed farmId, uint256 indexed identityId, string name, address payout);
    event FarmPayoutSet(uint256 indexed farmId, address payout);
    event NodeRegistered(
        uint256 indexed nodeId,
        uint256 indexed farmId,
        address indexed key,
        Resources resources,
        bytes2 country,
        string region
    );
    event NodePricesSet(uint256 indexed nodeId, Prices prices);
    event NodeStatusChanged(uint256 indexed nodeId, NodeStatus status);
    /// @notice A heartbeat was accepted. `onlineSeconds` is the node's new cumulative proven online time.
    event Heartbeat(uint256 indexed nodeId, uint256 timestamp, uint256 onlineSeconds);
    /// @notice A batch skipped this node's heartbeat, for `reason`; the rest of the batch went on.
    event HeartbeatSkipped(uint256 indexed nodeId, SkipReason reason);
    /// @notice The identity is excluded already.
    error IdentityAlreadyExcluded(uint256 identityId);

    /// @notice Excluding an identity needs every farm it created and every node registered in them, each list in
    /// increasing order; a list breaks at `index`, or has the wrong length (`index` is then its length), against
    /// `expected` entries.
    error ExclusionIncomplete(uint256 identityId, uint256 index, uint256 expected);

    /// @notice A reward policy value is out of range.
    error RewardsInvalidPolicy(string parameter, uint256 value);

    /// @notice A node closed an epoch at its first heartbeat in a later one: its proven seconds in it, the capacity
    /// units it earned on, and the points they earned (zero when forfeited: the heartbeat was signed after the next
    /// epoch had ended, or relayed after it had, when the epoch's total was already final; or the node is excluded).
    /// `owed` is the FOLD its previous closed epoch turned into, now final.
    event EpochClosed(
        uint256 indexed nodeId,
        uint256 indexed epoch,
        uint256 seconds_,
        uint256 units,
        uint256 points,
        uint256 owed
    );

    /// @notice A closed epoch's points became FOLD owed to the node (its share of that epoch's emission).
    event RewardsOwed(uint256 indexed nodeId, uint256 indexed epoch, uint256 amount);

    /// @notice Rewards owed to a node were handed to the rewards contract for minting.
    event RewardsTaken(uint256 indexed nodeId, address indexed payout, uint256 amount);

    /// @notice A node's cached certification changed: it counts until `until` (zero: not certified; 2^40 - 1: no
    /// expiry).
    event CertificationRefreshed(uint256 indexed nodeId, bool certified, uint256 until);

    /// @notice Governance excluded an identity from farming rewards from `fromEpoch` on: every farm it has or
    /// creates, and every node key it used.
    event IdentityExcluded(uint256 indexed identityId, uint256 fromEpoch);

    /// @notice A node is excluded from farming rewards from `fromEpoch` on: its identity was excluded, or it was
    /// registered by an excluded identity or with an excluded key.
    event NodeExcluded(uint256 indexed nodeId, uint256 fromEpoch);

    /// @notice A bond must be more than zero.
    error NodeZeroBond();

    /// @notice The farm's owner added to a node's bond.
    /// @param nodeId The node.
    /// @param amount The amount added.
    /// @param bond The node's bond afterwards.
    event NodeBonded(uint256 indexed nodeId, uint256 amount, uint256 bond);

    /// @notice A decommissioned node's bond went back to its farm's owner.
    event NodeBondRefunded(uint256 indexed nodeId, address indexed to, uint256 amount);

    event CapacityReserved(uint256 indexed nodeId, address indexed market, Resources resources);
    event CapacityReleased(uint256 indexed nodeId, address indexed market, Resources resources);

    /// @notice Creates a farm owned by `ownerIdentityId`, which the caller must own.
    function createFarm(uint256 ownerIdentityId, string calldata name, address payout) external returns (uint256);

    /// @notice Changes a farm's payout address. Farm owner only.
    function setFarmPayout(uint256 farmId, address payout) external;

    /// @notice Registers a node in a farm. Farm owner only; `key` must be an active Node key of the farm's identity
    /// and not the key of another node.
    function registerNode(
        uint256 farmId,
        address key,
        Resources calldata resources,
        Location calldata location,
        Prices calldata prices
    ) external returns (uint256 nodeId);

    /// @notice Sets the node's prices for leases opened from now on. Farm owner only.
    function updatePrices(uint256 nodeId, Prices calldata prices) external;

    /// @notice Puts a node on standby (no new leases) or back to active. Farm owner only.
    function setStandby(uint256 nodeId, bool standby) external;

    /// @notice Retires a node for good, frees its key and refunds its bond to the caller. Farm owner only, and only
    /// with no active lease.
    function decommission(uint256 nodeId) external;

    /// @notice Adds `amount` of the payment token (pulled from the caller, who must have approved it) to the node's
    /// bond. Farm owner only, while the node is not decommissioned.
    function bond(uint256 nodeId, uint256 amount) external;

    /// @notice The node's bond.
    function bondOf(uint256 nodeId) external view returns (uint256);

    /// @notice Re-reads the node's certification (a valid attestation of `FarmingRewards.certificationSchema(nodeId)`
    /// about its farm's identity in the reputation registry: a certifier audited the node's declared resources) into
    /// the node's record, with its expiry, where the epoch accounting uses it: a certified node earns on all its
    /// declared units, times 1.25. Anyone may call it, after an attestation is issued or revoked; an expiry takes
    /// effect by itself.
    function refreshCertification(uint256 nodeId) external returns (bool certified);

    /// @notice Hands over what the node is owed (converting its pending epoch when that epoch's total is final) and
    /// zeroes it. Rewards role only (FarmingRewards, which mints it).
    /// @return amount The FOLD owed.
    /// @return payout The node's farm's payout address.
    function takeRewards(uint256 nodeId) external returns (uint256 amount, address payout);

    /// @notice Excludes an identity from farming rewards from the current epoch on: the nodes of every farm it
    /// created, the nodes it registers later in any farm, and every node key it used, wherever that key is registered
    /// again. What its nodes were owed before is kept. `farmIds` lists every farm the identity created and `nodeIds`
    /// every node registered in them, each in increasing order (the indexer has both). Rewards role only.
    function excludeIdentity(uint256 identityId, uint256[] calldata farmIds, uint256[] calldata nodeIds) external;

    /// @notice The epoch an identity is excluded from, plus one (zero: not excluded).
    function excludedFrom(uint256 identityId) external view returns (uint256);

    /// @notice Whether a node key was used by an excluded identity (a node registered with it is excluded).
    function isKeyExcluded(address key) external view returns (bool);

    /// @notice Farms the identity created.
    function farmCountOf(uint256 identityId) external view returns (uint256);

    /// @notice The sum of the points closed in `epoch` so far (final once `epoch + 2` has begun), zero when unknown.
    function epochPoints(uint256 epoch) external view returns (uint256);

    /// @notice A node's reward accounting.
    function rewardState(uint256 nodeId) external view returns (RewardState memory);

    /// @notice What a node earns on (see RewardStanding).
    function rewardStanding(uint256 nodeId) external view returns (RewardStanding memory);

    /// @notice What `takeRewards` would hand over now.
    function rewardsOwed(uint256 nodeId) external view returns (uint256);

    /// @notice The policy the registry was deployed with; epoch 0 begins at `genesis`.
    function rewardPolicy() external view returns (RewardPolicy memory policy, uint256 genesis);

    /// @notice The token bonds are held in (the payment token).
    function bondToken() external view returns (address);

    /// @notice A heartbeat from the node's key itself.
    function heartbeat(uint256 nodeId) external;

    /// @notice A heartbeat the node key signed at `timestamp` (EOA or ERC-1271), relayed by anyone.
    function heartbeatBySig(uint256 nodeId, uint256 timestamp, bytes calldata signature) external;

    /// @notice Many nodes' signed heartbeats in one transaction (EOA node keys: a compact ECDSA signature each;
    /// contract keys use `heartbeatBySig`). Invalid entries are skipped with a
    /// `HeartbeatSkipped` event; the batch never reverts for them.
    /// @return accepted The number of heartbeats accepted.
    function heartbeatBatch(SignedHeartbeat[] calldata heartbeats) external returns (uint256 accepted);

    /// @notice Reserves capacity on an active, online node for a lease. Markets only.
    /// @return prices The node's current prices, which the market fixes for the lease.
    function reserve(uint256 nodeId, Resources calldata resources) external returns (Prices memory prices);

    /// @notice Releases capacity a lease held. Markets only.
    function release(uint256 nodeId, Resources calldata resources) external;

    function farm(uint256 farmId) external view returns (Farm memory);
    function farmOwner(uint256 farmId) external view returns (address);
    function node(uint256 nodeId) external view returns (Node memory);
    function nodeOfKey(address key) external view returns (uint256);
    function capacity(uint256 nodeId) external view returns (Resources memory total, Resources memory reserved);
    function prices(uint256 nodeId) external view returns (Prices memory);

    /// @notice Whether the node is not decommissioned and heartbeated within `offlineAfter`.
    function isOnline(uint256 nodeId) external view returns (bool);

    /// @notice The node's proven online seconds, plus what its next heartbeat will credit for the time since its
    /// last one if it comes now: min(now - lastHeartbeat, maxGap), zero before the first heartbeat. A lease opened
    /// now snapshots this, so it never pays for time before it began.
    function accruedOnlineSeconds(uint256 nodeId) external view returns (uint256);

    /// @notice What a market needs to bill a lease on the node, in one call.
    /// @return onlineSeconds The node's proven online seconds (credited by heartbeats so far).
    /// @return lastHeartbeat The time of its last heartbeat, zero before the first.
    /// @return payout Its farm's payout address.
    /// @return farmIdentityId Its farm's identity.
    function billing(
        uint256 nodeId
    ) external view returns (uint256 onlineSeconds, uint256 lastHeartbeat, address payout, uint256 farmIdentityId);

    /// @notice The most seconds one heartbeat credits.
    function maxGap() external view returns (uint256);

    /// @notice How long after its last heartbeat a node counts as offline.
    function offlineAfter() external view returns (uint256);

    function farmCount() external view returns (uint256);
    function nodeCount() external view returns (uint256);
    function identityRegistry() external view returns (address);
}
