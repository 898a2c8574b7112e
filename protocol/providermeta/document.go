package providermeta

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/go-jose/go-jose/v4"

	"iotahome/internal/displaytext"
)

// WellKnownPath is where a provider serves its Document, under its origin.
const WellKnownPath = "/.well-known/iotahome-provider.json"

// DocumentVersion is the "v" of the document format described here.
const DocumentVersion = 1

// Limits on a document; My Home refuses anything larger.
const (
	MaxDocumentBytes  = 64 << 10
	MaxNameRunes      = 60
	MaxDescRunes      = 300
	MaxKeys           = 8
	maxKeyIDLength    = 64
	keyTypeOKP        = "OKP"
	curveEd25519      = "Ed25519"
	signatureAlgEdDSA = "EdDSA"
)

// Document is a provider's metadata, served as JSON at WellKnownPath of
// its origin:
//
//	{"v":1, "origin":"https://wattt.example", "name":"Wattt Insights",
//	 "description":"…", "privacyPolicy":"https://wattt.example/privacy",
//	 "logo":"https://wattt.example/assets/logo.svg",
//	 "keys":[{"kty":"OKP","crv":"Ed25519","x":"<base64url>","kid":"<id>","alg":"EdDSA","use":"sig"}]}
//
// Origin must equal the origin the document was fetched from. Keys are
// public Ed25519 JWKs (RFC 8037); more than one lets a provider roll its
// key over without refusing requests in flight. The logo is optional and
// recorded, not shown (loading it would tell the provider when the owner
// looks).
type Document struct {
	Version       int    `json:"v"`
	Origin        string `json:"origin"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	PrivacyPolicy string `json:"privacyPolicy"`
	Logo          string `json:"logo,omitempty"`
	Keys          []Key  `json:"keys"`
}

// Key is one public signing key of a document, as a JWK.
type Key struct {
	ID  string
	Pub ed25519.PublicKey
}

// NewKey makes the document key for pub; its id is the JWK thumbprint
// (RFC 7638, SHA-256, base64url), so it changes whenever the key does.
func NewKey(pub ed25519.PublicKey) Key {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		panic(fmt.Sprintf("providermeta: thumbprint of an Ed25519 key: %v", err)) // cannot fail for a 32-byte key
	}
	return Key{ID: base64.RawURLEncoding.EncodeToString(tp), Pub: pub}
}

// rawKey is a JWK as JSON. Keys are decoded by hand rather than with
// go-jose's JSONWebKey, which also accepts private keys and certificate
// chains: a document holds exactly one kind of key.
type rawKey struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	D   string `json:"d,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// MarshalJSON writes the key as a public Ed25519 JWK.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(rawKey{Kty: keyTypeOKP, Crv: curveEd25519, X: base64.RawURLEncoding.EncodeToString(k.Pub),
		Kid: k.ID, Alg: signatureAlgEdDSA, Use: "sig"})
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// UnmarshalJSON reads a public Ed25519 JWK with a key id.
func (k *Key) UnmarshalJSON(b []byte) error {
	var r rawKey
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	switch {
	case r.D != "":
		return errors.New("a key holds private key material (never publish it)")
	case r.Kty != keyTypeOKP || r.Crv != curveEd25519:
		return fmt.Errorf("key type %q/%q: only OKP/Ed25519 is supported", r.Kty, r.Crv)
	case r.Alg != "" && r.Alg != signatureAlgEdDSA:
		return fmt.Errorf("key algorithm %q: only EdDSA is supported", r.Alg)
	case r.Use != "" && r.Use != "sig":
		return fmt.Errorf("key use %q: must be sig", r.Use)
	case !keyIDPattern.MatchString(r.Kid):
		return fmt.Errorf("key id %q: 1–%d characters of A–Z a–z 0–9 _ . -", r.Kid, maxKeyIDLength)
	}
	x, err := base64.RawURLEncoding.DecodeString(r.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return errors.New("key x is not a base64url Ed25519 public key")
	}
	*k = Key{ID: r.Kid, Pub: ed25519.PublicKey(x)}
	return nil
}

// Key returns the document's key with the id.
func (d Document) Key(id string) (ed25519.PublicKey, bool) {
	for _, k := range d.Keys {
		if k.ID == id {
			return k.Pub, true
		}
	}
	return nil, false
}

// ParseDocument decodes and checks a document fetched from origin (as
// ParseURL returns origins). Unknown fields are ignored, so the format can
// grow.
func ParseDocument(raw []byte, origin string) (Document, error) {
	var d Document
	if len(raw) > MaxDocumentBytes {
		return d, fmt.Errorf("is larger than %d bytes", MaxDocumentBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("is not valid JSON: %w", err)
	}
	if dec.More() {
		return Document{}, errors.New("has data after the JSON object")
	}
	if err := d.Check(origin); err != nil {
		return Document{}, err
	}
	// Shown as checked: hosts in ASCII.
	d.PrivacyPolicy, _, _ = ParseURL(d.PrivacyPolicy)
	if d.Logo != "" {
		d.Logo, _, _ = ParseURL(d.Logo)
	}
	return d, nil
}

// Check reports the first problem of a document served at origin.
func (d Document) Check(origin string) error {
	if d.Version != DocumentVersion {
		return fmt.Errorf("has version %d, not %d", d.Version, DocumentVersion)
	}
	if _, o, err := ParseURL(d.Origin); err != nil || o != origin || d.Origin != origin {
		return fmt.Errorf("names origin %q but was served by %s", d.Origin, origin)
	}
	if err := displaytext.Check(d.Name, MaxNameRunes); err != nil {
		return fmt.Errorf("its name %w", err)
	}
	if err := displaytext.Check(d.Description, MaxDescRunes); err != nil {
		return fmt.Errorf("its description %w", err)
	}
	if _, _, err := ParseURL(d.PrivacyPolicy); err != nil {
		return fmt.Errorf("its privacyPolicy address %w", err)
	}
	if d.Logo != "" {
		if _, _, err := ParseURL(d.Logo); err != nil {
			return fmt.Errorf("its logo address %w", err)
		}
	}
	if len(d.Keys) == 0 || len(d.Keys) > MaxKeys {
		return fmt.Errorf("lists %d keys; it needs 1 to %d", len(d.Keys), MaxKeys)
	}
	seen := map[string]bool{}
	for _, k := range d.Keys {
		if seen[k.ID] {
			return fmt.Errorf("lists key id %q twice", k.ID)
		}
		seen[k.ID] = true
	}
	return nil
}
