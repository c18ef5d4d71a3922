// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title Permits
/// @notice The markets' "with permit" entry points: an ERC-2612 permit for the payment, then the payment itself.
library Permits {
    /// @notice An ERC-2612 permit for a payment to the calling contract.
    struct Permit {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice Applies `permit` from `owner` to this contract for `value` of `token`, ignoring a failure: a permit
    /// front-run by someone else fails here but has already set the allowance, and if it did not, the transfer that
    /// follows reverts.
    function tryPermit(address token, address owner, uint256 value, Permit calldata permit) internal {
        try
            IERC20Permit(token).permit(owner, address(this), value, permit.deadline, permit.v, permit.r, permit.s)
        {} catch {} // solhint-disable-line no-empty-blocks
    }
}
