// Package serverkey holds a site's server key: the 256-bit AES key that
// encrypts secrets at rest in the site's SQLite file (IOTA seeds). The key
// never goes into the database, so a copy of the database alone reveals no
// seed. It comes from the environment (for deployments that keep secrets out
// of the data directory) or from a file that is generated on first run.
package serverkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Size is the key length in bytes (AES-256).
const Size = 32

// Key seals and opens secrets that belong to one account. The account id is
// authenticated data, so a sealed seed copied onto another account's row
// does not open.
type Key struct {
	aead cipher.AEAD
	prk  []byte // HKDF pseudorandom key for Derive
}

// Load returns the server key. If fromEnv is non-empty it is the key as 64
// hex digits (typically os.Getenv of a documented variable); otherwise the
// key is read from path, which is created with mode 0600 holding a fresh
// random key if it does not exist yet.
func Load(path, fromEnv string) (*Key, error) {
	if fromEnv != "" {
		raw, err := hex.DecodeString(strings.TrimSpace(fromEnv))
		if err != nil || len(raw) != Size {
			return nil, fmt.Errorf("serverkey: key from environment must be %d hex digits", 2*Size)
		}
		return FromBytes(raw)
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("serverkey: read %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != Size {
		return nil, fmt.Errorf("serverkey: %s must hold %d hex digits", path, 2*Size)
	}
	return FromBytes(key)
}

// create writes a new random key to path. O_EXCL makes two processes racing
// on first start agree: the loser reads the winner's key.
func create(path string) (*Key, error) {
	raw := make([]byte, Size)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("serverkey: random key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("serverkey: create directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return Load(path, "")
	}
	if err != nil {
		return nil, fmt.Errorf("serverkey: create %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(raw) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("serverkey: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("serverkey: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("serverkey: close %s: %w", path, err)
	}
	return FromBytes(raw)
}

// FromBytes makes a Key from Size raw bytes (tests use it).
func FromBytes(raw []byte) (*Key, error) {
	if len(raw) != Size {
		return nil, fmt.Errorf("serverkey: want %d bytes, got %d", Size, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("serverkey: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("serverkey: %w", err)
	}
	prk, err := hkdf.Extract(sha256.New, raw, []byte("iotahome serverkey derive"))
	if err != nil {
		return nil, fmt.Errorf("serverkey: %w", err)
	}
	return &Key{aead: aead, prk: prk}, nil
}

// Derive returns n bytes for one purpose (HKDF-SHA256 of the server key
// with purpose as info): other secrets a site needs, such as a provider's
// request-signing key, come from the one key it already keeps safe, and a
// new server key gives new ones. Different purposes give independent
// values; none reveals the key.
func (k *Key) Derive(purpose string, n int) ([]byte, error) {
	out, err := hkdf.Expand(sha256.New, k.prk, purpose, n)
	if err != nil {
		return nil, fmt.Errorf("serverkey: derive %s: %w", purpose, err)
	}
	return out, nil
}

// Seal encrypts plaintext for accountID with AES-256-GCM under a random
// nonce; the result is nonce || ciphertext || tag.
func (k *Key) Seal(plaintext []byte, accountID string) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("serverkey: random nonce: %w", err)
	}
	return k.aead.Seal(nonce, nonce, plaintext, []byte(accountID)), nil
}

// ErrOpen means a sealed value did not decrypt: wrong key, wrong account or
// tampered data. It carries no detail on purpose.
var ErrOpen = errors.New("serverkey: cannot decrypt (wrong server key or account, or data tampered with)")

// Open decrypts what Seal produced for the same accountID.
func (k *Key) Open(sealed []byte, accountID string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(accountID))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
