package node

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Request is a decoded IRI API request: the command and every parameter any
// command takes. Unknown fields are ignored (clients send extras such as
// getBalances' threshold), as IRI does.
type Request struct {
	Command string `json:"command"`

	Hashes       []string `json:"hashes"`
	Addresses    []string `json:"addresses"`
	Bundles      []string `json:"bundles"`
	Tags         []string `json:"tags"`
	Approvees    []string `json:"approvees"`
	Trytes       []string `json:"trytes"`
	Transactions []string `json:"transactions"`
	Tails        []string `json:"tails"`
	Tips         []string `json:"tips"`

	TrunkTransaction   string `json:"trunkTransaction"`
	BranchTransaction  string `json:"branchTransaction"`
	Reference          string `json:"reference"`
	MinWeightMagnitude *int64 `json:"minWeightMagnitude"`
	Depth              *int64 `json:"depth"`
}

// DecodeRequest parses a request body. It checks the shape (a JSON object
// with a command, list parameters within MaxListItems); each command checks
// the values it uses.
func DecodeRequest(body []byte) (*Request, error) {
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("invalid request: %s", typeProblem(typeErr.Field))
		}
		return nil, fmt.Errorf("invalid request: %v", err)
	}
	if r.Command == "" {
		return nil, errors.New(`invalid request: "command" parameter has not been specified`)
	}
	for _, l := range []struct {
		name  string
		items []string
	}{
		{"hashes", r.Hashes}, {"addresses", r.Addresses}, {"bundles", r.Bundles}, {"tags", r.Tags},
		{"approvees", r.Approvees}, {"trytes", r.Trytes}, {"transactions", r.Transactions},
		{"tails", r.Tails}, {"tips", r.Tips},
	} {
		if len(l.items) > MaxListItems {
			return nil, fmt.Errorf("invalid request: %q has %d items, at most %d allowed", l.name, len(l.items), MaxListItems)
		}
	}
	return &r, nil
}

// typeProblem explains a JSON type mismatch in a parameter.
func typeProblem(field string) string {
	switch field {
	case "":
		return "the body must be a JSON object"
	case "hashes", "addresses", "bundles", "tags", "approvees", "trytes", "transactions", "tails", "tips":
		return fmt.Sprintf("%q must be a list of strings", field)
	case "minWeightMagnitude", "depth":
		return fmt.Sprintf("%q must be an integer", field)
	default:
		return fmt.Sprintf("%q must be a string", field)
	}
}
