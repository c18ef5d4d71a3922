// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IFarmingRewards} from "./interfaces/IFarmingRewards.sol";
import {IFoldToken} from "./interfaces/IFoldToken.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {Certification} from "./libraries/Certification.sol";
import {EmissionSchedule} from "./libraries/EmissionSchedule.sol";

/// @title FarmingRewards
/// @notice See {IFarmingRewards}. The accounting lives in NodeRegistry, next to the heartbeats it is computed from:
/// a separate contract called on every heartbeat would cost more than the heartbeat's gas budget allows.
contract FarmingRewards is AccessControl, IFarmingRewards {
    /// @notice Governance excludes identities proven (off-chain) to have cheated.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    IFoldToken private immutable _token;
    INodeRegistry private immutable _nodes;
    uint256 private immutable _genesis;
    uint256 private immutable _epochLength;
    uint256 private immutable _initialEmission;
    uint256 private immutable _decayBps;
    uint256 private immutable _decayEvery;
    uint256 private _totalClaimed;

    /// @param token_ FOLD; this contract must become its minter.
    /// @param nodes The node registry; this contract needs its rewards role.
    /// @param admin Grants the governor role.
    constructor(address token_, address nodes, address admin) {
        _token = IFoldToken(token_);
        _nodes = INodeRegistry(nodes);
        (INodeRegistry.RewardPolicy memory policy, uint256 genesis) = _nodes.rewardPolicy();
        _genesis = genesis;
        _epochLength = policy.epochLength;
        _initialEmission = policy.initialEmission;
        _decayBps = policy.decayBps;
        _decayEvery = policy.decayEvery;
        uint256 bound = EmissionSchedule.totalBound(policy.initialEmission, policy.decayBps, policy.decayEvery);
        uint256 available = _token.cap() - _token.totalSupply();
        if (bound > available) revert RewardsScheduleExceedsCap(bound, available);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IFarmingRewards
    function claim(uint256 nodeId) external returns (uint256 amount) {
        address payout;
        (amount, payout) = _nodes.takeRewards(nodeId);
        if (amount == 0) revert RewardsNothingToClaim(nodeId);
        _totalClaimed += amount;
        emit RewardsClaimed(nodeId, payout, amount);
        _token.mint(payout, amount);
    }

    /// @inheritdoc IFarmingRewards
    function excludeIdentity(
        uint256 identityId,
        uint256[] calldata farmIds,
        uint256[] calldata nodeIds
    ) external onlyRole(GOVERNOR_ROLE) {
        _nodes.excludeIdentity(identityId, farmIds, nodeIds);
    }

    /// @inheritdoc IFarmingRewards
    function pendingRewards(uint256 nodeId) external view returns (uint256) {
        return _nodes.rewardsOwed(nodeId);
    }

    /// @inheritdoc IFarmingRewards
    function emission(uint256 epoch) external view returns (uint256) {
        return EmissionSchedule.emission(epoch, _initialEmission, _decayBps, _decayEvery);
    }

    /// @inheritdoc IFarmingRewards
    function totalEmissionBound() external view returns (uint256) {
        return EmissionSchedule.totalBound(_initialEmission, _decayBps, _decayEvery);
    }

    /// @inheritdoc IFarmingRewards
    function epochOf(uint256 t) public view returns (uint256) {
        return t < _genesis ? 0 : (t - _genesis) / _epochLength;
    }

    /// @inheritdoc IFarmingRewards
    function currentEpoch() external view returns (uint256) {
        return epochOf(block.timestamp);
    }

    /// @inheritdoc IFarmingRewards
    function epochStart(uint256 epoch) external view returns (uint256) {
        return _genesis + epoch * _epochLength;
    }

    /// @inheritdoc IFarmingRewards
    function certificationSchema(uint256 nodeId) external pure returns (bytes32) {
        return Certification.schema(nodeId);
    }

    /// @inheritdoc IFarmingRewards
    function totalClaimed() external view returns (uint256) {
        return _totalClaimed;
    }

    /// @inheritdoc IFarmingRewards
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IFarmingRewards
    function nodeRegistry() external view returns (address) {
        return address(_nodes);
    }
}
