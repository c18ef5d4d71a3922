// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Fourfold farming rewards
/// @notice The only minter of FOLD. NodeRegistry computes every node's points from the heartbeats that prove it
/// online, epoch by epoch, and converts them into the node's share of each epoch's emission once the epoch's total
/// is final; this contract mints what a node is owed to its farm's payout address, and lets governance exclude an
/// identity (its farms, its nodes and their keys) from the current epoch on (earned rewards are never taken back).
interface IFarmingRewards {
    /// @notice The node is owed nothing now.
    error RewardsNothingToClaim(uint256 nodeId);

    /// @notice The schedule could emit more than the FOLD left under the cap.
    error RewardsScheduleExceedsCap(uint256 bound, uint256 available);

    /// @notice Rewards were minted for a node.
    event RewardsClaimed(uint256 indexed nodeId, address indexed payout, uint256 amount);

    /// @notice Mints what the node is owed to its farm's payout address. Anyone may call it.
    /// @return amount The FOLD minted.
    function claim(uint256 nodeId) external returns (uint256 amount);

    /// @notice What `claim` would mint now.
    function pendingRewards(uint256 nodeId) external view returns (uint256);

    /// @notice Excludes an identity from farming rewards from the current epoch on (see
    /// `INodeRegistry.excludeIdentity`). Governance only.
    function excludeIdentity(uint256 identityId, uint256[] calldata farmIds, uint256[] calldata nodeIds) external;

    /// @notice The emission of an epoch (see EmissionSchedule).
    function emission(uint256 epoch) external view returns (uint256);

    /// @notice An upper bound of everything the schedule will ever emit; at most the FOLD left under the cap.
    function totalEmissionBound() external view returns (uint256);

    /// @notice The epoch of time `t` (epoch 0 for times before the first epoch).
    function epochOf(uint256 t) external view returns (uint256);

    /// @notice The epoch now.
    function currentEpoch() external view returns (uint256);

    /// @notice When an epoch begins.
    function epochStart(uint256 epoch) external view returns (uint256);

    /// @notice The attestation schema (about the node's farm identity) that certifies node `nodeId`.
    function certificationSchema(uint256 nodeId) external pure returns (bytes32);

    /// @notice FOLD minted by claims, in all.
    function totalClaimed() external view returns (uint256);

    function token() external view returns (address);
    function nodeRegistry() external view returns (address);
}
