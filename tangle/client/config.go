package client

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
)

// PoW modes.
const (
	// PoWLocal does proof of work in this process with the fastest iota.go
	// implementation compiled in (AVX with -tags pow_avx on amd64).
	PoWLocal = "local"
	// PoWRemote asks the node to do it (attachToTangle).
	PoWRemote = "remote"
)

// MaxMWM is the largest minimum weight magnitude Config accepts. Mainnet
// used 14; anything above 27 would take hours per transaction.
const MaxMWM = 27

// Config says which node to talk to and how to do proof of work.
type Config struct {
	NodeURL string // IRI HTTP API endpoint
	MWM     uint64 // minimum weight magnitude the node demands
	PoW     string // PoWLocal or PoWRemote

	// badMWMEnv keeps an IOTA_MWM value that is not a number, so that
	// Validate can name it instead of complaining about MWM 0.
	badMWMEnv string
}

// DefaultConfig returns the configuration from the environment: IOTA_NODE
// (default http://127.0.0.1:14265), IOTA_MWM (default 9) and IOTA_POW
// (local or remote, default local). Errors surface in Validate / New.
func DefaultConfig() Config {
	c := Config{NodeURL: "http://127.0.0.1:14265", MWM: 9, PoW: PoWLocal}
	if v := os.Getenv("IOTA_NODE"); v != "" {
		c.NodeURL = v
	}
	if v := os.Getenv("IOTA_MWM"); v != "" {
		mwm, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			c.MWM, c.badMWMEnv = 0, v
		} else {
			c.MWM = mwm
		}
	}
	if v := os.Getenv("IOTA_POW"); v != "" {
		c.PoW = v
	}
	return c
}

// RegisterFlags adds --node, --mwm and --pow to fs with c's current values
// (normally DefaultConfig()) as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.NodeURL, "node", c.NodeURL, "IOTA node URL speaking the IRI HTTP API (env IOTA_NODE)")
	fs.Uint64Var(&c.MWM, "mwm", c.MWM, "minimum weight magnitude for proof of work, 1..27: 9 on the dev node, 14 mainnet-like (env IOTA_MWM)")
	fs.StringVar(&c.PoW, "pow", c.PoW, `proof of work: "local" (in process, AVX when built with -tags pow_avx) or "remote" (node's attachToTangle) (env IOTA_POW)`)
}

// Validate checks the configuration and says what is wrong with it.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.NodeURL)
	switch {
	case c.NodeURL == "":
		errs = append(errs, errors.New("node URL is empty"))
	case err != nil:
		errs = append(errs, fmt.Errorf("node URL %q: %w", c.NodeURL, err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("node URL %q: scheme must be http or https", c.NodeURL))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("node URL %q: no host", c.NodeURL))
	}
	switch {
	case c.MWM == 0 && c.badMWMEnv != "":
		errs = append(errs, fmt.Errorf("IOTA_MWM=%q is not a number 1..%d", c.badMWMEnv, MaxMWM))
	case c.MWM < 1 || c.MWM > MaxMWM:
		errs = append(errs, fmt.Errorf("MWM %d out of range 1..%d", c.MWM, MaxMWM))
	}
	if c.PoW != PoWLocal && c.PoW != PoWRemote {
		errs = append(errs, fmt.Errorf("PoW %q: must be %q or %q", c.PoW, PoWLocal, PoWRemote))
	}
	if len(errs) > 0 {
		return fmt.Errorf("tangle client config: %w", errors.Join(errs...))
	}
	return nil
}
