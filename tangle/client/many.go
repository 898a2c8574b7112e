package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"
)

// DefaultListLimit is how many addresses BundlesAt puts in one
// findTransactions request: IRI's default for list parameters
// (MAX_REQUESTS_LIST), and the dev node's.
const DefaultListLimit = 1000

// maxResponseBytes bounds a findTransactions response: 100,000 hashes (the
// most IRI returns) take 8.3 MB.
const maxResponseBytes = 32 << 20

// BundlesAt is Bundles for many addresses (81 trytes each, no checksum) in
// as few requests as the node allows: one findTransactions per listLimit
// addresses (≤ 0: DefaultListLimit) and one getTrytes per 1,000 hashes
// found. An address with nothing valid is absent from the map. What is
// returned per address, and what is skipped, is exactly what Bundles
// returns for it.
func (c *Client) BundlesAt(ctx context.Context, addresses []trinary.Hash, listLimit int) (map[trinary.Hash][]bundle.Bundle, error) {
	if listLimit <= 0 {
		listLimit = DefaultListLimit
	}
	for _, a := range addresses {
		if !guards.IsTrytesOfExactLength(a, consts.HashTrytesSize) {
			return nil, fmt.Errorf("bundles at: address %q is not 81 trytes", a)
		}
	}
	var hashes trinary.Hashes
	for chunk := range slices.Chunk(addresses, listLimit) {
		h, err := c.findByAddresses(ctx, chunk)
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, h...)
	}
	txs, _, err := c.Fetch(ctx, hashes)
	if err != nil {
		return nil, fmt.Errorf("bundles at %d addresses: %w", len(addresses), err)
	}
	byAddress := make(map[trinary.Hash]map[trinary.Hash]*transaction.Transaction)
	for h, tx := range txs {
		m := byAddress[tx.Address]
		if m == nil {
			m = make(map[trinary.Hash]*transaction.Transaction)
			byAddress[tx.Address] = m
		}
		m[h] = tx
	}
	out := make(map[trinary.Hash][]bundle.Bundle, len(byAddress))
	for addr, m := range byAddress {
		if bs := c.assemble(addr, m); len(bs) > 0 {
			out[addr] = bs
		}
	}
	return out, nil
}

// findByAddresses is findTransactions by addresses, spoken directly:
// iota.go's FindTransactions wants every address with a checksum, and
// computing checksums (Kerl) for thousands of addresses per poll costs more
// than the request.
func (c *Client) findByAddresses(ctx context.Context, addresses []trinary.Hash) (trinary.Hashes, error) {
	body, err := json.Marshal(struct {
		Command   string         `json:"command"`
		Addresses []trinary.Hash `json:"addresses"`
	}{"findTransactions", addresses})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.NodeURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("findTransactions: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IOTA-API-Version", "1")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("findTransactions at %d addresses: %w", len(addresses), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("findTransactions at %d addresses: read response: %w", len(addresses), err)
	}
	var out struct {
		Hashes trinary.Hashes `json:"hashes"`
		Error  string         `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return nil, fmt.Errorf("findTransactions at %d addresses: %w", len(addresses), &RequestError{Status: resp.StatusCode, Msg: string(raw[:min(len(raw), 200)])})
		}
		return nil, fmt.Errorf("findTransactions at %d addresses: HTTP %d, undecodable response: %w", len(addresses), resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || out.Error != "" {
		return nil, fmt.Errorf("findTransactions at %d addresses: %w", len(addresses), &RequestError{Status: resp.StatusCode, Msg: out.Error})
	}
	return out.Hashes, nil
}

// RequestError is a node's refusal of a request it understood to be one
// (an HTTP error status with an IRI-style {"error": …}), as opposed to
// not reaching the node: the same request will fail again, a smaller one
// may not (too many results, too many addresses).
type RequestError struct {
	Status int
	Msg    string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("node refused the request: HTTP %d: %s", e.Status, e.Msg)
}
