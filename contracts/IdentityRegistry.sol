// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice See {IIdentityRegistry}.
/// @dev Gas: `register` writes the ERC-721 owner and balance, the handle's entry and the URI, and nothing else; a
/// Standard identity's record stays all-zero until something sets it. A bound key's identity, purpose, epoch and
/// nonce share one slot.
contract IdentityRegistry is ERC721, EIP712, IIdentityRegistry {
    /// @notice The EIP-712 type hash of a BindKey message.
    bytes32 public constant BIND_KEY_TYPEHASH = keccak256(
        "BindKey(uint256 identityId,address key,uint8 purpose,uint256 nonce,uint256 deadline)"
    );

    uint256 private constant MIN_HANDLE_LENGTH = 3;
    uint256 private constant MAX_HANDLE_LENGTH = 32;

    /// @dev One slot. A Standard identity with no actions keeps it zero.
    struct IdentityRecord {
        IdentityKind kind;
        bool paused;
        uint32 keyEpoch;
        uint64 controllerId;
        uint64 actionCount;
    }

    /// @dev One slot. `nonce` survives unbinding so an old signature can never bind the key again.
    struct KeyRecord {
        uint64 identityId;
        KeyPurpose purpose;
        uint32 epoch;
        uint64 nonce;
    }

    uint256 private _identityCount;
    mapping(uint256 identityId => IdentityRecord) private _identities;
    mapping(uint256 identityId => string) private _metadataURIs;
    mapping(uint256 identityId => bytes32) private _encryptionKeys;
    mapping(uint256 agentId => bytes32) private _actionHeads;
    mapping(bytes32 handle => uint256 identityId) private _handles;
    mapping(address key => KeyRecord) private _keys;

    constructor() ERC721("Fourfold Identity", "FFID") EIP712("Fourfold IdentityRegistry", "1") {}

    // ----------------------------------------------------------------------------------------------------------------
    // Identities
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function register(string calldata handle, string calldata metadataURI) external returns (uint256 identityId) {
        identityId = _create(handle, metadataURI, IdentityKind.Standard, 0);
    }

    /// @inheritdoc IIdentityRegistry
    function registerAgent(
        uint256 controllerId,
        string calldata handle,
        string calldata metadataURI
    ) external returns (uint256 agentId) {
        if (_ownerOf(controllerId) == address(0) || _identities[controllerId].kind != IdentityKind.Standard) {
            revert IdentityInvalidController(controllerId);
        }
        _requireOwner(controllerId);
        agentId = _create(handle, metadataURI, IdentityKind.Agent, SafeCast.toUint64(controllerId));
    }

    /// @inheritdoc IIdentityRegistry
    function setMetadataURI(uint256 identityId, string calldata metadataURI) external {
        _requireOwner(identityId);
        _metadataURIs[identityId] = metadataURI;
        emit MetadataURISet(identityId, metadataURI);
    }

    /// @inheritdoc IIdentityRegistry
    function setEncryptionKey(uint256 identityId, bytes32 encryptionKey) external {
        _requireOwner(identityId);
        _encryptionKeys[identityId] = encryptionKey;
        emit EncryptionKeySet(identityId, encryptionKey);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Keys
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function bindKey(
        uint256 identityId,
        address key,
        KeyPurpose purpose,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _requireOwner(identityId);
        if (key == address(0)) revert IdentityZeroKey();
        IdentityRecord storage identity = _identities[identityId];
        // Agent keys are for agents only; an agent may hold keys of the other purposes (a worker it runs, say).
        if (purpose == KeyPurpose.None || (purpose == KeyPurpose.Agent && identity.kind != IdentityKind.Agent)) {
            revert IdentityInvalidPurpose(identityId, purpose);
        }
        if (block.timestamp > deadline) revert IdentitySignatureExpired(deadline, block.timestamp);

        KeyRecord memory record = _keys[key];
        if (_isBound(record)) revert IdentityKeyAlreadyBound(key, record.identityId);

        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(BIND_KEY_TYPEHASH, identityId, key, purpose, record.nonce, deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(key, digest, signature)) revert IdentityInvalidSignature(key);

        _keys[key] = KeyRecord({
            identityId: SafeCast.toUint64(identityId),
            purpose: purpose,
            epoch: identity.keyEpoch,
            nonce: record.nonce + 1
        });
        emit KeyBound(identityId, key, purpose);
    }

    /// @inheritdoc IIdentityRegistry
    function unbindKey(address key) external {
        KeyRecord memory record = _keys[key];
        if (!_isBound(record)) revert IdentityKeyNotBound(key);
        uint256 identityId = record.identityId;
        if (msg.sender != key && msg.sender != _ownerOf(identityId)) revert IdentityNotOwner(identityId, msg.sender);
        _keys[key] = KeyRecord({identityId: 0, purpose: KeyPurpose.None, epoch: 0, nonce: record.nonce});
        emit KeyUnbound(identityId, key);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Agents
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function setAgentPaused(uint256 agentId, bool paused) external {
        IdentityRecord storage agent = _identities[agentId];
        if (_ownerOf(agentId) == address(0) || agent.kind != IdentityKind.Agent) revert IdentityNotAgent(agentId);
        if (msg.sender != _ownerOf(agent.controllerId)) revert IdentityNotController(agentId, msg.sender);
        agent.paused = paused;
        emit AgentPauseSet(agentId, paused);
    }

    /// @inheritdoc IIdentityRegistry
    function logAction(
        uint256 agentId,
        bytes32 actionType,
        bytes32 dataHash,
        string calldata uri
    ) external returns (uint256 sequence) {
        KeyRecord memory record = _keys[msg.sender];
        IdentityRecord storage agent = _identities[agentId];
        if (record.identityId != agentId || record.purpose != KeyPurpose.Agent || record.epoch != agent.keyEpoch) {
            revert IdentityNotAgentKey(msg.sender, agentId);
        }
        if (agent.paused) revert IdentityAgentPaused(agentId);

        sequence = agent.actionCount + 1;
        bytes32 head = keccak256(
            abi.encode(_actionHeads[agentId], sequence, actionType, dataHash, keccak256(bytes(uri)))
        );
        agent.actionCount = uint64(sequence);
        _actionHeads[agentId] = head;
        emit ActionLogged(agentId, sequence, actionType, msg.sender, dataHash, uri, head);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function idOfHandle(string calldata handle) external view returns (uint256) {
        if (!_isValidHandle(bytes(handle))) return 0;
        return _handles[bytes32(bytes(handle))];
    }

    /// @inheritdoc IIdentityRegistry
    function identityOf(uint256 identityId) external view returns (Identity memory) {
        _requireOwned(identityId);
        IdentityRecord memory record = _identities[identityId];
        return
            Identity({
                kind: record.kind,
                paused: record.paused,
                keyEpoch: record.keyEpoch,
                controllerId: record.controllerId,
                actionCount: record.actionCount,
                actionHead: _actionHeads[identityId],
                encryptionKey: _encryptionKeys[identityId]
            });
    }

    /// @inheritdoc IIdentityRegistry
    function keyInfo(address key) external view returns (uint256 identityId, KeyPurpose purpose, bool active) {
        KeyRecord memory record = _keys[key];
        identityId = record.identityId;
        purpose = record.purpose;
        active = _isActive(record);
    }

    /// @inheritdoc IIdentityRegistry
    function isActiveKey(address key, uint256 identityId, KeyPurpose purpose) external view returns (bool) {
        KeyRecord memory record = _keys[key];
        return record.identityId == identityId && record.purpose == purpose && _isActive(record);
    }

    /// @inheritdoc IIdentityRegistry
    function keyNonce(address key) external view returns (uint256) {
        return _keys[key].nonce;
    }

    /// @inheritdoc IIdentityRegistry
    function actionHead(uint256 agentId) external view returns (bytes32) {
        return _actionHeads[agentId];
    }

    /// @inheritdoc IIdentityRegistry
    function encryptionKeyOf(uint256 identityId) external view returns (bytes32) {
        return _encryptionKeys[identityId];
    }

    /// @inheritdoc IIdentityRegistry
    function identityCount() external view returns (uint256) {
        return _identityCount;
    }

    /// @inheritdoc IERC721Metadata
    function tokenURI(uint256 identityId) public view override(ERC721, IERC721Metadata) returns (string memory) {
        _requireOwned(identityId);
        return _metadataURIs[identityId];
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------------------

    function _create(
        string calldata handle,
        string calldata metadataURI,
        IdentityKind kind,
        uint64 controllerId
    ) private returns (uint256 identityId) {
        bytes memory handleBytes = bytes(handle);
        if (!_isValidHandle(handleBytes)) revert IdentityInvalidHandle(handle);
        bytes32 handleKey = bytes32(handleBytes);
        uint256 holder = _handles[handleKey];
        if (holder != 0) revert IdentityHandleTaken(handle, holder);

        identityId = ++_identityCount;
        _handles[handleKey] = identityId;
        if (kind != IdentityKind.Standard) {
            _identities[identityId] = IdentityRecord({
                kind: kind,
                paused: false,
                keyEpoch: 0,
                controllerId: controllerId,
                actionCount: 0
            });
        }
        if (bytes(metadataURI).length != 0) _metadataURIs[identityId] = metadataURI;
        _mint(msg.sender, identityId);
        emit IdentityRegistered(identityId, msg.sender, controllerId, kind, handle, metadataURI);
    }

    /// @dev On every transfer (not mint): drop all keys by moving to a new key epoch, and clear the encryption key,
    /// which belongs to the previous owner.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && from != to) {
            IdentityRecord storage record = _identities[tokenId];
            uint32 epoch = record.keyEpoch + 1;
            record.keyEpoch = epoch;
            emit KeysDropped(tokenId, epoch);
            if (_encryptionKeys[tokenId] != bytes32(0)) {
                delete _encryptionKeys[tokenId];
                emit EncryptionKeySet(tokenId, bytes32(0));
            }
        }
    }

    function _requireOwner(uint256 identityId) private view {
        if (_requireOwned(identityId) != msg.sender) revert IdentityNotOwner(identityId, msg.sender);
    }

    /// @dev Bound in the identity's current key epoch (transfers move the epoch on).
    function _isBound(KeyRecord memory record) private view returns (bool) {
        return record.identityId != 0 && record.epoch == _identities[record.identityId].keyEpoch;
    }

    function _isActive(KeyRecord memory record) private view returns (bool) {
        if (record.identityId == 0) return false;
        IdentityRecord memory identity = _identities[record.identityId];
        return record.epoch == identity.keyEpoch && !identity.paused;
    }

    /// @dev 3-32 characters of [a-z0-9-], not starting or ending with '-'. No valid handle holds a zero byte, so
    /// the left-aligned bytes32 of a valid handle is unique to it.
    function _isValidHandle(bytes memory handle) private pure returns (bool) {
        uint256 length = handle.length;
        if (length < MIN_HANDLE_LENGTH || length > MAX_HANDLE_LENGTH) return false;
        if (handle[0] == "-" || handle[length - 1] == "-") return false;
        for (uint256 i; i < length; ++i) {
            bytes1 c = handle[i];
            if (!((c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "-")) return false;
        }
        return true;
    }
}
