// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Sealable roles
/// @notice A role the admin seals can never be granted or revoked again, by anyone: its holders are fixed for good.
/// The deployment seals the roles one contract holds on another (the markets' on the registries, the rewards
/// contract's on the node registry), so that no admin can later revoke them to freeze settlement, refunds or claims,
/// or grant them to an account of its own to move escrow.
interface ISealableRoles {
    /// @notice The role is sealed already.
    error RoleAlreadySealed(bytes32 role);

    /// @notice `role` was sealed: its holders can no longer change.
    event RoleSealed(bytes32 indexed role);

    /// @notice Seals `role` for good. The admin only.
    function sealRole(bytes32 role) external;

    /// @notice Whether `role` is sealed.
    function isRoleSealed(bytes32 role) external view returns (bool);
}
