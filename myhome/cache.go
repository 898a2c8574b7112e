package myhome

import (
	"context"
	"sync"
)

// view is what the devices, consents and audit pages show about a home,
// cached per account so that a page view costs no query. Every write to a
// home's stream (publish, attach, replay, seed shown) invalidates it.
type view struct {
	home     Home
	devices  []Device
	policies []Policy
}

// maxCachedViews bounds the memory of the cache (a view of a home with 50
// policies is a few KB).
const maxCachedViews = 10_000

// viewCache holds the views with a version per account, so a load that
// raced with an invalidation is not stored.
type viewCache struct {
	mu      sync.Mutex
	entries map[string]*viewEntry
	next    uint64 // versions come from one counter, so none is ever reused
}

type viewEntry struct {
	version uint64
	v       *view
}

func (c *viewCache) get(acct string) (*view, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*viewEntry{}
	}
	e := c.entries[acct]
	if e == nil {
		if len(c.entries) >= maxCachedViews {
			c.entries = map[string]*viewEntry{} // crude but bounded: forget them all
		}
		c.next++
		e = &viewEntry{version: c.next}
		c.entries[acct] = e
	}
	return e.v, e.version
}

func (c *viewCache) put(acct string, version uint64, v *view) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[acct]; e != nil && e.version == version {
		e.v = v
	}
}

func (c *viewCache) invalidate(acct string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[acct]; e != nil {
		c.next++
		e.version = c.next
		e.v = nil
	}
}

// view returns the account's cached view, loading it on a miss.
func (s *Service) view(ctx context.Context, acct string) (*view, error) {
	v, version := s.views.get(acct)
	if v != nil {
		return v, nil
	}
	a, err := s.st.Account(ctx, acct)
	if err != nil {
		return nil, notFound(err)
	}
	pend, err := s.st.PendingState(ctx, acct)
	if err != nil {
		return nil, err
	}
	devices, err := s.st.Devices(ctx, acct)
	if err != nil {
		return nil, err
	}
	policies, err := s.st.Policies(ctx, acct)
	if err != nil {
		return nil, err
	}
	v = &view{
		home: Home{ID: a.ID, Address: a.HomeAddress, SeedShown: a.SeedShownAt != nil, Restoring: a.RestoreState == "running",
			RestoreRead: a.RestoreRead, RestoreError: a.RestoreError,
			Pending: pend.Count, PendingSince: pend.Oldest, PendingFailed: pend.Failed},
		devices: devices, policies: policies,
	}
	s.views.put(acct, version, v)
	return v, nil
}
