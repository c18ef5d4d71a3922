// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";

/// @title Fourfold identity registry
/// @notice ERC-721 identities for people, organisations, farms and AI agents. Each identity has a unique handle,
/// a metadata URI (an ERC-8004-style registration file, returned by `tokenURI`), an X25519 public key that data
/// owners seal dataset keys to, and signing keys bound to it for a purpose (node, worker, agent, operator), each
/// proved by the key's own EIP-712 signature. Agents are identities with a controller identity whose owner can pause
/// them; a paused agent's keys are refused everywhere from the next call on. Every agent action can be appended to
/// a hash-chained log whose events alone let anyone re-verify it.
/// @dev Transferring an identity drops all its bound keys and its encryption key: they belong to the previous owner.
interface IIdentityRegistry is IERC721Metadata {
    /// @notice What an identity is.
    enum IdentityKind {
        Standard,
        Agent
    }

    /// @notice What a bound signing key may do for its identity. `None` marks an unbound key.
    enum KeyPurpose {
        None,
        Node,
        Worker,
        Agent,
        Operator
    }

    /// @notice The state of an identity beyond its ERC-721 owner.
    /// @param kind Standard or Agent.
    /// @param paused True while the agent's controller has paused it (always false for a Standard identity).
    /// @param keyEpoch Increments on every transfer; keys bound in an earlier epoch are inactive.
    /// @param controllerId The controlling identity of an agent, zero for a Standard identity.
    /// @param actionCount The number of entries in the agent's action log (the last sequence number).
    /// @param actionHead The head of the agent's action hash chain, zero before the first action.
    /// @param encryptionKey The owner's X25519 public key, zero if unset.
    struct Identity {
        IdentityKind kind;
        bool paused;
        uint32 keyEpoch;
        uint64 controllerId;
        uint64 actionCount;
        bytes32 actionHead;
        bytes32 encryptionKey;
    }

    /// @notice A handle must be 3-32 characters of `[a-z0-9-]`, not starting or ending with `-`.
    /// @param handle The rejected handle.
    error IdentityInvalidHandle(string handle);

    /// @notice The handle already belongs to an identity.
    /// @param handle The handle.
    /// @param identityId The identity that holds it.
    error IdentityHandleTaken(string handle, uint256 identityId);

    /// @notice The caller does not own the identity.
    /// @param identityId The identity.
    /// @param caller The caller.
    error IdentityNotOwner(uint256 identityId, address caller);

    /// @notice An agent's controller must be an existing Standard identity.
    /// @param controllerId The rejected controller.
    error IdentityInvalidController(uint256 controllerId);

    /// @notice The identity is not an agent.
    /// @param identityId The identity.
    error IdentityNotAgent(uint256 identityId);

    /// @notice The caller does not own the agent's controller identity.
    /// @param agentId The agent.
    /// @param caller The caller.
    error IdentityNotController(uint256 agentId, address caller);

    /// @notice The agent is paused by its controller.
    /// @param agentId The agent.
    error IdentityAgentPaused(uint256 agentId);

    /// @notice A key cannot be the zero address.
    error IdentityZeroKey();

    /// @notice The purpose cannot be bound to this identity: `None` never, `Agent` only to an agent.
    /// @param identityId The identity.
    /// @param purpose The rejected purpose.
    error IdentityInvalidPurpose(uint256 identityId, KeyPurpose purpose);

    /// @notice The key is already bound, and active, for an identity; a key belongs to at most one identity.
    /// @param key The key.
    /// @param identityId The identity it is bound to.
    error IdentityKeyAlreadyBound(address key, uint256 identityId);

    /// @notice The signature's deadline has passed.
    /// @param deadline The deadline that was signed.
    /// @param timestamp The current block timestamp.
    error IdentitySignatureExpired(uint256 deadline, uint256 timestamp);

    /// @notice The signature is not the key's (EOA or ERC-1271) over this BindKey message.
    /// @param key The key that should have signed.
    error IdentityInvalidSignature(address key);

    /// @notice The key is not actively bound to any identity.
    /// @param key The key.
    error IdentityKeyNotBound(address key);

    /// @notice The caller is not an active Agent key of the agent.
    /// @param caller The caller.
    /// @param agentId The agent.
    error IdentityNotAgentKey(address caller, uint256 agentId);

    /// @notice An identity was created.
    /// @param identityId The new identity (and ERC-721 token id).
    /// @param owner Its owner.
    /// @param controllerId The controller of an agent, zero for a Standard identity.
    /// @param kind Standard or Agent.
    /// @param handle Its unique handle.
    /// @param metadataURI Its metadata URI.
    event IdentityRegistered(
        uint256 indexed identityId,
        address indexed owner,
        uint256 indexed controllerId,
        IdentityKind kind,
        string handle,
        string metadataURI
    );

    /// @notice An identity's metadata URI changed.
    /// @param identityId The identity.
    /// @param metadataURI The new URI.
    event MetadataURISet(uint256 indexed identityId, string metadataURI);

    /// @notice An identity's X25519 encryption key changed (zero when a transfer cleared it).
    /// @param identityId The identity.
    /// @param encryptionKey The new key.
    event EncryptionKeySet(uint256 indexed identityId, bytes32 encryptionKey);

    /// @notice A signing key was bound to an identity.
    /// @param identityId The identity.
    /// @param key The key.
    /// @param purpose What the key may do.
    event KeyBound(uint256 indexed identityId, address indexed key, KeyPurpose purpose);

    /// @notice A signing key was unbound from an identity.
    /// @param identityId The identity.
    /// @param key The key.
    event KeyUnbound(uint256 indexed identityId, address indexed key);

    /// @notice All keys of an identity were dropped because it was transferred.
    /// @param identityId The identity.
    /// @param keyEpoch The new key epoch; only keys bound from now on are active.
    event KeysDropped(uint256 indexed identityId, uint32 keyEpoch);

    /// @notice An agent was paused or unpaused by its controller.
    /// @param agentId The agent.
    /// @param paused Whether it is paused now.
    event AgentPauseSet(uint256 indexed agentId, bool paused);

    /// @notice An agent's action was appended to its log.
    /// @dev `head = keccak256(abi.encode(previousHead, sequence, actionType, dataHash, keccak256(bytes(uri))))`,
    /// with `previousHead` zero for sequence 1, so the chain can be rebuilt from these events alone.
    /// @param agentId The agent.
    /// @param sequence The entry's sequence number, from 1.
    /// @param actionType The kind of action (application-defined, e.g. keccak256("inference.request")).
    /// @param key The Agent key that logged it.
    /// @param dataHash A hash of the action's data.
    /// @param uri Where the action's data can be read.
    /// @param head The chain head after this entry.
    event ActionLogged(
        uint256 indexed agentId,
        uint256 indexed sequence,
        bytes32 indexed actionType,
        address key,
        bytes32 dataHash,
        string uri,
        bytes32 head
    );

    /// @notice Creates a Standard identity owned by the caller.
    /// @param handle A unique handle: 3-32 characters of `[a-z0-9-]`, not starting or ending with `-`.
    /// @param metadataURI The metadata URI (may be empty and set later).
    /// @return identityId The new identity.
    function register(string calldata handle, string calldata metadataURI) external returns (uint256 identityId);

    /// @notice Creates an Agent identity owned by the caller, controlled by `controllerId`, which the caller owns.
    /// @param controllerId An existing Standard identity of the caller; its owner can pause the agent.
    /// @param handle A unique handle, as for `register`.
    /// @param metadataURI The metadata URI.
    /// @return agentId The new agent identity.
    function registerAgent(
        uint256 controllerId,
        string calldata handle,
        string calldata metadataURI
    ) external returns (uint256 agentId);

    /// @notice Changes an identity's metadata URI. Only its owner.
    /// @param identityId The identity.
    /// @param metadataURI The new URI.
    function setMetadataURI(uint256 identityId, string calldata metadataURI) external;

    /// @notice Sets the X25519 public key that dataset keys are sealed to. Only the identity's owner.
    /// @param identityId The identity.
    /// @param encryptionKey The X25519 public key (zero to clear it).
    function setEncryptionKey(uint256 identityId, bytes32 encryptionKey) external;

    /// @notice Binds a signing key to an identity. Only the identity's owner, with the key's EIP-712 signature of
    /// `BindKey(uint256 identityId,address key,uint8 purpose,uint256 nonce,uint256 deadline)` (EOA or ERC-1271),
    /// where `nonce` is `keyNonce(key)`. Each signature works once, before its deadline, on this chain and contract.
    /// @param identityId The identity.
    /// @param key The key to bind; it must not be active for any identity.
    /// @param purpose What the key may do; `Agent` only for agent identities.
    /// @param deadline The last timestamp at which the signature is valid.
    /// @param signature The key's signature.
    function bindKey(
        uint256 identityId,
        address key,
        KeyPurpose purpose,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Unbinds an active key. By the owner of its identity, or by the key itself.
    /// @param key The key.
    function unbindKey(address key) external;

    /// @notice Pauses or unpauses an agent. Only the owner of its controller identity.
    /// @param agentId The agent.
    /// @param paused Whether the agent is to be paused.
    function setAgentPaused(uint256 agentId, bool paused) external;

    /// @notice Appends an action to an agent's log. Only an active Agent key of the agent, while it is unpaused.
    /// @param agentId The agent.
    /// @param actionType The kind of action.
    /// @param dataHash A hash of the action's data.
    /// @param uri Where the action's data can be read.
    /// @return sequence The entry's sequence number.
    function logAction(
        uint256 agentId,
        bytes32 actionType,
        bytes32 dataHash,
        string calldata uri
    ) external returns (uint256 sequence);

    /// @notice The identity holding a handle, or zero when none does (or the handle is not valid).
    /// @param handle The handle.
    /// @return identityId The identity.
    function idOfHandle(string calldata handle) external view returns (uint256 identityId);

    /// @notice The state of an identity. Reverts with `ERC721NonexistentToken` for an unknown id.
    /// @param identityId The identity.
    /// @return The identity's state.
    function identityOf(uint256 identityId) external view returns (Identity memory);

    /// @notice The key a signer bound: its identity, purpose, and whether it is active now (bound in the
    /// identity's current key epoch and, for an agent, the agent is not paused).
    /// @param key The key.
    /// @return identityId The identity it was bound to, zero if never bound or unbound.
    /// @return purpose Its purpose, `None` if unbound.
    /// @return active Whether it may act for the identity now.
    function keyInfo(address key) external view returns (uint256 identityId, KeyPurpose purpose, bool active);

    /// @notice Whether `key` is active now for `identityId` with `purpose`: the one check the markets make.
    /// @param key The key.
    /// @param identityId The identity.
    /// @param purpose The purpose.
    /// @return True if the key may act for the identity with that purpose.
    function isActiveKey(address key, uint256 identityId, KeyPurpose purpose) external view returns (bool);

    /// @notice The nonce the key's next BindKey signature must carry.
    /// @param key The key.
    /// @return The nonce.
    function keyNonce(address key) external view returns (uint256);

    /// @notice The head of an agent's action hash chain (zero before its first action).
    /// @param agentId The agent.
    /// @return The head.
    function actionHead(uint256 agentId) external view returns (bytes32);

    /// @notice The X25519 public key of an identity (zero if unset).
    /// @param identityId The identity.
    /// @return The key.
    function encryptionKeyOf(uint256 identityId) external view returns (bytes32);

    /// @notice The number of identities ever created; ids run from 1 to this number.
    /// @return The count.
    function identityCount() external view returns (uint256);
}
