// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Certification
/// @notice The attestation schema that certifies one node: a certifier attests it about the node's farm identity in
/// the reputation registry, and a certified node earns 1.25 times the farming points.
library Certification {
    function schema(uint256 nodeId) internal pure returns (bytes32) {
        return keccak256(abi.encode("node-certified", nodeId));
    }
}
