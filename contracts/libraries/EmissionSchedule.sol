// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title EmissionSchedule
/// @notice Farming rewards' emission per epoch: `initial` for the first `decayEvery` epochs, then multiplied by
/// `decayBps` / 10,000 every `decayEvery` epochs: emission(e) = floor(initial x (decayBps / 10,000)^floor(e / decayEvery)).
/// Every rounding is down, so the emissions never add up to more than `totalBound`, the sum of the exact series:
/// decayEvery x initial x 10,000 / (10,000 - decayBps).
library EmissionSchedule {
    uint256 internal constant BPS = 10_000;
    uint256 private constant WAD = 1e18;

    /// @notice The emission of epoch `epoch`.
    /// @param epoch The epoch, from 0.
    /// @param initial The emission of each of the first `decayEvery` epochs.
    /// @param decayBps The factor applied every `decayEvery` epochs, in basis points (below 10,000).
    /// @param decayEvery How many epochs each step of the schedule lasts (at least 1).
    function emission(
        uint256 epoch,
        uint256 initial,
        uint256 decayBps,
        uint256 decayEvery
    ) internal pure returns (uint256) {
        uint256 steps = epoch / decayEvery;
        // (decayBps / 10,000)^steps in 18-decimal fixed point, by squaring, rounding down at every product.
        uint256 factor = WAD;
        uint256 base = decayBps * (WAD / BPS);
        while (steps != 0 && factor != 0) {
            if (steps & 1 == 1) factor = (factor * base) / WAD;
            base = (base * base) / WAD;
            steps >>= 1;
        }
        return (initial * factor) / WAD;
    }

    /// @notice An upper bound of the sum of all emissions, ever: the sum of the exact geometric series, rounded down
    /// (the emissions are whole numbers, each at most its exact term).
    function totalBound(uint256 initial, uint256 decayBps, uint256 decayEvery) internal pure returns (uint256) {
        return (decayEvery * initial * BPS) / (BPS - decayBps);
    }
}
