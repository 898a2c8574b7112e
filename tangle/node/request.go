package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Request is a decoded IRI API request: the command and every parameter any
// command takes. Unknown fields are ignored (clients send extras such as
// getBalances' threshold), as IRI does.
//
// A list parameter that is absent (or null) decodes to a nil slice, one
// sent as [] to an empty non-nil slice: IRI refuses the first ("Invalid
// parameters") and accepts the second. Scalars are pointers for the same
// reason.
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

	TrunkTransaction   *string `json:"trunkTransaction"`
	BranchTransaction  *string `json:"branchTransaction"`
	Reference          *string `json:"reference"`
	MinWeightMagnitude *int64  `json:"minWeightMagnitude"`
	Depth              *int64  `json:"depth"`
}

// DecodeRequest parses a request body into a JSON object with a command.
// Each command checks the parameters it uses (presence, list length,
// element format), as IRI does, so parameters a command does not use are
// never looked at.
func DecodeRequest(body []byte) (*Request, error) {
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, typeProblem(typeErr.Field)
		}
		return nil, fmt.Errorf("Invalid JSON syntax: %v", err)
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return nil, errors.New("Invalid request payload: 'null'")
	}
	if r.Command == "" {
		return nil, errors.New("COMMAND parameter has not been specified in the request.")
	}
	return &r, nil
}

// typeProblem explains a JSON type mismatch in a parameter. (IRI answers
// these with a Java ClassCastException; the wording here says what to
// send instead.)
func typeProblem(field string) error {
	switch field {
	case "":
		return errors.New("Invalid request payload: the body must be a JSON object")
	case "hashes", "addresses", "bundles", "tags", "approvees", "trytes", "transactions", "tails", "tips":
		return fmt.Errorf("Invalid %s input: must be a list of strings", field)
	case "minWeightMagnitude", "depth":
		return fmt.Errorf("Invalid %s input: must be an integer", field)
	default:
		return fmt.Errorf("Invalid %s input: must be a string", field)
	}
}
