package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// PairingCodeLength is the number of base32 characters in a pairing code:
// 16 × 5 bits = 80 bits of entropy. It is shown in groups of four,
// XXXX-XXXX-XXXX-XXXX.
const PairingCodeLength = 16

// PairingCodeAlphabet is the RFC 4648 base32 alphabet the code is drawn from.
const PairingCodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// NormalizePairingCode turns what a person typed (any case, with or without
// dashes and spaces) into the canonical code that keys the proofs.
func NormalizePairingCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r == '-' || r == ' ' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DeviceProof is ChallengeSecret.DeviceProof: HMAC-SHA256 keyed by the
// normalized code over "device|claimId|nonce|homeAddress|devicePublicKey",
// lower-case hex.
func DeviceProof(code, claimID, nonce, homeAddress, devicePublicKey string) string {
	return pairingMAC(code, "device", claimID, nonce, homeAddress, devicePublicKey)
}

// HomeProof is AnswerSecret.HomeProof: HMAC-SHA256 keyed by the normalized
// code over "home|claimId|nonce|deviceAddress", lower-case hex.
func HomeProof(code, claimID, nonce, deviceAddress string) string {
	return pairingMAC(code, "home", claimID, nonce, deviceAddress)
}

// ProofEqual compares two hex proofs in constant time.
func ProofEqual(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}

func pairingMAC(code string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(NormalizePairingCode(code)))
	m.Write([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(m.Sum(nil))
}
