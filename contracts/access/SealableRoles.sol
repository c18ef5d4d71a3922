// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ISealableRoles} from "../interfaces/ISealableRoles.sol";

/// @title SealableRoles
/// @notice See {ISealableRoles}.
/// @dev Sealing makes `SEALED_ROLE` the role's admin. `SEALED_ROLE` is its own admin and nobody holds it, so nobody
/// can ever be granted it, and `grantRole` and `revokeRole` of a sealed role revert for everyone with
/// `AccessControlUnauthorizedAccount(caller, SEALED_ROLE)`. (A holder could still renounce the role itself; the
/// contracts that hold sealed roles have no call that does.)
abstract contract SealableRoles is AccessControl, ISealableRoles {
    /// @notice The admin of sealed roles, held by nobody.
    bytes32 public constant SEALED_ROLE = keccak256("SEALED_ROLE");

    constructor() {
        _setRoleAdmin(SEALED_ROLE, SEALED_ROLE);
    }

    /// @inheritdoc ISealableRoles
    function sealRole(bytes32 role) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (getRoleAdmin(role) == SEALED_ROLE) revert RoleAlreadySealed(role);
        _setRoleAdmin(role, SEALED_ROLE);
        emit RoleSealed(role);
    }

    /// @inheritdoc ISealableRoles
    function isRoleSealed(bytes32 role) external view returns (bool) {
        return getRoleAdmin(role) == SEALED_ROLE;
    }
}
