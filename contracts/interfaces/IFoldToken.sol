// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title Fourfold token (FOLD)
/// @notice ERC-20 with ERC-2612 permit and a supply capped by a constant. A genesis allocation is minted at
/// deployment; after that, one minter (the FarmingRewards contract, set once by the deployer) mints farming
/// rewards until the cap. There is no other privileged function: no pause, no blocklist, no owner mint.
interface IFoldToken is IERC20, IERC20Permit {
    /// @notice The caller is not the minter.
    /// @param caller The address that tried to mint.
    error FoldTokenNotMinter(address caller);

    /// @notice The caller is not the deployer, who alone may set the minter, once.
    /// @param caller The address that tried to set the minter.
    error FoldTokenNotDeployer(address caller);

    /// @notice The minter has already been set; it can never change.
    /// @param minter The minter in place.
    error FoldTokenMinterAlreadySet(address minter);

    /// @notice The minter cannot be the zero address.
    error FoldTokenZeroMinter();

    /// @notice The genesis allocation exceeds the cap.
    /// @param amount The requested genesis allocation.
    /// @param cap The supply cap.
    error FoldTokenGenesisExceedsCap(uint256 amount, uint256 cap);

    /// @notice The minter was set.
    /// @param minter The only address that can mint from now on.
    event MinterSet(address indexed minter);

    /// @notice Mints `amount` to `to`. Only the minter; reverts with `ERC20ExceededCap` past the cap.
    /// @param to The recipient.
    /// @param amount The amount in base units.
    function mint(address to, uint256 amount) external;

    /// @notice Sets the minter. Only the deployer, and only once.
    /// @param minter_ The minter (the FarmingRewards contract).
    function setMinter(address minter_) external;

    /// @notice The only address that can mint, or zero before it is set.
    /// @return The minter.
    function minter() external view returns (address);

    /// @notice The address that deployed the token and may set the minter once.
    /// @return The deployer.
    function deployer() external view returns (address);

    /// @notice The maximum total supply, a constant.
    /// @return The cap in base units.
    function cap() external view returns (uint256);
}
