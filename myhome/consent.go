package myhome

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"iotahome/protocol"
	"iotahome/store/myhomestore"
	"iotahome/tangle/ntru"
)

// ConsentRequest is a provider's request for consent.
type ConsentRequest = myhomestore.ConsentRequest

// Policy is a granted consent.
type Policy = myhomestore.Policy

// Scopes a provider may name, with what the owner is told they mean.
var Scopes = map[string]string{
	"electricity": "electricity use and return (kWh per tariff, power now)",
	"phases":      "voltage, current and power per phase",
	"gas":         "gas use (m³)",
	"water":       "water use (m³)",
	"heat":        "heat use (GJ)",
}

// MaxConsentDuration is the longest consent a request may ask for.
const MaxConsentDuration = 366 * 24 * time.Hour

var statePattern = regexp.MustCompile(`^[A-Za-z0-9_.~-]{8,128}$`)

// ParseConsentRequest validates the query of /new-policy. Every problem is
// a UserError that names the parameter, for the error page.
func ParseConsentRequest(q url.Values) (ConsentRequest, error) {
	var r ConsentRequest
	for _, k := range []string{"address", "publicKey", "goal", "url", "state"} {
		if strings.TrimSpace(q.Get(k)) == "" {
			return r, userErr("The request is missing its %q parameter.", k)
		}
	}
	addr, err := ParseAddress(q.Get("address"))
	if err != nil {
		return r, userErr("The provider's address is not valid: %s.", err.Error())
	}
	pub, err := ntru.ParsePublicKey(strings.TrimSpace(q.Get("publicKey")))
	if err != nil {
		return r, userErr("The provider's public key is not a valid NTRU key.")
	}
	goal := strings.TrimSpace(q.Get("goal"))
	if len([]rune(goal)) > 300 || strings.ContainsFunc(goal, isControl) {
		return r, userErr("The goal must be plain text of at most 300 characters.")
	}
	ret, origin, err := parseReturnURL(q.Get("url"))
	if err != nil {
		return r, err
	}
	state := q.Get("state")
	if !statePattern.MatchString(state) {
		return r, userErr("The request's state must be 8–128 letters, digits or -_.~ characters.")
	}
	var scope []string
	if s := strings.TrimSpace(q.Get("scope")); s != "" {
		seen := map[string]bool{}
		for _, item := range strings.Split(s, ",") {
			item = strings.ToLower(strings.TrimSpace(item))
			if _, ok := Scopes[item]; !ok {
				return r, userErr("The request asks for an unknown kind of data %q.", item)
			}
			if !seen[item] {
				seen[item] = true
				scope = append(scope, item)
			}
		}
	}
	var dur time.Duration
	if d := strings.TrimSpace(q.Get("duration")); d != "" {
		dur, err = parseDuration(d)
		if err != nil {
			return r, err
		}
	}
	return ConsentRequest{ProviderAddress: addr, ProviderPublicKey: string(pub.Trytes()), Goal: goal, ReturnURL: ret,
		Origin: origin, State: state, Scope: scope, Duration: dur}, nil
}

// parseReturnURL accepts only absolute http(s) URLs with a host and no
// user info, and returns the URL without fragment and its origin.
func parseReturnURL(raw string) (string, string, error) {
	raw = strings.TrimSpace(raw)
	bad := userErr("The return address must be a full http:// or https:// web address.")
	if len(raw) > 2000 || strings.ContainsFunc(raw, isControl) || strings.ContainsAny(raw, " \\") {
		return "", "", bad
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil {
		return "", "", bad
	}
	if u.Hostname() == "" || strings.HasPrefix(u.Host, ":") {
		return "", "", bad
	}
	u.Fragment, u.RawFragment = "", ""
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	return u.String(), origin, nil
}

// parseDuration accepts "30d", "12h", "90m" or a Go duration, 1 hour to
// MaxConsentDuration.
func parseDuration(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, perr := strconv.Atoi(days)
		if perr != nil {
			err = perr
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < time.Hour || d > MaxConsentDuration {
		return 0, userErr("The requested duration must be between 1 hour and 366 days, like 30d or 12h.")
	}
	return d, nil
}

// NewConsentRequest validates and stores a request; the consent page is
// then shown from the stored copy only.
func (s *Service) NewConsentRequest(ctx context.Context, q url.Values) (string, error) {
	r, err := ParseConsentRequest(q)
	if err != nil {
		return "", err
	}
	r.ID = randomID()
	r.CreatedAt = s.now()
	// Anyone can make a request with a GET and no session: cap what waits.
	n, err := s.st.CountOpenConsentRequests(ctx, r.CreatedAt.Add(-s.cfg.ConsentRequestTTL))
	if err != nil {
		return "", err
	}
	if n >= s.cfg.MaxOpenRequests {
		return "", userErr("My Home has too many consent requests waiting for an answer right now. Try again in a few minutes.")
	}
	if err := s.st.CreateConsentRequest(ctx, r); err != nil {
		return "", err
	}
	return r.ID, nil
}

// ConsentRequest returns a request the account may see: undecided ones,
// or ones it decided itself.
func (s *Service) ConsentRequest(ctx context.Context, accountID, id string) (ConsentRequest, error) {
	r, err := s.st.ConsentRequest(ctx, id)
	if err != nil {
		return r, notFound(err)
	}
	if r.AccountID != "" && r.AccountID != accountID {
		return ConsentRequest{}, ErrNotFound
	}
	return r, nil
}

// ConsentExpired reports whether the request is too old to answer.
func (s *Service) ConsentExpired(r ConsentRequest) bool {
	return r.DecidedAt == nil && s.now().Sub(r.CreatedAt) > s.cfg.ConsentRequestTTL
}

// Grant publishes AUTHORIZED for the request and device and returns the
// URL to send the browser back to. Granting an already granted request
// returns the same URL again (a double click is harmless).
func (s *Service) Grant(ctx context.Context, accountID, requestID, device string) (string, error) {
	r, err := s.decidable(ctx, accountID, requestID)
	if err != nil || r.DecidedAt != nil {
		return ReturnURL(r), err
	}
	if err := s.ensureWritable(ctx, accountID); err != nil {
		return "", err
	}
	d, err := s.st.Device(ctx, accountID, device)
	if errors.Is(err, myhomestore.ErrNotFound) || (err == nil && !d.Active()) {
		return "", userErr("Pick one of your paired devices.")
	}
	if err != nil {
		return "", err
	}
	body := &protocol.AuthorizedBody{
		PolicyID: randomID(),
		Provider: protocol.Provider{Address: r.ProviderAddress, PublicKey: r.ProviderPublicKey, Origin: r.Origin},
		Goal:     r.Goal, State: r.State, Scope: r.Scope,
	}
	if r.Duration > 0 {
		exp := s.now().Add(r.Duration).UTC().Truncate(time.Second)
		body.ExpiresAt = &exp
	}
	unlock := s.lock("consent:" + requestID)
	defer unlock()
	if again, err := s.st.ConsentRequest(ctx, requestID); err == nil && again.DecidedAt != nil {
		return s.decided(again, accountID)
	}
	if err := s.publish(ctx, accountID, protocol.Event{Type: protocol.Authorized, Device: device, Authorized: body}); err != nil {
		return "", err
	}
	if err := s.st.DecideConsentRequest(ctx, requestID, accountID, "granted", body.PolicyID, s.now()); err != nil {
		return "", fmt.Errorf("record grant: %w", err)
	}
	r.Result, r.PolicyID = "granted", body.PolicyID
	return ReturnURL(r), nil
}

// Deny records the refusal and returns the URL to send the browser back to.
func (s *Service) Deny(ctx context.Context, accountID, requestID string) (string, error) {
	r, err := s.decidable(ctx, accountID, requestID)
	if err != nil || r.DecidedAt != nil {
		return ReturnURL(r), err
	}
	if err := s.st.DecideConsentRequest(ctx, requestID, accountID, "denied", "", s.now()); err != nil {
		if errors.Is(err, myhomestore.ErrConflict) {
			again, _ := s.st.ConsentRequest(ctx, requestID)
			return s.decided(again, accountID)
		}
		return "", err
	}
	r.Result = "denied"
	return ReturnURL(r), nil
}

// decidable loads a request for a decision: it must exist, not belong to
// another account and not be too old. A request this account decided
// before comes back with DecidedAt set.
func (s *Service) decidable(ctx context.Context, accountID, id string) (ConsentRequest, error) {
	r, err := s.ConsentRequest(ctx, accountID, id)
	if err != nil {
		return ConsentRequest{}, err
	}
	if s.ConsentExpired(r) {
		return ConsentRequest{}, userErr("This consent request has expired. Go back to the provider and start again.")
	}
	return r, nil
}

func (s *Service) decided(r ConsentRequest, accountID string) (string, error) {
	if r.AccountID != accountID {
		return "", ErrNotFound
	}
	return ReturnURL(r), nil
}

// ReturnURL is the provider's return URL (as stored and shown to the owner)
// with the outcome added to its query; "" for an undecided request.
func ReturnURL(r ConsentRequest) string {
	if r.ReturnURL == "" || r.Result == "" {
		return ""
	}
	u, err := url.Parse(r.ReturnURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("state", r.State)
	q.Set("result", r.Result)
	if r.PolicyID != "" {
		q.Set("policy", r.PolicyID)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Policies returns the account's policies, newest first.
func (s *Service) Policies(ctx context.Context, accountID string) ([]Policy, error) {
	v, err := s.view(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return v.policies, nil
}

// Policy returns one of the account's policies.
func (s *Service) Policy(ctx context.Context, accountID, id string) (Policy, error) {
	p, err := s.st.Policy(ctx, accountID, id)
	return p, notFound(err)
}

// Revoke publishes AUTHORIZATION_REVOKED: the reader rotates its key so the
// provider cannot read new data.
func (s *Service) Revoke(ctx context.Context, accountID, policyID string) error {
	if err := s.ensureWritable(ctx, accountID); err != nil {
		return err
	}
	p, err := s.st.Policy(ctx, accountID, policyID)
	if err != nil {
		return notFound(err)
	}
	if p.RevokedAt != nil {
		return userErr("This consent was revoked already.")
	}
	return s.publish(ctx, accountID, protocol.Event{Type: protocol.AuthorizationRevoked, Device: p.Device,
		Revoked: &protocol.RevokedBody{PolicyID: p.ID, ProviderAddress: p.ProviderAddress}})
}

// Now is the service's clock (pages use it to tell expired policies).
func (s *Service) Now() time.Time { return s.now() }
