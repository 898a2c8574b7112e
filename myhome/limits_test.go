package myhome

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"iotahome/tangle/tangletest"
)

// Regression (issue 13, unauthenticated state): anyone can make a consent
// request with a GET, so the requests waiting for an answer are capped; and
// the keys of homes anyone can create with a POST are kept in a bounded
// cache.
func TestOpenRequestCapAndKeyCache(t *testing.T) {
	ctx := context.Background()
	node := tangletest.StartNode(t, testMWM)
	cfg := testConfig
	cfg.MaxOpenRequests, cfg.KeyCacheSize = 2, 2
	h := startHome(t, node, cfg)
	p := newProvider(t, node)
	for i := range 2 {
		if _, err := h.NewConsentRequest(ctx, p.request(t, fmt.Sprintf("state-cap-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var ue *UserError
	if _, err := h.NewConsentRequest(ctx, p.request(t, "state-cap-2")); !errors.As(err, &ue) {
		t.Fatalf("request over the cap: %v, want a user error", err)
	}
	for range 3 {
		if _, err := h.CreateHome(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.keys.Len(); n != 2 {
		t.Fatalf("key cache holds %d homes, cap 2", n)
	}
}
