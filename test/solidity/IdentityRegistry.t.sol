// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";

contract IdentityRegistryFuzzTest is Test {
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 private constant BIND_KEY_TYPEHASH = keccak256(
        "BindKey(uint256 identityId,address key,uint8 purpose,uint256 nonce,uint256 deadline)"
    );
    uint256 private constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    IdentityRegistry private registry;
    address private owner = makeAddr("owner");
    uint256 private identityId;

    function setUp() public {
        registry = new IdentityRegistry();
        vm.prank(owner);
        identityId = registry.register("owner", "");
    }

    // ------------------------------------------------------------------------------------------------------------
    // Handles
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Mostly valid characters, with an invalid one (or, past 32, none) one time in sixteen, so that valid and
    /// invalid handles of every length are both common.
    function _handle(bytes32 seed, uint256 length) private pure returns (string memory) {
        bytes memory valid = "abz09-";
        bytes memory invalid = "_A. /\x00~\xff";
        bytes memory out = new bytes(length);
        for (uint256 i; i < length; ++i) {
            uint8 b = uint8(uint256(keccak256(abi.encode(seed, i))));
            out[i] = b < 240 ? valid[b % valid.length] : invalid[b % invalid.length];
        }
        return string(out);
    }

    /// @dev The rule, written independently of the contract's: 3-32 of [a-z0-9-], no leading or trailing '-'.
    function _isValid(bytes memory h) private pure returns (bool) {
        if (h.length < 3 || h.length > 32) return false;
        for (uint256 i; i < h.length; ++i) {
            uint8 c = uint8(h[i]);
            bool lower = c >= 0x61 && c <= 0x7a;
            bool digit = c >= 0x30 && c <= 0x39;
            bool hyphen = c == 0x2d;
            if (!(lower || digit || hyphen)) return false;
            if (hyphen && (i == 0 || i == h.length - 1)) return false;
        }
        return true;
    }

    function testFuzz_register_acceptsExactlyValidHandles(bytes32 seed, uint256 length) public {
        length = bound(length, 0, 40);
        string memory handle = _handle(seed, length);
        address caller = makeAddr("caller");
        if (_isValid(bytes(handle))) {
            vm.prank(caller);
            uint256 id = registry.register(handle, "");
            assertEq(registry.idOfHandle(handle), id);
            assertEq(registry.ownerOf(id), caller);
            vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityHandleTaken.selector, handle, id));
            registry.register(handle, "");
        } else {
            vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidHandle.selector, handle));
            vm.prank(caller);
            registry.register(handle, "");
            assertEq(registry.idOfHandle(handle), 0);
        }
    }

    function testFuzz_register_anyByteOutsideTheAlphabetIsRefused(uint8 c, uint256 position) public {
        vm.assume(!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d));
        bytes memory h = bytes("abcdef");
        h[bound(position, 0, 5)] = bytes1(c);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidHandle.selector, string(h)));
        registry.register(string(h), "");
    }

    // ------------------------------------------------------------------------------------------------------------
    // BindKey signatures: valid once, before the deadline, on this chain and this contract only
    // ------------------------------------------------------------------------------------------------------------

    function _digest(
        address verifyingContract,
        uint256 chainId,
        uint256 id,
        address key,
        IIdentityRegistry.KeyPurpose purpose,
        uint256 nonce,
        uint256 deadline
    ) private pure returns (bytes32) {
        bytes32 domainSeparator = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256("Fourfold IdentityRegistry"),
                keccak256("1"),
                chainId,
                verifyingContract
            )
        );
        bytes32 structHash = keccak256(abi.encode(BIND_KEY_TYPEHASH, id, key, purpose, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    function _sign(uint256 pk, bytes32 digest) private pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _purpose(uint8 raw) private pure returns (IIdentityRegistry.KeyPurpose) {
        // Node, Worker or Operator: the purposes a Standard identity can bind.
        uint8[3] memory choices = [1, 2, 4];
        return IIdentityRegistry.KeyPurpose(choices[raw % 3]);
    }

    function testFuzz_bindKey_signatureWorksOnce(uint256 pk, uint8 purposeRaw, uint256 deadline) public {
        pk = bound(pk, 1, SECP256K1_N - 1);
        deadline = bound(deadline, block.timestamp, type(uint64).max);
        address key = vm.addr(pk);
        IIdentityRegistry.KeyPurpose purpose = _purpose(purposeRaw);
        bytes memory sig = _sign(pk, _digest(address(registry), block.chainid, identityId, key, purpose, 0, deadline));

        vm.prank(owner);
        registry.bindKey(identityId, key, purpose, deadline, sig);
        assertTrue(registry.isActiveKey(key, identityId, purpose));
        assertEq(registry.keyNonce(key), 1);

        vm.prank(owner);
        registry.unbindKey(key);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidSignature.selector, key));
        vm.prank(owner);
        registry.bindKey(identityId, key, purpose, deadline, sig);
        assertFalse(registry.isActiveKey(key, identityId, purpose));
    }

    function testFuzz_bindKey_refusedAfterDeadline(uint256 pk, uint256 deadline, uint256 lateBy) public {
        pk = bound(pk, 1, SECP256K1_N - 1);
        deadline = bound(deadline, block.timestamp, type(uint64).max - 1);
        lateBy = bound(lateBy, 1, type(uint64).max - deadline);
        address key = vm.addr(pk);
        IIdentityRegistry.KeyPurpose purpose = IIdentityRegistry.KeyPurpose.Node;
        bytes memory sig = _sign(pk, _digest(address(registry), block.chainid, identityId, key, purpose, 0, deadline));
        vm.warp(deadline + lateBy);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentitySignatureExpired.selector, deadline, deadline + lateBy)
        );
        vm.prank(owner);
        registry.bindKey(identityId, key, purpose, deadline, sig);
    }

    function testFuzz_bindKey_refusedOnAnotherChain(uint256 pk, uint64 otherChainId) public {
        pk = bound(pk, 1, SECP256K1_N - 1);
        vm.assume(otherChainId != block.chainid && otherChainId != 0);
        address key = vm.addr(pk);
        IIdentityRegistry.KeyPurpose purpose = IIdentityRegistry.KeyPurpose.Worker;
        uint256 deadline = block.timestamp + 1 days;

        // Signed for another chain, submitted here.
        bytes memory foreign = _sign(
            pk,
            _digest(address(registry), otherChainId, identityId, key, purpose, 0, deadline)
        );
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidSignature.selector, key));
        vm.prank(owner);
        registry.bindKey(identityId, key, purpose, deadline, foreign);

        // Signed for this chain, replayed on a fork with another chain id.
        bytes memory here = _sign(pk, _digest(address(registry), block.chainid, identityId, key, purpose, 0, deadline));
        vm.chainId(otherChainId);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidSignature.selector, key));
        vm.prank(owner);
        registry.bindKey(identityId, key, purpose, deadline, here);
    }

    function testFuzz_bindKey_refusedOnAnotherContract(uint256 pk) public {
        pk = bound(pk, 1, SECP256K1_N - 1);
        address key = vm.addr(pk);
        IIdentityRegistry.KeyPurpose purpose = IIdentityRegistry.KeyPurpose.Operator;
        uint256 deadline = block.timestamp + 1 days;

        IdentityRegistry other = new IdentityRegistry();
        vm.prank(owner);
        uint256 otherId = other.register("owner", "");
        assertEq(otherId, identityId);

        bytes memory sig = _sign(pk, _digest(address(registry), block.chainid, identityId, key, purpose, 0, deadline));
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidSignature.selector, key));
        vm.prank(owner);
        other.bindKey(otherId, key, purpose, deadline, sig);

        vm.prank(owner);
        registry.bindKey(identityId, key, purpose, deadline, sig);
        assertTrue(registry.isActiveKey(key, identityId, purpose));
    }
}
