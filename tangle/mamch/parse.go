package mamch

import (
	"errors"
	"fmt"
	"slices"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/mam/v1/merkle"
	"github.com/iotaledger/iota.go/mam/v1/signing"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
)

// maxBundleLength bounds the bundles parse accepts: 64 transactions carry
// a message of about 68 KB.
const maxBundleLength = 64

// maxSiblings bounds the Merkle branch of a message (trees of up to 2^20
// leaves; iotahome's have one, mam.client.js's one by default).
const maxSiblings = 20

// parse decodes and verifies the MAM message in a bundle found at root's
// address and returns its text and the next root. It reads mam/v1's
// format exactly as mam/v1's MAMParse does, but treats the payload as
// hostile (MAMParse trusts the lengths in it: a forged payload can make it
// panic or allocate without bound) and is much faster (sponge,
// hashChains).
func parse(b bundle.Bundle, sideKey trinary.Trytes, root trinary.Trits) (string, trinary.Trytes, error) {
	d, err := decode(b, sideKey, root)
	if err != nil {
		return "", "", err
	}
	if err := verify([]*decoded{d})[0]; err != nil {
		return "", "", err
	}
	return d.text, d.next, nil
}

// decoded is a message that decrypted and is well-formed, but whose
// signature has not been checked yet: nothing in it may be used before
// verify accepts it.
type decoded struct {
	root         trinary.Trits // the root it was read at (and must be signed for)
	text         string
	next         trinary.Trytes
	index        int64
	hash         trinary.Trits // the signed hash (sponge state after the nonce)
	signature    trinary.Trits
	siblings     trinary.Trits // Merkle branch, siblingCount hashes
	siblingCount int64
}

// decode decrypts the MAM message in a bundle found at root's address and
// checks its structure; verify checks the signature. Splitting the two
// lets Fetch learn the next root (and read on) before verifying, and
// verify many signatures at once.
func decode(b bundle.Bundle, sideKey trinary.Trytes, root trinary.Trits) (*decoded, error) {
	if len(b) > maxBundleLength {
		return nil, fmt.Errorf("bundle of %d transactions exceeds the %d-transaction limit", len(b), maxBundleLength)
	}
	p, err := trinary.TrytesToTrits(client.Message(b))
	if err != nil {
		return nil, err
	}
	return decodePayload(p, sideKey, root)
}

// decodePayload is decode of a MAM payload already taken out of its bundle.
func decodePayload(p trinary.Trits, sideKey trinary.Trytes, root trinary.Trits) (*decoded, error) {
	key, err := trinary.TrytesToTrits(trinary.MustPad(sideKey, consts.HashTrytesSize))
	if err != nil {
		return nil, fmt.Errorf("side key: %w", err)
	}
	enc := newSponge(curl.CurlP27)
	enc.absorb(key) // mam.MAMInitEncryption
	enc.absorb(root[:consts.HashTrinarySize])

	index, n, err := decodeInt(p)
	if err != nil || index < 0 {
		return nil, errors.New("malformed index")
	}
	length, m, err := decodeInt(p[n:])
	off := n + m
	if err != nil || length < 0 || length%3 != 0 || uint64(length) > uint64(len(p)) {
		return nil, errors.New("malformed message length")
	}
	// next root, message, nonce, and at least one signature fragment
	if off+consts.HashTrinarySize+uint64(length)+nonceLength+consts.KeyFragmentLength > uint64(len(p)) {
		return nil, errors.New("payload too short")
	}
	enc.absorb(p[:off])
	next := enc.unmask(p[off:], consts.HashTrinarySize)
	off += consts.HashTrinarySize
	msg := enc.unmask(p[off:], uint64(length))
	off += uint64(length)
	enc.unmask(p[off:], nonceLength)
	off += nonceLength

	hash := enc.rate()
	security, err := signing.GetSecurityLevel(hash)
	if err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	rest := enc.unmask(p[off:], uint64(len(p))-off)
	sigLength := int(security) * consts.KeyFragmentLength
	if len(rest) < sigLength {
		return nil, errors.New("payload too short for its signature")
	}
	signature := rest[:sigLength]
	rest = rest[sigLength:]
	siblings, k, err := decodeInt(rest)
	if err != nil || siblings < 0 || siblings > maxSiblings || uint64(len(rest)) < k+uint64(siblings)*consts.HashTrinarySize {
		return nil, errors.New("malformed Merkle branch")
	}
	text, err := client.TrytesToASCII(trinary.MustTritsToTrytes(msg))
	if err != nil {
		return nil, fmt.Errorf("message text: %w", err)
	}
	return &decoded{
		root: root[:consts.HashTrinarySize], text: text, next: trinary.MustTritsToTrytes(next), index: index,
		hash: hash, signature: signature, siblings: rest[k:], siblingCount: siblings,
	}, nil
}

// errNotSigned is a message that decrypts but was not signed with the key
// of the root it is at: a forgery by someone who has the side key.
var errNotSigned = errors.New("not signed by the channel (Merkle root does not match)")

// verify checks the signatures of ds (nil: valid) with one hashChains
// call for all of them: the message's hash signed by the key whose Merkle
// tree has the root the message was read at.
func verify(ds []*decoded) []error {
	var (
		segs   []trinary.Trits
		counts []int
		sigs   = make([]trinary.Trits, len(ds))
	)
	for i, d := range ds {
		var s []trinary.Trits
		var c []int
		sigs[i], s, c = signatureChains(d.hash, d.signature)
		segs, counts = append(segs, s...), append(counts, c...)
	}
	hashChains(segs, counts)
	errs := make([]error, len(ds))
	for i, d := range ds {
		signer := address(sigs[i])
		if d.siblingCount > 0 {
			var err error
			signer, err = merkle.MerkleRoot(signer, d.siblings, uint64(d.siblingCount), uint64(d.index), curl.NewCurlP27())
			if err != nil {
				errs[i] = err
				continue
			}
		}
		if !slices.Equal(signer, d.root) {
			errs[i] = errNotSigned
		}
	}
	return errs
}

// decodeInt reads an integer in the encoding of trinary.EncodeInt64 and
// returns it with the number of trits it took. Unlike
// trinary.DecodeInt64 it checks every bound.
func decodeInt(t trinary.Trits) (int64, uint64, error) {
	if len(t) >= 4 && t[0] == 1 && t[1] == 0 && t[2] == 0 && t[3] == -1 {
		return 0, 4, nil // the encoding of zero
	}
	// Value trytes run up to and including the first positive one.
	trytes := 0
	for {
		if 3*trytes+3 > len(t) || trytes >= 13 {
			return 0, 0, errors.New("malformed integer")
		}
		if trinary.TritsToInt(t[3*trytes:3*trytes+3]) > 0 {
			trytes++
			break
		}
		trytes++
	}
	encLength := trinary.MinTrits(1<<trytes - 1)
	if 3*trytes+encLength > len(t) {
		return 0, 0, errors.New("malformed integer")
	}
	encoding := trinary.TritsToInt(t[3*trytes : 3*trytes+encLength])
	var value int64
	for i := range trytes {
		v := trinary.TritsToInt(t[3*i : 3*i+3])
		if encoding>>i&1 == 1 {
			v = -v
		}
		value += trinary.Pow27LUT[i] * v
	}
	return value, uint64(3*trytes + encLength), nil
}
