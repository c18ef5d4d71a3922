// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {EmissionSchedule} from "../../contracts/libraries/EmissionSchedule.sol";

/// @dev The emission schedule: the worked example of docs/contracts.md, monotony, and the bound on the total.
contract EmissionScheduleTest is Test {
    // The default schedule (deploy/modules/Fourfold.ts): 500,000 FOLD an epoch, times 0.95 every 30 epochs.
    uint256 private constant INITIAL = 500_000 ether;
    uint256 private constant DECAY_BPS = 9_500;
    uint256 private constant EVERY = 30;

    function _emission(uint256 epoch) private pure returns (uint256) {
        return EmissionSchedule.emission(epoch, INITIAL, DECAY_BPS, EVERY);
    }

    /// @notice The table in docs/contracts.md, to the wei.
    function test_workedExample() public pure {
        assertEq(_emission(0), 500_000 ether);
        assertEq(_emission(29), 500_000 ether);
        assertEq(_emission(30), 475_000 ether);
        assertEq(_emission(60), 451_250 ether);
        assertEq(_emission(90), 428_687.5 ether);
        assertEq(_emission(360), 270_180_043_831_318_481_000_000);
        assertEq(_emission(3_600), 1_061_213_189_349_085_000_000);
        assertEq(EmissionSchedule.totalBound(INITIAL, DECAY_BPS, EVERY), 300_000_000 ether);
        // The first year of daily epochs: 12 whole steps of 30 epochs and 5 epochs of the 13th.
        uint256 year;
        for (uint256 e; e < 365; ++e) year += _emission(e);
        assertEq(year, 139_242_873_920_365_503_520_000_000);
    }

    /// @notice Emission never grows from one epoch to the next, and is constant within a step.
    function testFuzz_emission_nonIncreasing(uint256 epoch) public pure {
        epoch = bound(epoch, 0, 1_000_000);
        assertLe(_emission(epoch + 1), _emission(epoch));
        assertEq(_emission((epoch / EVERY) * EVERY), _emission(epoch));
    }

    /// @notice Any schedule's emissions stay at or under its bound, summed step by step until they reach zero.
    function testFuzz_totalWithinBound(uint256 initial, uint256 decayBps, uint256 every) public pure {
        initial = bound(initial, 0, 1e27);
        decayBps = bound(decayBps, 0, 9_990);
        every = bound(every, 1, 1_000);
        uint256 sum;
        for (uint256 step; step < 20_000; ++step) {
            uint256 e = EmissionSchedule.emission(step * every, initial, decayBps, every);
            if (e == 0) break;
            sum += e * every;
        }
        assertLe(sum, EmissionSchedule.totalBound(initial, decayBps, every));
    }
}
