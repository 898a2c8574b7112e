package mamch

import (
	"errors"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	mam "github.com/iotaledger/iota.go/mam/v1"
	"github.com/iotaledger/iota.go/mam/v1/signing"
	"github.com/iotaledger/iota.go/trinary"
)

// nonceLength is the length in trits of the MAM nonce (iota.go encodes 81
// trits: HashTrytesSize, used as a trit count).
const nonceLength = consts.HashTrytesSize

// maxNonceTries bounds the nonce search. A try succeeds with probability
// about 1/18 at security level 1 and 1/25 at 2, so this never runs out in
// practice; it only turns a bug into an error instead of a hang.
const maxNonceTries = 1 << 16

// createPayload builds the masked, signed payload of one MAM message in a
// one-leaf tree, byte for byte in mam/v1's format.
//
// It is mam/v1's MAMCreate for one-leaf trees, with the signature made by
// hashChains (ten times faster) and one fix. MAMCreate's nonce search
// (curl/hamming) increments trits 166..242 of the sponge state between
// rounds, but only the first 81 trits are transmitted as the nonce, so a
// nonce found after the first round does not reproduce on the reader's
// side: the reader finds "No security level found" and the message is
// lost. This happens for about one message in 30 at security level 1
// (and affects mam/v1's Transmitter too). Here the search varies only the
// transmitted trits, and the result is checked the way MAMParse checks it.
func createPayload(message trinary.Trytes, sideKey trinary.Trytes, tree, nextRoot trinary.Trits, start uint64, s trinary.Trytes, security consts.SecurityLevel) (trinary.Trits, error) {
	// A one-leaf tree: leaf index 0, the tree is its root, no siblings.
	const index, treeLength, siblings = 0, consts.HashTrinarySize, 0
	messageTrits, err := trinary.TrytesToTrits(message)
	if err != nil {
		return nil, err
	}
	sideKeyTrits, err := trinary.TrytesToTrits(trinary.MustPad(sideKey, consts.HashTrytesSize))
	if err != nil {
		return nil, err
	}
	indexTrits, indexLength, err := trinary.EncodeInt64(index)
	if err != nil {
		return nil, err
	}
	lengthTrits, lengthLength, err := trinary.EncodeInt64(int64(len(messageTrits)))
	if err != nil {
		return nil, err
	}
	siblingsTrits, siblingsLength, err := trinary.EncodeInt64(int64(siblings))
	if err != nil {
		return nil, err
	}
	signatureLength := uint64(security) * consts.ISSKeyLength
	payload := make(trinary.Trits, mam.PayloadMinLength(uint64(len(messageTrits)), treeLength, index, security))

	enc := curl.NewCurlP27().(*curl.Curl)
	mam.MAMInitEncryption(sideKeyTrits, tree, enc)

	var off uint64
	off += uint64(copy(payload[off:], indexTrits[:indexLength]))
	off += uint64(copy(payload[off:], lengthTrits[:lengthLength]))
	if err := enc.Absorb(payload[:off]); err != nil {
		return nil, err
	}
	mam.Mask(payload[off:], nextRoot, consts.HashTrinarySize, enc)
	off += consts.HashTrinarySize
	mam.Mask(payload[off:], messageTrits, uint64(len(messageTrits)), enc)
	off += uint64(len(messageTrits))

	nonce, err := findNonce(enc, security)
	if err != nil {
		return nil, err
	}
	mam.Mask(payload[off:], nonce, nonceLength, enc)
	off += nonceLength

	key, err := privateKey(s, start+index, security)
	if err != nil {
		return nil, err
	}
	off += uint64(copy(payload[off:off+signatureLength], sign(enc.State, key)))
	// A one-leaf tree has no siblings: the branch is just their count, 0.
	off += uint64(copy(payload[off:], siblingsTrits[:siblingsLength]))

	toMask := signatureLength + siblingsLength
	mam.Mask(payload[off-toMask:], payload[off-toMask:], toMask, enc)
	return payload, nil
}

// findNonce returns the first 81 trits n (counting up from the sponge's
// current first 81 trits, so the result is deterministic) for which
// absorbing n leaves a state whose first 243 trits have exactly the given
// security level in the sense of signing.GetSecurityLevel.
func findNonce(enc *curl.Curl, security consts.SecurityLevel) (trinary.Trits, error) {
	nonce := make(trinary.Trits, nonceLength)
	copy(nonce, enc.State[:nonceLength])
	probe := curl.NewCurlP27().(*curl.Curl)
	for range maxNonceTries {
		copy(probe.State, enc.State)
		copy(probe.State, nonce)
		probe.Transform()
		if level, err := signing.GetSecurityLevel(probe.State[:consts.HashTrinarySize]); err == nil && level == security {
			return nonce, nil
		}
		increment(nonce)
	}
	return nil, errors.New("no MAM nonce found")
}

// increment adds one to a balanced-ternary number, least significant trit
// first.
func increment(t trinary.Trits) {
	for i := range t {
		if t[i] < 1 {
			t[i]++
			return
		}
		t[i] = -1
	}
}
