// Package ntru is iotahome's public-key encryption: Streamlined NTRU Prime
// 4591^761 (sntrup4591761) as a KEM, AES-256-GCM as the AEAD. A party's key
// pair is derived deterministically from its IOTA seed, so restoring the
// seed restores the key. Public keys travel as trytes (in URLs and Tangle
// messages); sealed boxes as bytes, or base64 inside JSON fields.
//
// Sealed format (docs/tangle.md):
//
//	version (1 byte, 0x01) | KEM ciphertext (1047) | nonce (12) | AES-GCM ciphertext+tag (len(plaintext)+16)
//
// The AES key is HKDF-SHA256(KEM shared secret, info "iotahome/ntru-seal/v1").
// The associated data is version | KEM ciphertext | recipient public key,
// so a box cannot be re-wrapped under another KEM ciphertext or presented
// to another recipient without Open failing.
package ntru

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/iotaledger/iota.go/trinary"
	"github.com/katzenpost/sntrup4591761"

	"iotahome/tangle/seed"
)

const (
	version     = 0x01
	nonceSize   = 12
	tagSize     = 16
	headerSize  = 1 + sntrup4591761.CiphertextSize + nonceSize
	sealInfo    = "iotahome/ntru-seal/v1"
	keyPairInfo = "iotahome/ntru-keypair/v1"
)

// Overhead is how many bytes Seal adds to the plaintext.
const Overhead = headerSize + tagSize

// ErrOpen is returned (wrapped) by Open for every box that does not
// authenticate: tampered, truncated, or sealed to another key. The causes
// are deliberately not distinguished.
var ErrOpen = errors.New("ntru: cannot open sealed box")

// PublicKey is a recipient's public key.
type PublicKey struct {
	k sntrup4591761.PublicKey
}

// PrivateKey is the matching private key. It embeds its public key.
type PrivateKey struct {
	k sntrup4591761.PrivateKey
}

// DeriveKeyPair derives the key pair of an IOTA seed. The randomness that
// sntrup's key generation consumes is SHAKE256("iotahome/ntru-keypair/v1" |
// 0x00 | seed), so the same seed always gives the same keys and the stream
// is separate from every other use of the seed.
func DeriveKeyPair(s trinary.Trytes) (*PublicKey, *PrivateKey, error) {
	if err := seed.Validate(s); err != nil {
		return nil, nil, fmt.Errorf("ntru: derive key pair: %w", err)
	}
	xof := sha3.NewSHAKE256()
	xof.Write([]byte(keyPairInfo))
	xof.Write([]byte{0})
	xof.Write([]byte(s))
	pk, sk, err := sntrup4591761.GenerateKey(xof)
	if err != nil {
		return nil, nil, fmt.Errorf("ntru: generate key: %w", err)
	}
	return &PublicKey{k: *pk}, &PrivateKey{k: *sk}, nil
}

// Public returns the public key that belongs to priv.
func (priv *PrivateKey) Public() *PublicKey {
	pub := new(PublicKey)
	// sntrup stores the public key at the end of the private key.
	copy(pub.k[:], priv.k[len(priv.k)-sntrup4591761.PublicKeySize:])
	return pub
}

// Seal encrypts plaintext so that only the holder of pub's private key can
// read it. Each call encapsulates a fresh KEM secret, so sealing the same
// plaintext twice gives unrelated boxes.
func Seal(pub *PublicKey, plaintext []byte) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("ntru: seal: nil public key")
	}
	ct, shared, err := sntrup4591761.Encapsulate(rand.Reader, &pub.k)
	if err != nil {
		return nil, fmt.Errorf("ntru: encapsulate: %w", err)
	}
	aead, err := newAEAD(shared[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	out[0] = version
	copy(out[1:], ct[:])
	nonce := out[1+sntrup4591761.CiphertextSize : headerSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("ntru: nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, associatedData(out, pub)), nil
}

// Open decrypts a box made by Seal for priv's public key. Anything else
// (wrong key, a flipped bit anywhere, a truncated or extended box, an
// unknown version) returns an error wrapping ErrOpen and no plaintext.
func Open(priv *PrivateKey, sealed []byte) ([]byte, error) {
	if priv == nil {
		return nil, errors.New("ntru: open: nil private key")
	}
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the %d-byte minimum", ErrOpen, len(sealed), Overhead)
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrOpen, sealed[0])
	}
	var ct sntrup4591761.Ciphertext
	copy(ct[:], sealed[1:])
	shared, ok := sntrup4591761.Decapsulate(&ct, &priv.k)
	if ok != 1 {
		// sntrup signals a ciphertext that was not made for this key with
		// a flag, not an error; the shared key it returns is then garbage.
		return nil, fmt.Errorf("%w: KEM ciphertext rejected", ErrOpen)
	}
	aead, err := newAEAD(shared[:])
	if err != nil {
		return nil, err
	}
	nonce := sealed[1+sntrup4591761.CiphertextSize : headerSize]
	plain, err := aead.Open(nil, nonce, sealed[headerSize:], associatedData(sealed, priv.Public()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	return plain, nil
}

// SealString is Seal with the box encoded as standard base64, for JSON
// string fields.
func SealString(pub *PublicKey, plaintext []byte) (string, error) {
	box, err := Seal(pub, plaintext)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(box), nil
}

// OpenString opens a box encoded by SealString.
func OpenString(priv *PrivateKey, sealed string) ([]byte, error) {
	box, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrOpen, err)
	}
	return Open(priv, box)
}

func newAEAD(shared []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, shared, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("ntru: hkdf: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("ntru: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("ntru: gcm: %w", err)
	}
	return aead, nil
}

// associatedData binds the version byte, the KEM ciphertext and the
// recipient's public key into the AEAD tag.
func associatedData(box []byte, pub *PublicKey) []byte {
	ad := make([]byte, 0, 1+sntrup4591761.CiphertextSize+sntrup4591761.PublicKeySize)
	ad = append(ad, box[:1+sntrup4591761.CiphertextSize]...)
	return append(ad, pub.k[:]...)
}
