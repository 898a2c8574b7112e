package myhome

import (
	"net/url"
	"strings"

	"github.com/iotaledger/iota.go/address"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/internal/displaytext"
	"iotahome/protocol"
)

// PairInput is what the owner typed (or pasted) on the pairing form.
type PairInput struct {
	Address string // device address, 81 trytes (or 90 with checksum)
	Code    string // pairing code, XXXX-XXXX-XXXX-XXXX (any case, dashes optional)
	QR      string // or the reader's QR text: iotahome:pair?address=…&code=…
	Name    string // optional name for the device
}

// maxDeviceName bounds a device name, in characters.
const maxDeviceName = 60

// pairTarget is a validated PairInput.
type pairTarget struct {
	address string
	code    string // normalized
	name    string
}

// parse validates the input. A pasted QR text fills in what was left empty.
func (in PairInput) parse() (pairTarget, error) {
	addr, code := strings.TrimSpace(in.Address), strings.TrimSpace(in.Code)
	if qr := strings.TrimSpace(in.QR); qr != "" {
		qa, qc, err := ParsePairingURI(qr)
		if err != nil {
			return pairTarget{}, err
		}
		if addr == "" {
			addr = qa
		}
		if code == "" {
			code = qc
		}
	}
	if addr == "" {
		return pairTarget{}, userErr("Enter the device address that the reader shows (or paste its QR text).")
	}
	a, err := ParseAddress(addr)
	if err != nil {
		return pairTarget{}, userErr("The device address is not valid: %s", err.Error())
	}
	c, err := ParsePairingCode(code)
	if err != nil {
		return pairTarget{}, err
	}
	name := strings.TrimSpace(in.Name)
	if name != "" {
		if err := displaytext.Check(name, maxDeviceName); err != nil {
			return pairTarget{}, userErr("The device name %v: use at most %d ordinary, visible characters.", err, maxDeviceName)
		}
	}
	return pairTarget{address: a, code: c, name: name}, nil
}

// ParsePairingURI reads the text of the reader's QR code,
// "iotahome:pair?address=…&code=…".
func ParsePairingURI(s string) (addr, code string, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "iotahome:pair?")
	if !ok {
		return "", "", userErr("The pasted text is not a pairing QR code (it should start with iotahome:pair?).")
	}
	q, perr := url.ParseQuery(rest)
	if perr != nil {
		return "", "", userErr("The pasted pairing text is damaged; type the address and code instead.")
	}
	return q.Get("address"), q.Get("code"), nil
}

// ParsePairingCode accepts a code with or without dashes or spaces, in any
// case, and returns it normalized (16 base32 characters, 80 bits).
func ParsePairingCode(s string) (string, error) {
	c := protocol.NormalizePairingCode(strings.TrimSpace(s))
	if c == "" {
		return "", userErr("Enter the pairing code that the reader shows, like ABCD-EFGH-IJKL-MNOP.")
	}
	if len(c) != protocol.PairingCodeLength {
		return "", userErr("A pairing code has %d letters and digits (like ABCD-EFGH-IJKL-MNOP); this one has %d.", protocol.PairingCodeLength, len([]rune(c)))
	}
	for _, r := range c {
		if !strings.ContainsRune(protocol.PairingCodeAlphabet, r) {
			return "", userErr("A pairing code uses only the letters A–Z and the digits 2–7; %q is not one of them.", r)
		}
	}
	return c, nil
}

// ParseAddress accepts an 81-tryte address or a 90-tryte one with a valid
// checksum, and returns the 81-tryte form.
func ParseAddress(s string) (string, error) {
	a := strings.ToUpper(strings.TrimSpace(s))
	switch len(a) {
	case consts.HashTrytesSize:
		if !guards.IsTrytesOfExactLength(a, consts.HashTrytesSize) {
			return "", errString("it may contain only the letters A–Z and the digit 9")
		}
		return a, nil
	case consts.AddressWithChecksumTrytesSize:
		if !guards.IsTrytesOfExactLength(a, consts.AddressWithChecksumTrytesSize) {
			return "", errString("it may contain only the letters A–Z and the digit 9")
		}
		if err := address.ValidChecksum(trinary.Hash(a[:81]), a[81:]); err != nil {
			return "", errString("its checksum (the last 9 characters) does not match: check for a typo")
		}
		return a[:81], nil
	}
	return "", errString("an address has 81 characters (or 90 with its checksum)")
}

type errString string

func (e errString) Error() string { return string(e) }
