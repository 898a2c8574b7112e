// Package client is iotahome's connection to an IOTA node that speaks the
// IRI HTTP API (the dev node of cmd/tangle, IRI, or a legacy-API Hornet). It
// wraps iota.go's api package with configuration (flags and env), a choice
// of local or remote proof of work, context cancellation, and the two
// operations everything else is built from: send a zero-value message to an
// address (Send) and read back the complete, valid bundles at an address
// (Bundles).
package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/pow"
	"github.com/iotaledger/iota.go/trinary"
)

// requestTimeout bounds one HTTP request to the node, as a backstop for
// callers that pass a context without deadline. It is generous because
// remote PoW of a large bundle at MWM 14 on a slow node is one request
// that can take minutes; contexts are the real control.
const requestTimeout = 15 * time.Minute

// Client talks to one node. It is safe for concurrent use.
type Client struct {
	cfg     Config
	http    *http.Client
	powName string // iota.go implementation name, "" for remote PoW
	powFunc pow.ProofOfWorkFunc
	api     *api.API
	log     *slog.Logger
}

// New checks cfg and returns a client. It does not contact the node.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:  cfg,
		http: &http.Client{Timeout: requestTimeout},
		log:  slog.Default().With("component", "tangle/client"),
	}
	if cfg.PoW == PoWLocal {
		// The Sync variants serialise PoW within the process, so two
		// goroutines publishing at once do not halve each other's speed.
		c.powName, c.powFunc = pow.GetFastestProofOfWorkImpl()
	}
	a, err := c.compose(context.Background())
	if err != nil {
		return nil, err
	}
	c.api = a
	c.log.Info("tangle client", "node", cfg.NodeURL, "mwm", cfg.MWM, "pow", c.PoW())
	return c, nil
}

// API returns the iota.go API for this node. Its calls are not cancellable;
// prefer the Client's own methods, which take a context.
func (c *Client) API() *api.API { return c.api }

// MWM is the minimum weight magnitude used for proof of work.
func (c *Client) MWM() uint64 { return c.cfg.MWM }

// NodeURL is the node's endpoint.
func (c *Client) NodeURL() string { return c.cfg.NodeURL }

// PoW describes where proof of work happens: "remote", or "local/" and the
// iota.go implementation ("local/SyncAVX", "local/SyncGo").
func (c *Client) PoW() string {
	if c.powFunc == nil {
		return PoWRemote
	}
	return PoWLocal + "/" + c.powName
}

// compose returns an iota.go API whose HTTP requests carry ctx and whose
// local PoW stops between transactions once ctx is done. Composing one
// costs a few allocations, so every call gets its own.
func (c *Client) compose(ctx context.Context) (*api.API, error) {
	return c.composeLimited(ctx, 0)
}

// composeLimited is compose whose responses may be at most maxBody bytes
// (0: no limit); reading past that fails with errResponseTooLarge.
func (c *Client) composeLimited(ctx context.Context, maxBody int64) (*api.API, error) {
	settings := api.HTTPClientSettings{
		URI:    c.cfg.NodeURL,
		Client: contextClient{ctx: ctx, c: c.http, maxBody: maxBody},
	}
	if c.powFunc != nil {
		settings.LocalProofOfWorkFunc = func(t trinary.Trytes, mwm int, parallelism ...int) (trinary.Trytes, error) {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			return c.powFunc(t, mwm, parallelism...)
		}
	}
	a, err := api.ComposeAPI(settings)
	if err != nil {
		return nil, fmt.Errorf("tangle client: compose iota.go api: %w", err)
	}
	return a, nil
}

// contextClient attaches a context to every request iota.go makes, since
// iota.go's API methods take none, and optionally bounds response bodies.
type contextClient struct {
	ctx     context.Context
	c       *http.Client
	maxBody int64
}

func (cc contextClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := cc.c.Do(req.WithContext(cc.ctx))
	if err == nil && cc.maxBody > 0 {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: cc.maxBody}
	}
	return resp, err
}

// errResponseTooLarge is what reading a response past its limit returns.
var errResponseTooLarge = errors.New("response larger than the limit")

// limitedBody fails a read once more than left bytes came, instead of
// silently cutting the body (which would look like malformed JSON).
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 {
			return 0, err // io.EOF: the body was exactly the limit
		}
		return 0, errResponseTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
