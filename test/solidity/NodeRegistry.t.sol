// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {FoldToken} from "../../contracts/FoldToken.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {NodeKeys} from "./utils/NodeKeys.sol";

/// @dev Drives three nodes of one farm through random heartbeats, time jumps, reservations, releases and bonds, and
/// keeps a ghost of what each node should have been credited, reserved and bonded.
contract NodeRegistryHandler is NodeKeys {
    uint256 public constant NODES = 3;
    uint256 public constant MAX_GAP = 300;

    IdentityRegistry public immutable identities;
    NodeRegistry public immutable nodes;
    FoldToken public immutable token;
    address public immutable farmer = makeAddr("farmer");
    uint256[NODES] public keys;
    uint256[NODES] public ghostBond;
    uint256[NODES] public ghostOnline;
    uint256[NODES] public ghostLast;
    uint256[NODES] public firstHeartbeat;
    INodeRegistry.Resources[] internal _leases;
    uint256[] internal _leaseNode;

    constructor(IdentityRegistry identities_, NodeRegistry nodes_, FoldToken token_) {
        identities = identities_;
        nodes = nodes_;
        token = token_;
        vm.prank(farmer);
        token.approve(address(nodes), type(uint256).max);
        vm.startPrank(farmer);
        uint256 identityId = identities.register("farmer", "");
        uint256 farmId = nodes.createFarm(identityId, "farm", farmer);
        vm.stopPrank();
        for (uint256 i; i < NODES; ++i) {
            keys[i] = _registerNode(
                identities,
                nodes,
                farmer,
                identityId,
                farmId,
                "node key",
                i,
                INodeRegistry.Resources(8, 16_384, 500, 1_000, 1),
                INodeRegistry.Prices(1, 1, 1, 1, 1)
            );
        }
    }

    function heartbeat(uint256 nodeSeed, uint256 wait) external {
        uint256 i = nodeSeed % NODES;
        vm.warp(block.timestamp + bound(wait, 0, 2 * MAX_GAP));
        vm.prank(vm.addr(keys[i]));
        nodes.heartbeat(i + 1);
        if (ghostLast[i] == 0) {
            firstHeartbeat[i] = block.timestamp;
        } else {
            uint256 gap = block.timestamp - ghostLast[i];
            ghostOnline[i] += gap < MAX_GAP ? gap : MAX_GAP;
        }
        ghostLast[i] = block.timestamp;
    }

    function reserve(uint256 nodeSeed, uint16 cpu, uint32 memoryMiB, uint8 gpus) external {
        uint256 i = nodeSeed % NODES;
        if (!nodes.isOnline(i + 1)) return;
        INodeRegistry.Resources memory want = INodeRegistry.Resources(
            uint16(bound(cpu, 0, 4)),
            uint32(bound(memoryMiB, 0, 8_192)),
            0,
            0,
            uint16(bound(gpus, 0, 1))
        );
        (INodeRegistry.Resources memory total, INodeRegistry.Resources memory reserved) = nodes.capacity(i + 1);
        bool fits =
            reserved.cpu + want.cpu <= total.cpu &&
                reserved.memoryMiB + want.memoryMiB <= total.memoryMiB &&
                reserved.gpus + want.gpus <= total.gpus;
        if (!fits) {
            vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NodeInsufficientCapacity.selector, i + 1));
        }
        nodes.reserve(i + 1, want);
        if (fits) {
            _leases.push(want);
            _leaseNode.push(i + 1);
        }
    }

    function release(uint256 leaseSeed) external {
        if (_leases.length == 0) return;
        uint256 index = leaseSeed % _leases.length;
        nodes.release(_leaseNode[index], _leases[index]);
        uint256 lastIndex = _leases.length - 1;
        _leases[index] = _leases[lastIndex];
        _leaseNode[index] = _leaseNode[lastIndex];
        _leases.pop();
        _leaseNode.pop();
    }

    function bond(uint256 nodeSeed, uint256 amount) external {
        uint256 i = nodeSeed % NODES;
        amount = bound(amount, 1, token.balanceOf(farmer) < 1 ether ? 1 : 1 ether);
        if (token.balanceOf(farmer) < amount) return;
        vm.prank(farmer);
        nodes.bond(i + 1, amount);
        ghostBond[i] += amount;
    }

    /// @dev The sum of the handler's open reservations on `nodeId`, and their count.
    function ghostReserved(uint256 nodeId) external view returns (INodeRegistry.Resources memory sum, uint256 count) {
        for (uint256 j; j < _leases.length; ++j) {
            if (_leaseNode[j] != nodeId) continue;
            sum.cpu += _leases[j].cpu;
            sum.memoryMiB += _leases[j].memoryMiB;
            sum.gpus += _leases[j].gpus;
            ++count;
        }
    }
}

contract NodeRegistryTest is NodeKeys {
    IdentityRegistry private identities;
    NodeRegistry private nodes;
    NodeRegistryHandler private handler;
    FoldToken private _token;

    function setUp() public {
        Grid memory g = _deployGrid(1_000 ether);
        (identities, nodes) = (g.identities, g.nodes);
        FoldToken token = g.token;
        handler = new NodeRegistryHandler(identities, nodes, token);
        assertTrue(token.transfer(handler.farmer(), 1_000 ether));
        _token = token;
        nodes.grantRole(nodes.MARKET_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// @notice The registry holds exactly the sum of the bonds; every bonded unit came from the farmer.
    function invariant_bondsAreConserved() public view {
        uint256 sum;
        for (uint256 i; i < handler.NODES(); ++i) {
            assertEq(nodes.bondOf(i + 1), handler.ghostBond(i), "bond");
            sum += handler.ghostBond(i);
        }
        assertEq(_token.balanceOf(address(nodes)), sum, "registry balance");
        assertEq(_token.balanceOf(handler.farmer()) + sum, 1_000 ether, "farmer + bonds");
    }

    /// @notice Decommissioning refunds the whole bond to the farm's owner, once, and leaves the registry empty.
    function testFuzz_decommission_refundsTheBond(uint256 first, uint256 second) public {
        first = bound(first, 1, 400 ether);
        second = bound(second, 1, 400 ether);
        address farmer = handler.farmer();
        vm.startPrank(farmer);
        nodes.bond(1, first);
        nodes.bond(1, second);
        assertEq(nodes.bondOf(1), first + second);
        nodes.decommission(1);
        vm.stopPrank();
        assertEq(nodes.bondOf(1), 0);
        assertEq(_token.balanceOf(farmer), 1_000 ether);
        assertEq(_token.balanceOf(address(nodes)), 0);
    }

    /// @notice A heartbeat after any silence credits at most maxGap, and exactly the gap when it is shorter.
    function testFuzz_heartbeat_creditsAtMostMaxGap(uint256 gap) public {
        gap = bound(gap, 0, 30 days);
        address key = vm.addr(handler.keys(0));
        vm.prank(key);
        nodes.heartbeat(1);
        vm.warp(block.timestamp + gap);
        vm.prank(key);
        nodes.heartbeat(1);
        assertEq(nodes.node(1).onlineSeconds, gap < 300 ? gap : 300);
    }

    /// @notice Each node's proven seconds are exactly the sum of min(gap, maxGap) over its heartbeats, and never
    /// more than the time between its first and last heartbeat.
    function invariant_onlineSecondsMatchHeartbeats() public view {
        for (uint256 i; i < handler.NODES(); ++i) {
            INodeRegistry.Node memory n = nodes.node(i + 1);
            assertEq(n.onlineSeconds, handler.ghostOnline(i), "credited");
            assertEq(n.lastHeartbeat, handler.ghostLast(i), "last heartbeat");
            if (n.lastHeartbeat != 0) assertLe(n.onlineSeconds, n.lastHeartbeat - handler.firstHeartbeat(i));
        }
    }

    /// @notice Reserved capacity is the sum of the open reservations, and never exceeds the node's resources.
    function invariant_reservationsWithinResources() public view {
        for (uint256 nodeId = 1; nodeId <= handler.NODES(); ++nodeId) {
            (INodeRegistry.Resources memory total, INodeRegistry.Resources memory reserved) = nodes.capacity(nodeId);
            (INodeRegistry.Resources memory sum, uint256 count) = handler.ghostReserved(nodeId);
            assertEq(reserved.cpu, sum.cpu, "cpu");
            assertEq(reserved.memoryMiB, sum.memoryMiB, "memory");
            assertEq(reserved.gpus, sum.gpus, "gpus");
            assertEq(nodes.node(nodeId).activeLeases, count, "leases");
            assertLe(reserved.cpu, total.cpu);
            assertLe(reserved.memoryMiB, total.memoryMiB);
            assertLe(reserved.ssdGiB, total.ssdGiB);
            assertLe(reserved.hddGiB, total.hddGiB);
            assertLe(reserved.gpus, total.gpus);
        }
    }
}
