package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
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

// ResultProof is ResultSecret.Proof: HMAC-SHA256 keyed by the normalized
// code over "result|claimId|nonce|ok|reason" (ok is "true" or "false"),
// lower-case hex. The nonce is the device's, from the sealed CHALLENGE, so
// only the two parties of this claim can make it.
func ResultProof(code, claimID, nonce string, ok bool, reason string) string {
	return pairingMAC(code, "result", claimID, nonce, strconv.FormatBool(ok), reason)
}

// Argon2id parameters of ClaimKey (RFC 9106's second recommended option,
// scaled to a Raspberry Pi: 19 MiB, two passes, one lane, ~0.1 s).
const (
	claimKeyTime    = 2
	claimKeyMemory  = 19 * 1024 // KiB
	claimKeyThreads = 1
)

// ClaimKey derives the key of a claim's MAC from the pairing code and the
// device address: Argon2id(password = normalized code, salt =
// "iotahome/claim/1|" + deviceAddress, t = 2, m = 19 MiB, p = 1), 32 bytes.
// The MAC travels in clear, so the derivation is slow on purpose: each
// offline guess of the code costs an Argon2id. The device derives it once
// per code, My Home once per pairing.
func ClaimKey(code, deviceAddress string) []byte {
	return argon2.IDKey([]byte(NormalizePairingCode(code)), []byte("iotahome/claim/1|"+deviceAddress),
		claimKeyTime, claimKeyMemory, claimKeyThreads, 32)
}

// ClaimMAC is ClaimDeviceBody.MAC: HMAC-SHA256 keyed by ClaimKey over
// "claim|claimId|homeAddress|homePublicKey", lower-case hex.
func ClaimMAC(key []byte, claimID, homeAddress, homePublicKey string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join([]string{"claim", claimID, homeAddress, homePublicKey}, "|")))
	return hex.EncodeToString(m.Sum(nil))
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
