package wattt

import (
	"crypto/ed25519"
	"fmt"
	"strings"

	"iotahome/protocol"
	"iotahome/protocol/providermeta"
)

// Plan is what Wattt asks a household for: the kinds of data and how
// finely. The consent request names both, and My Home shows them.
type Plan struct {
	ID         string
	Name       string
	Summary    string
	Resolution protocol.Resolution
	Scope      []string
}

// Plans are the two ways to use Wattt.
func Plans() []Plan {
	return []Plan{
		{ID: "live", Name: "Live", Summary: "Power right now and every reading as your meter sends it: electricity, phases, gas, water and heat.",
			Resolution: protocol.ResolutionRaw, Scope: append([]string(nil), protocol.Kinds...)},
		{ID: "monthly", Name: "Monthly insight", Summary: "Electricity and gas in 15-minute steps: enough for daily and monthly totals and costs, nothing finer.",
			Resolution: protocol.Resolution15m, Scope: []string{protocol.KindElectricity, protocol.KindGas}},
	}
}

// DefaultPlan is preselected on the start page.
const DefaultPlan = "live"

// PlanByID returns the plan with the id.
func PlanByID(id string) (Plan, bool) {
	for _, p := range Plans() {
		if p.ID == id {
			return p, true
		}
	}
	return Plan{}, false
}

// signingPurpose names the request-signing key among the secrets derived
// from Wattt's server key (serverkey.Derive). A new server key gives a new
// signing key; the document always lists the current one.
const signingPurpose = "wattt consent-request signing key v1"

// signingKey is Wattt's Ed25519 key for consent requests.
func (s *Service) signingKey() (ed25519.PrivateKey, error) {
	sd, err := s.key.Derive(signingPurpose, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("wattt: signing key: %w", err)
	}
	return ed25519.NewKeyFromSeed(sd), nil
}

// ProviderDocument is Wattt's metadata document, served at
// providermeta.WellKnownPath: who Wattt is and the key its consent
// requests are signed with.
func (s *Service) ProviderDocument() (providermeta.Document, error) {
	key, err := s.signingKey()
	if err != nil {
		return providermeta.Document{}, err
	}
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	_, origin, err := providermeta.ParseURL(base)
	if err != nil {
		return providermeta.Document{}, fmt.Errorf("wattt: public URL %q %w", base, err)
	}
	return providermeta.Document{
		Version: providermeta.DocumentVersion, Origin: origin, Name: "Wattt Insights",
		Description:   "Graphs your electricity and gas use, solar return and estimated costs from your smart meter.",
		PrivacyPolicy: base + PrivacyPath,
		Keys:          []providermeta.Key{providermeta.NewKey(key.Public().(ed25519.PublicKey))},
	}, nil
}

// PrivacyPath is Wattt's privacy policy page, under PublicURL.
const PrivacyPath = "/privacy"
