package providermeta

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"

	"iotahome/internal/displaytext"
	"iotahome/protocol"
	"iotahome/tangle/ntru"
)

// RequestType is the JWS "typ" of a consent request (explicit typing, RFC
// 8725 §3.11): a provider's key signs nothing else that My Home would take
// for a request.
const RequestType = "iotahome-consent+jwt"

// Request lifetime: My Home accepts a request from IssuedAt-ClockSkew to
// IssuedAt+MaxLifetime (or its own exp, if earlier).
const (
	MaxLifetime = 10 * time.Minute
	ClockSkew   = time.Minute
)

// Bounds on what a request may ask for.
const (
	MinDuration  = time.Hour
	MaxDuration  = 366 * 24 * time.Hour
	MaxGoalRunes = 300
	// maxRequestBytes bounds the compact JWS (the NTRU key alone is about
	// 1.6 KB of trytes).
	maxRequestBytes = 16 << 10
)

// Request is a consent request: the payload of the signed JWS. Every field
// a consent page shows or a grant carries is in it, so none can be changed
// without breaking the signature.
type Request struct {
	Address    string              `json:"address"`            // provider's IOTA address (81 trytes) for MAM_DATA
	PublicKey  string              `json:"publicKey"`          // provider's NTRU public key, trytes
	Goal       string              `json:"goal"`               // why, in the provider's words (≤ 300 characters)
	URL        string              `json:"url"`                // return URL; its origin is the provider's
	State      string              `json:"state"`              // provider's nonce, 8–128 of [A-Za-z0-9_.~-]
	Scope      []string            `json:"scope"`              // kinds of data (protocol.Kinds), at least one
	Resolution protocol.Resolution `json:"resolution"`         // protocol.Resolutions
	Duration   string              `json:"duration,omitempty"` // "30d", "12h" or a Go duration; absent: one year
	IssuedAt   int64               `json:"iat"`                // Unix seconds
	Expires    int64               `json:"exp,omitempty"`      // Unix seconds, optional, earlier than iat+MaxLifetime
}

// Checked is a request whose parameters passed Check, normalised.
type Checked struct {
	Request
	ReturnURL string        // URL with the host in ASCII, no fragment
	Origin    string        // the provider's origin (ASCII)
	Duration  time.Duration // 0: not given
	IssuedAt  time.Time
}

var statePattern = regexp.MustCompile(`^[A-Za-z0-9_.~-]{8,128}$`)

// Check validates every parameter (not the signature or the time). Its
// error says which parameter is wrong, in words for the owner.
func (r Request) Check() (Checked, error) {
	c := Checked{Request: r, IssuedAt: time.Unix(r.IssuedAt, 0).UTC()}
	if !guards.IsTrytesOfExactLength(r.Address, consts.HashTrytesSize) {
		return c, invalid("The provider's address is not 81 trytes (A–Z and 9).")
	}
	if _, err := ntru.ParsePublicKey(r.PublicKey); err != nil {
		return c, invalid("The provider's public key is not a valid NTRU key.")
	}
	if err := displaytext.Check(r.Goal, MaxGoalRunes); err != nil {
		return c, invalid("The goal must be plain, visible text of at most %d characters; it %v.", MaxGoalRunes, err)
	}
	var err error
	if c.ReturnURL, c.Origin, err = ParseURL(r.URL); err != nil {
		return c, invalid("The return address %v.", err)
	}
	if !statePattern.MatchString(r.State) {
		return c, invalid("The request's state must be 8–128 letters, digits or -_.~ characters.")
	}
	if len(r.Scope) == 0 {
		return c, invalid("The request names no kind of data.")
	}
	seen := map[string]bool{}
	for _, k := range r.Scope {
		if !protocol.IsKind(k) || seen[k] {
			return c, invalid("The request names an unknown or repeated kind of data %q.", k)
		}
		seen[k] = true
	}
	if !r.Resolution.Valid() {
		return c, invalid("The request names an unknown resolution %q.", r.Resolution)
	}
	if r.Duration != "" {
		if c.Duration, err = ParseDuration(r.Duration); err != nil {
			return c, err
		}
	}
	if r.IssuedAt <= 0 {
		return c, invalid("The request has no issue time (iat).")
	}
	return c, nil
}

// ParseDuration reads "30d", "12h", "90m" or a Go duration between
// MinDuration and MaxDuration. The number of days is bounded before it is
// multiplied, so no input overflows into a short duration (issue 13:
// 213505d used to become 24h25m).
func ParseDuration(s string) (time.Duration, error) {
	bad := invalid("The requested duration must be between 1 hour and 366 days, like 30d or 12h.")
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > int(MaxDuration/(24*time.Hour)) {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, boundsErr(time.Duration(n)*24*time.Hour, bad)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, bad
	}
	return d, boundsErr(d, bad)
}

func boundsErr(d time.Duration, bad error) error {
	if d < MinDuration || d > MaxDuration {
		return bad
	}
	return nil
}

// Sign returns the request as a compact JWS signed with key, with the key
// id of key's public half.
func Sign(r Request, key ed25519.PrivateKey) (string, error) {
	payload, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("providermeta: encode request: %w", err)
	}
	kid := NewKey(key.Public().(ed25519.PublicKey)).ID
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(RequestType))
	if err != nil {
		return "", fmt.Errorf("providermeta: signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("providermeta: sign request: %w", err)
	}
	return jws.CompactSerialize()
}

// Verify checks a signed request against a document the caller already
// has (a provider testing its own requests, or a pinned document): its
// structure and age at now, the signature with one of doc's keys, every
// parameter, and that its return URL is on doc's origin. My Home uses
// Fetcher.Verify, which fetches the document first.
func Verify(token string, doc Document, now time.Time) (Checked, error) {
	s, err := parseSigned(token)
	if err != nil {
		return Checked{}, err
	}
	if err := s.checkTime(now); err != nil {
		return Checked{}, err
	}
	c, err := s.verify(doc)
	if err != nil {
		return Checked{}, err
	}
	if c.Origin != doc.Origin {
		return Checked{}, otherOrigin()
	}
	return c, nil
}

func otherOrigin() error {
	return &Error{Reason: ErrOrigin, Msg: "The request's return address is not on the site that signed it."}
}

// signed is a parsed, not yet verified request.
type signed struct {
	jws   *jose.JSONWebSignature
	kid   string
	claim Request
}

// parseSigned reads a compact JWS with alg EdDSA, typ RequestType and a
// key id, and decodes its (unverified) payload, so that the origin to fetch
// keys from is known.
func parseSigned(token string) (signed, error) {
	if token == "" {
		return signed{}, &Error{Reason: ErrUnsigned, Msg: "The request is not signed by the app that sent you here."}
	}
	if len(token) > maxRequestBytes {
		return signed{}, invalid("The signed request is longer than %d bytes.", maxRequestBytes)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return signed{}, invalid("The request is not a valid signed request (an EdDSA JWS).")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != RequestType {
		return signed{}, invalid("The signed request has type %q, not %s.", typ, RequestType)
	}
	if h.KeyID == "" {
		return signed{}, invalid("The signed request names no key (kid).")
	}
	s := signed{jws: jws, kid: h.KeyID}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &s.claim); err != nil {
		return signed{}, invalid("The signed request's content is not a valid request.")
	}
	return s, nil
}

// checkTime refuses a request outside its lifetime at now.
func (s signed) checkTime(now time.Time) error {
	iat := time.Unix(s.claim.IssuedAt, 0)
	end := iat.Add(MaxLifetime)
	if s.claim.Expires != 0 && time.Unix(s.claim.Expires, 0).Before(end) {
		end = time.Unix(s.claim.Expires, 0)
	}
	switch {
	case s.claim.IssuedAt <= 0:
		return invalid("The request has no issue time (iat).")
	case iat.After(now.Add(ClockSkew)):
		return &Error{Reason: ErrExpired, Msg: "The request is dated in the future; the app's clock is wrong."}
	case !now.Before(end):
		return &Error{Reason: ErrExpired, Msg: fmt.Sprintf(
			"The request expired: it was made %s ago, and requests are valid for %s. Go back to the app and start again.",
			now.Sub(iat).Round(time.Second), MaxLifetime)}
	}
	return nil
}

// verify checks the signature with doc's key and the parameters.
func (s signed) verify(doc Document) (Checked, error) {
	pub, ok := doc.Key(s.kid)
	if !ok {
		return Checked{}, &Error{Reason: ErrSignature, Msg: fmt.Sprintf(
			"The request is signed with a key that %s does not publish.", doc.Origin)}
	}
	payload, err := s.jws.Verify(pub)
	if err != nil {
		return Checked{}, &Error{Reason: ErrSignature, Msg: fmt.Sprintf(
			"The request's signature does not match the key %s publishes: it was changed or forged.", doc.Origin)}
	}
	var r Request
	if err := json.Unmarshal(payload, &r); err != nil {
		return Checked{}, invalid("The signed request's content is not a valid request.")
	}
	return r.Check()
}

// Error is a refused request: Reason is one of the Err values (for
// errors.Is), Msg says what happened in words for the owner.
type Error struct {
	Reason error
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrExpired) and the like work.
func (e *Error) Unwrap() error { return e.Reason }

// Reasons a request is refused.
var (
	ErrUnsigned  = errors.New("providermeta: request not signed")
	ErrInvalid   = errors.New("providermeta: request malformed")
	ErrExpired   = errors.New("providermeta: request expired")
	ErrSignature = errors.New("providermeta: signature does not verify")
	ErrOrigin    = errors.New("providermeta: provider origin refused")
	ErrDocument  = errors.New("providermeta: metadata document unavailable or invalid")
)

func invalid(format string, args ...any) error {
	return &Error{Reason: ErrInvalid, Msg: fmt.Sprintf(format, args...)}
}
