package protocol

import "time"

// Event is one message on My Home's private MAM channel. Exactly one of the
// body fields is set, matching Type. Every event names the device it is about;
// a reader acts only on events whose Device is its own address.
type Event struct {
	Type    Type      `json:"type"`
	Version int       `json:"v"`
	ID      string    `json:"id"` // random, unique per event (dedup on replay)
	Time    time.Time `json:"time"`
	Device  string    `json:"device"` // device address

	DeviceAdded *DeviceAddedBody   `json:"deviceAdded,omitempty"`
	Authorized  *AuthorizedBody    `json:"authorized,omitempty"`
	Revoked     *RevokedBody       `json:"revoked,omitempty"`
	Deleted     *DeviceDeletedBody `json:"deleted,omitempty"`
}

// DeviceAddedBody records a successful pairing.
type DeviceAddedBody struct {
	Name      string `json:"name,omitempty"`
	PublicKey string `json:"publicKey"` // device NTRU public key, trytes
	// ClaimID is the claim of the pairing this event records. A reader that
	// replays My Home's channel from its first root acts on events for its
	// address only after the DEVICE_ADDED of its own, current pairing, so
	// that events of an earlier pairing of the same device are not redone.
	ClaimID string `json:"claimId,omitempty"`
}

// DeviceDeletedBody records an unpairing.
type DeviceDeletedBody struct{}

// Provider identifies a service provider.
type Provider struct {
	Address   string `json:"address"`   // IOTA address for MAM_DATA
	PublicKey string `json:"publicKey"` // NTRU public key, trytes
	// Origin is the ASCII origin of the return URL the owner saw; the
	// provider proved it by signing the request with a key its metadata
	// document at that origin publishes (package protocol/providermeta).
	Origin string `json:"origin"`
	// Name and PrivacyPolicy are what that verified document said when the
	// owner granted (absent in events written before documents existed).
	Name          string `json:"name,omitempty"`
	PrivacyPolicy string `json:"privacyPolicy,omitempty"`
}

// AuthorizedBody is a consent policy.
type AuthorizedBody struct {
	PolicyID string   `json:"policyId"`
	Provider Provider `json:"provider"`
	Goal     string   `json:"goal"`
	State    string   `json:"state"` // provider's nonce, echoed in MAM_DATA
	// Scope is the kinds of data granted (Kinds); absent means all of them
	// (events written before requests had to name kinds).
	Scope []string `json:"scope,omitempty"`
	// Resolution is how finely the provider may see readings; absent
	// means ResolutionRaw. Carried, not yet enforced by keys (see
	// docs/protocol.md).
	Resolution Resolution `json:"resolution,omitempty"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	// Replaces names the active policy of the same provider account and
	// device that this one replaces (a renewal or a repeated request). The
	// replaced policy ends when this one starts, without a key rotation:
	// the provider keeps the key it has.
	Replaces string `json:"replaces,omitempty"`
}

// RevokedBody ends a policy.
type RevokedBody struct {
	PolicyID        string `json:"policyId"`
	ProviderAddress string `json:"providerAddress"`
}

// MAMDataBody is sent to the provider's address. Sealed opens (with the
// provider's NTRU private key) to a ChannelKey.
type MAMDataBody struct {
	Device string `json:"device"`
	Sealed string `json:"sealed"` // base64 of ntru.Seal(provider key, json(ChannelKey))
}

// ChannelKey is what a provider needs to follow a reader's channel.
type ChannelKey struct {
	Device  string `json:"device"`
	Root    string `json:"root"`    // root of the next message on the channel
	SideKey string `json:"sideKey"` // 81 trytes
	State   string `json:"state"`   // the provider's consent request nonce
}

// ChannelMessage is one message on the reader's restricted channel.
type ChannelMessage struct {
	Type        Type             `json:"type"`
	Version     int              `json:"v"`
	Data        *DataBody        `json:"data,omitempty"`
	KeyRotation *KeyRotationBody `json:"keyRotation,omitempty"`
}

// KeyRotationBody announces that messages after this one use a new side key.
// It is published under the old key; the new key is sealed to every provider
// still authorized.
type KeyRotationBody struct {
	Keys []SealedKey `json:"keys"`
}

// SealedKey is the new side key for one provider.
type SealedKey struct {
	ProviderAddress string `json:"provider"`
	Sealed          string `json:"sealed"` // base64 of ntru.Seal(provider key, sideKey)
}
