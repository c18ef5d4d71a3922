// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {Test} from "forge-std/Test.sol";
import {FoldToken} from "../../../contracts/FoldToken.sol";
import {IdentityRegistry} from "../../../contracts/IdentityRegistry.sol";
import {NodeRegistry} from "../../../contracts/NodeRegistry.sol";
import {ReputationRegistry} from "../../../contracts/ReputationRegistry.sol";
import {IIdentityRegistry} from "../../../contracts/interfaces/IIdentityRegistry.sol";
import {INodeRegistry} from "../../../contracts/interfaces/INodeRegistry.sol";

/// @dev Binds node keys and registers nodes the way a farmer does: the key signs BindKey (EIP-712), the identity's
/// owner submits it, then registers the node in the farm.
abstract contract NodeKeys is Test {
    /// @dev Binds `vm.addr(keyPk)` to `identityId` (owned by `owner`) as a Node key, valid until 2^40-1.
    function _bindNodeKey(IdentityRegistry identities, address owner, uint256 identityId, uint256 keyPk) internal {
        _bindKey(identities, owner, identityId, keyPk, IIdentityRegistry.KeyPurpose.Node);
    }

    /// @dev Binds `vm.addr(keyPk)` to `identityId` (owned by `owner`) for `purpose`, valid until 2^40-1.
    function _bindKey(
        IdentityRegistry identities,
        address owner,
        uint256 identityId,
        uint256 keyPk,
        IIdentityRegistry.KeyPurpose purpose
    ) internal {
        address key = vm.addr(keyPk);
        uint256 deadline = type(uint40).max;
        bytes32 structHash = keccak256(
            abi.encode(identities.BIND_KEY_TYPEHASH(), identityId, key, purpose, identities.keyNonce(key), deadline)
        );
        bytes32 domain = _domainOf(identities);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyPk, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        vm.prank(owner);
        identities.bindKey(identityId, key, purpose, deadline, abi.encodePacked(r, s, v));
    }

    /// @dev An EIP-712 contract's domain separator (the identity registry's, the node registry's).
    function _domainOf(IERC5267 signed) internal view returns (bytes32) {
        (, string memory name, string memory version, uint256 chainId, address verifying, , ) = signed.eip712Domain();
        return
            keccak256(
                abi.encode(
                    keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                    keccak256(bytes(name)),
                    keccak256(bytes(version)),
                    chainId,
                    verifying
                )
            );
    }

    /// @dev Binds the key `keccak256(seed, index)` to the farm's identity and registers a node in Belgium with it.
    /// Returns the key's private key.
    function _registerNode(
        IdentityRegistry identities,
        NodeRegistry nodes,
        address farmer,
        uint256 identityId,
        uint256 farmId,
        string memory seed,
        uint256 index,
        INodeRegistry.Resources memory resources,
        INodeRegistry.Prices memory prices
    ) internal returns (uint256 keyPk) {
        keyPk = uint256(keccak256(abi.encode(seed, index)));
        _bindNodeKey(identities, farmer, identityId, keyPk);
        vm.prank(farmer);
        nodes.registerNode(farmId, vm.addr(keyPk), resources, INodeRegistry.Location("BE", ""), prices);
    }

    /// @dev The node key `keyPk`'s EIP-712 signature of Heartbeat(nodeId, timestamp), as (r, s, v).
    function _signHeartbeat(
        NodeRegistry nodes,
        uint256 keyPk,
        uint256 nodeId,
        uint256 timestamp
    ) internal view returns (bytes32 r, bytes32 s, uint8 v) {
        bytes32 structHash = keccak256(abi.encode(nodes.HEARTBEAT_TYPEHASH(), nodeId, timestamp));
        (v, r, s) = vm.sign(keyPk, keccak256(abi.encodePacked("\x19\x01", _domainOf(nodes), structHash)));
    }

    /// @dev The local chain's reward policy: 600-second epochs, the default schedule, weights and baseline (8 units).
    function _rewardPolicy(address reputation) internal pure returns (INodeRegistry.RewardPolicy memory) {
        return
            INodeRegistry.RewardPolicy({
                reputation: reputation,
                epochLength: 600,
                initialEmission: 500_000 ether,
                decayBps: 9_500,
                decayEvery: 30,
                weights: INodeRegistry.Weights(1_024, 256, 10, 2, 8_192),
                baselineUnits: 8_192
            });
    }

    /// @dev The contracts every grid test builds on, with this contract as admin and genesis holder.
    struct Grid {
        FoldToken token;
        IdentityRegistry identities;
        ReputationRegistry reputation;
        NodeRegistry nodes;
    }

    /// @dev Deploys FOLD (`genesisSupply` to this contract), the identity and reputation registries and the node
    /// registry with the local chain's timing (300-second maxGap and offlineAfter) and reward policy.
    function _deployGrid(uint256 genesisSupply) internal returns (Grid memory g) {
        vm.warp(1_700_000_000);
        g.token = new FoldToken(address(this), genesisSupply);
        g.identities = new IdentityRegistry();
        g.reputation = new ReputationRegistry(address(g.identities), address(this));
        g.nodes = new NodeRegistry(
            address(g.identities),
            address(g.token),
            address(this),
            300,
            300,
            _rewardPolicy(address(g.reputation))
        );
    }
}
