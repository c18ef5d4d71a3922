// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobConsumer} from "../../../contracts/interfaces/IJobMarket.sol";

/// @notice A consumer whose callback always reverts.
contract RevertingConsumer is IJobConsumer {
    error Nope();

    function onJobResult(uint256, bytes32, bytes calldata) external pure {
        revert Nope();
    }
}

/// @notice A consumer whose callback burns all the gas it is given, and returns a large revert payload if it can.
contract GasHungryConsumer is IJobConsumer {
    uint256 public spins;

    function onJobResult(uint256, bytes32, bytes calldata) external {
        while (true) {
            ++spins;
        }
    }
}

/// @notice A consumer that records what it was called with, and the gas it got.
contract RecordingConsumer is IJobConsumer {
    uint256 public calls;
    uint256 public lastJobId;
    bytes32 public lastOutputHash;
    bytes public lastInlineOutput;
    uint256 public gasAtCall;

    function onJobResult(uint256 jobId, bytes32 outputHash, bytes calldata inlineOutput) external {
        gasAtCall = gasleft();
        ++calls;
        lastJobId = jobId;
        lastOutputHash = outputHash;
        lastInlineOutput = inlineOutput;
    }
}
