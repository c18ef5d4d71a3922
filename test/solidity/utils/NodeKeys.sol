// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {IdentityRegistry} from "../../../contracts/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../../contracts/interfaces/IIdentityRegistry.sol";

/// @dev Binds node keys the way a farmer does: the key signs BindKey (EIP-712), the identity's owner submits it.
abstract contract NodeKeys is Test {
    /// @dev Binds `vm.addr(keyPk)` to `identityId` (owned by `owner`) as a Node key, valid until 2^40-1.
    function _bindNodeKey(IdentityRegistry identities, address owner, uint256 identityId, uint256 keyPk) internal {
        address key = vm.addr(keyPk);
        uint256 deadline = type(uint40).max;
        bytes32 structHash = keccak256(
            abi.encode(
                identities.BIND_KEY_TYPEHASH(),
                identityId,
                key,
                IIdentityRegistry.KeyPurpose.Node,
                identities.keyNonce(key),
                deadline
            )
        );
        (, string memory name, string memory version, uint256 chainId, address verifying, , ) = identities
            .eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifying
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyPk, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        vm.prank(owner);
        identities.bindKey(identityId, key, IIdentityRegistry.KeyPurpose.Node, deadline, abi.encodePacked(r, s, v));
    }
}
