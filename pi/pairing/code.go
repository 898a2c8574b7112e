package pairing

import (
	"crypto/rand"
	"fmt"
	"strings"

	"iotahome/protocol"
)

// NewCode returns a fresh random pairing code: 16 base32 characters, 80 bits
// of entropy, so that even someone holding a device proof for a claim of
// their own cannot find the code by trying guesses offline.
func NewCode() (string, error) {
	b := make([]byte, protocol.PairingCodeLength)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pairing: random code: %w", err)
	}
	for i := range b {
		b[i] = protocol.PairingCodeAlphabet[b[i]%32] // 256 is a multiple of 32: no bias
	}
	return string(b), nil
}

// FormatCode shows a code in groups of four: XXXX-XXXX-XXXX-XXXX.
func FormatCode(code string) string {
	code = protocol.NormalizePairingCode(code)
	var groups []string
	for len(code) > 4 {
		groups = append(groups, code[:4])
		code = code[4:]
	}
	return strings.Join(append(groups, code), "-")
}

// QRText is what the reader's QR code says: the device address and the
// pairing code, which My Home's pairing form accepts as pasted text.
func QRText(deviceAddress, code string) string {
	return "iotahome:pair?address=" + deviceAddress + "&code=" + FormatCode(code)
}
