// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IFoldToken} from "./interfaces/IFoldToken.sol";

/// @title FoldToken
/// @notice See {IFoldToken}.
contract FoldToken is ERC20, ERC20Permit, ERC20Capped, IFoldToken {
    /// @notice One billion FOLD, in base units.
    uint256 public constant MAX_SUPPLY = 1_000_000_000 ether;

    address private immutable _deployer;
    address private _minter;

    /// @param genesisHolder Receives the genesis allocation (a treasury, or the local faucet).
    /// @param genesisSupply The genesis allocation, at most the cap; zero mints nothing.
    constructor(
        address genesisHolder,
        uint256 genesisSupply
    ) ERC20("Fourfold", "FOLD") ERC20Permit("Fourfold") ERC20Capped(MAX_SUPPLY) {
        if (genesisSupply > MAX_SUPPLY) revert FoldTokenGenesisExceedsCap(genesisSupply, MAX_SUPPLY);
        _deployer = msg.sender;
        if (genesisSupply != 0) _mint(genesisHolder, genesisSupply);
    }

    /// @inheritdoc IFoldToken
    function mint(address to, uint256 amount) external {
        if (msg.sender != _minter) revert FoldTokenNotMinter(msg.sender);
        _mint(to, amount);
    }

    /// @inheritdoc IFoldToken
    function setMinter(address minter_) external {
        if (msg.sender != _deployer) revert FoldTokenNotDeployer(msg.sender);
        if (_minter != address(0)) revert FoldTokenMinterAlreadySet(_minter);
        if (minter_ == address(0)) revert FoldTokenZeroMinter();
        _minter = minter_;
        emit MinterSet(minter_);
    }

    /// @inheritdoc IFoldToken
    function minter() external view returns (address) {
        return _minter;
    }

    /// @inheritdoc IFoldToken
    function deployer() external view returns (address) {
        return _deployer;
    }

    /// @inheritdoc IFoldToken
    function cap() public view override(ERC20Capped, IFoldToken) returns (uint256) {
        return super.cap();
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
