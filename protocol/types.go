package protocol

// Type names a message. The names are the ones of the original proof of
// concept so that the sequence diagram there still reads right.
type Type string

// Direct messages (envelopes sent to an address).
const (
	// ClaimDevice: My Home -> device address. Starts pairing.
	ClaimDevice Type = "CLAIM_DEVICE"
	// Challenge: device -> My Home's reply address. Proves the device knows
	// the pairing code (sealed to My Home's NTRU key).
	Challenge Type = "CHALLENGE"
	// AnswerChallenge: My Home -> device. Proves My Home knows the code and
	// hands over its private channel root (sealed to the device's key).
	AnswerChallenge Type = "ANSWER_CHALLENGE"
	// ClaimResult: device -> My Home. Outcome of the pairing.
	ClaimResult Type = "CLAIM_RESULT"
	// MAMData: device -> provider address. Channel root and side key sealed
	// to the provider's NTRU key.
	MAMData Type = "MAM_DATA"
)

// Events on My Home's private MAM channel.
const (
	DeviceAdded          Type = "DEVICE_ADDED"
	DeviceDeleted        Type = "DEVICE_DELETED"
	Authorized           Type = "AUTHORIZED"
	AuthorizationRevoked Type = "AUTHORIZATION_REVOKED"
)

// Messages on the reader's restricted MAM channel.
const (
	Data        Type = "DATA"
	KeyRotation Type = "KEY_ROTATION"
)
