package myhome

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/store/myhomestore"
)

// ConsentRequest is a provider's verified request for consent.
type ConsentRequest = myhomestore.ConsentRequest

// Policy is a granted consent.
type Policy = myhomestore.Policy

// ReasonUnpaired is the revoke reason of the policies an unpairing ended.
const ReasonUnpaired = myhomestore.ReasonUnpaired

// ConsentEnd is when a consent granted at now ends: after the duration the
// provider asked for, and never later than one year (the default when it
// asked for none).
func ConsentEnd(now time.Time, asked time.Duration) time.Time {
	end := now.AddDate(1, 0, 0)
	if asked > 0 && now.Add(asked).Before(end) {
		end = now.Add(asked)
	}
	return end.UTC().Truncate(time.Second)
}

// NewConsentRequest verifies a provider's signed request (the request
// query parameter; protocol/providermeta) and stores it; the consent page
// is then shown from the stored copy only. A request that is unsigned,
// expired, not signed by a key its return URL's origin publishes, or
// malformed is a UserError and stores nothing. Opening the same request
// again (same origin and state) returns the stored one.
func (s *Service) NewConsentRequest(ctx context.Context, q url.Values) (string, error) {
	c, doc, err := s.providers.Verify(ctx, q.Get("request"))
	var pe *providermeta.Error
	if errors.As(err, &pe) {
		return "", &UserError{Msg: pe.Msg}
	}
	if err != nil {
		return "", fmt.Errorf("verify consent request: %w", err)
	}
	if prev, err := s.st.ConsentRequestByState(ctx, c.Origin, c.State); err == nil {
		if prev.ProviderAddress != c.Address || prev.ProviderPublicKey != c.PublicKey {
			return "", userErr("This request reuses the state of an earlier request from %s for another account.", c.Origin)
		}
		return prev.ID, nil
	} else if !errors.Is(err, myhomestore.ErrNotFound) {
		return "", err
	}
	r := ConsentRequest{
		ID: randomID(), ProviderAddress: c.Address, ProviderPublicKey: c.PublicKey, Goal: strings.TrimSpace(c.Goal),
		ReturnURL: c.ReturnURL, Origin: c.Origin, State: c.State, Scope: c.Scope, Resolution: c.Resolution,
		Duration: c.Duration, ProviderName: strings.TrimSpace(doc.Name), ProviderDescription: strings.TrimSpace(doc.Description),
		ProviderPrivacyPolicy: doc.PrivacyPolicy, IssuedAt: c.IssuedAt, CreatedAt: s.now(),
	}
	if err := s.st.CreateConsentRequest(ctx, r); err != nil {
		return "", err
	}
	s.log.Info("consent request verified", "origin", r.Origin, "provider", r.ProviderName, "request", r.ID)
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
// URL to send the browser back to. If the same provider account already
// has an active policy on the device, the new one replaces it (a renewal,
// or a repeated request): one event ends the old and starts the new, so
// there is neither a gap nor a second active policy. Granting an already
// granted request returns the same URL again (a double click is harmless).
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
	unlock := s.lock("consent:" + requestID)
	defer unlock()
	if again, err := s.st.ConsentRequest(ctx, requestID); err == nil && again.DecidedAt != nil {
		return s.decided(again, accountID)
	}
	// One grant at a time per home: two grants for the same provider must
	// not both miss each other's policy.
	unlockHome := s.lock("grant:" + accountID)
	defer unlockHome()
	prev, err := s.replaceable(ctx, accountID, device, r)
	if err != nil {
		return "", err
	}
	decided := s.now()
	exp := ConsentEnd(decided, r.Duration)
	body := &protocol.AuthorizedBody{
		PolicyID: randomID(),
		Provider: protocol.Provider{Address: r.ProviderAddress, PublicKey: r.ProviderPublicKey, Origin: r.Origin,
			Name: r.ProviderName, PrivacyPolicy: r.ProviderPrivacyPolicy},
		Goal: r.Goal, State: r.State, Scope: r.Scope, Resolution: r.Resolution, ExpiresAt: &exp, Replaces: prev.ID,
	}
	if err := s.publish(ctx, accountID, protocol.Event{Type: protocol.Authorized, Device: device, Authorized: body}); err != nil {
		return "", err
	}
	if err := s.st.DecideConsentRequest(ctx, requestID, accountID, "granted", body.PolicyID, decided); err != nil {
		return "", fmt.Errorf("record grant: %w", err)
	}
	r.Result, r.PolicyID, r.DecidedAt = "granted", body.PolicyID, &decided
	return ReturnURL(r), nil
}

// replaceable returns the active policy of the request's provider account
// on device, which a grant replaces (zero Policy if none). The same
// account (address) with another key or from another origin is refused:
// one address belongs to one provider identity, and replacing its policy
// without a key rotation would hand the key to someone else.
func (s *Service) replaceable(ctx context.Context, accountID, device string, r ConsentRequest) (Policy, error) {
	ps, err := s.st.Policies(ctx, accountID)
	if err != nil {
		return Policy{}, err
	}
	p, ok := ActivePolicyOf(ps, device, r.ProviderAddress, s.now())
	if !ok {
		return Policy{}, nil
	}
	if p.ProviderPublicKey != r.ProviderPublicKey || p.ProviderOrigin != r.Origin {
		return Policy{}, userErr("This provider account already has your consent for this device with another key or from another site (%s). Revoke that consent first if you want to replace it.", p.ProviderOrigin)
	}
	return p, nil
}

// Renewals maps each device of the account on which the request's provider
// account has an active policy to that policy: granting the request for
// that device replaces it.
func (s *Service) Renewals(ctx context.Context, accountID string, r ConsentRequest) (map[string]Policy, error) {
	ps, err := s.Policies(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := map[string]Policy{}
	for _, p := range ps {
		if p.ProviderAddress == r.ProviderAddress && p.Status(s.now()) == "active" {
			out[p.Device] = p
		}
	}
	return out, nil
}

// ActivePolicyOf finds the active policy of a provider account (address)
// on a device among ps.
func ActivePolicyOf(ps []Policy, device, providerAddress string, now time.Time) (Policy, bool) {
	for _, p := range ps {
		if p.Device == device && p.ProviderAddress == providerAddress && p.Status(now) == "active" {
			return p, true
		}
	}
	return Policy{}, false
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
	q.Del("expires")
	if r.Result == "granted" && r.DecidedAt != nil {
		q.Set("expires", ConsentEnd(*r.DecidedAt, r.Duration).Format(time.RFC3339))
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
