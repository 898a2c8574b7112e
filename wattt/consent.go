package wattt

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"iotahome/protocol/providermeta"
)

// UserError is a problem the visitor can fix; its text is shown to them.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// ErrUnknownRequest means a consent answer came back with a state that is
// not a request of this visitor (missing, forged, or another visitor's).
var ErrUnknownRequest = errors.New("wattt: unknown consent request")

// ReturnPath is where My Home sends the owner back to, under PublicURL.
const ReturnPath = "/connect/return"

// CheckMyHomeURL validates and normalises the My Home base URL a visitor
// typed: http or https, a host, nothing after the path.
func CheckMyHomeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", &UserError{Msg: "Enter the address of your My Home, starting with http:// or https://, for example https://myhome.example.nl."}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u.String(), nil
}

// StartConsent records a new pending consent request of the account for
// a plan and returns the My Home URL to send the browser to:
// <myHome>/new-policy?request=<JWS>, the request signed with Wattt's key
// (protocol/providermeta). Its state is a fresh 256-bit random nonce that
// must come back sealed in MAM_DATA. Asking again while a consent is
// active is a renewal: My Home replaces the old consent.
func (s *Service) StartConsent(ctx context.Context, accountID int64, myHome, planID string) (string, error) {
	base, err := CheckMyHomeURL(myHome)
	if err != nil {
		return "", err
	}
	plan, ok := PlanByID(planID)
	if !ok {
		return "", &UserError{Msg: "Choose one of the plans."}
	}
	key, err := s.signingKey()
	if err != nil {
		return "", err
	}
	a, err := s.st.Account(ctx, accountID)
	if err != nil {
		return "", fmt.Errorf("wattt: start consent: %w", err)
	}
	state, err := randomState()
	if err != nil {
		return "", err
	}
	now := time.Now()
	tok, err := providermeta.Sign(providermeta.Request{
		Address: a.Address, PublicKey: a.PublicKey, Goal: s.cfg.Goal, URL: strings.TrimRight(s.cfg.PublicURL, "/") + ReturnPath,
		State: state, Scope: plan.Scope, Resolution: plan.Resolution, IssuedAt: now.Unix(),
	}, key)
	if err != nil {
		return "", err
	}
	if err := s.st.CreateConsentRequest(ctx, ConsentRequest{
		State: state, AccountID: accountID, MyHomeURL: base, Goal: s.cfg.Goal, Plan: plan.ID, CreatedAt: now,
	}); err != nil {
		return "", err
	}
	return base + "/new-policy?" + url.Values{"request": {tok}}.Encode(), nil
}

func randomState() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("wattt: random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// FinishConsent records the owner's answer as it came back from My Home,
// with the end of a granted consent (My Home's expires, RFC 3339; ignored if
// absent or malformed). The state must be one of this account's own
// requests; anything else is ErrUnknownRequest and changes nothing.
func (s *Service) FinishConsent(ctx context.Context, accountID int64, state string, granted bool, expires string) (ConsentRequest, error) {
	if state == "" || len(state) > 128 {
		return ConsentRequest{}, ErrUnknownRequest
	}
	var ends *time.Time
	if t, err := time.Parse(time.RFC3339, expires); err == nil && granted {
		ends = &t
	}
	r, err := s.st.ReturnConsentRequest(ctx, accountID, state, granted, ends, time.Now())
	if errors.Is(err, ErrNotFound) {
		return ConsentRequest{}, ErrUnknownRequest
	}
	return r, err
}

// ConsentRequest returns one of the account's requests by state.
func (s *Service) ConsentRequest(ctx context.Context, accountID int64, state string) (ConsentRequest, error) {
	r, err := s.st.ConsentRequest(ctx, accountID, state)
	if errors.Is(err, ErrNotFound) {
		return ConsentRequest{}, ErrUnknownRequest
	}
	return r, err
}
