package protocol

// Pairing is a four-message exchange. Nothing in it lets a watcher of the
// public Tangle learn My Home's root, and testing a guess of the pairing
// code offline costs an Argon2id derivation (ClaimKey) on top of 80 bits:
// the code keys the claim's MAC through that derivation, and otherwise only
// enters HMACs that travel sealed to an NTRU key; the root travels sealed to
// the device key that the code authenticated.

// ClaimDeviceBody is sent in clear to the device address.
type ClaimDeviceBody struct {
	ClaimID       string `json:"claimId"`       // random, ties the exchange together
	HomeAddress   string `json:"homeAddress"`   // where the device answers
	HomePublicKey string `json:"homePublicKey"` // NTRU public key, trytes
	// MAC = ClaimMAC(ClaimKey(code, deviceAddress), claimId, homeAddress,
	// homePublicKey): the device drops a claim without the code's MAC before
	// it spends anything on it.
	MAC string `json:"mac"`
}

// ChallengeBody is sent in clear to HomeAddress; Sealed opens (with My Home's
// NTRU private key) to a ChallengeSecret.
type ChallengeBody struct {
	ClaimID         string `json:"claimId"`
	DeviceAddress   string `json:"deviceAddress"`
	DevicePublicKey string `json:"devicePublicKey"` // NTRU public key, trytes
	Sealed          string `json:"sealed"`          // base64 of ntru.Seal(HomePublicKey, json(ChallengeSecret))
}

// ChallengeSecret proves that the device knows the pairing code and binds its
// public key to this claim.
type ChallengeSecret struct {
	ClaimID string `json:"claimId"`
	Nonce   string `json:"nonce"` // random, echoed in the answer's proof
	// DeviceProof = HMAC-SHA256(code, "device" | claimId | nonce | homeAddress | devicePublicKey), hex.
	DeviceProof string `json:"deviceProof"`
}

// AnswerChallengeBody is sent to the device address; Sealed opens (with the
// device's NTRU private key) to an AnswerSecret.
type AnswerChallengeBody struct {
	ClaimID string `json:"claimId"`
	Sealed  string `json:"sealed"` // base64
}

// AnswerSecret proves My Home knows the code and carries its channel root.
type AnswerSecret struct {
	ClaimID string `json:"claimId"`
	// HomeProof = HMAC-SHA256(code, "home" | claimId | nonce | deviceAddress), hex.
	HomeProof string `json:"homeProof"`
	// HomeRoot is the first root of My Home's private MAM channel.
	HomeRoot string `json:"homeRoot"`
}

// ClaimResultBody is sent to HomeAddress; Sealed opens (with My Home's NTRU
// private key) to a ResultSecret. Only a result whose proof checks counts:
// anyone can post a CLAIM_RESULT for a public claim id.
type ClaimResultBody struct {
	ClaimID string `json:"claimId"`
	Sealed  string `json:"sealed"` // base64 of ntru.Seal(HomePublicKey, json(ResultSecret))
}

// ResultSecret is the device's verdict on an ANSWER_CHALLENGE.
type ResultSecret struct {
	ClaimID string `json:"claimId"`
	OK      bool   `json:"ok"`
	Reason  string `json:"reason,omitempty"` // e.g. "wrong pairing code"
	// Proof = ResultProof(code, claimId, nonce, ok, reason), hex.
	Proof string `json:"proof"`
}
