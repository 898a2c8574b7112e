// Package session is what both sites' browser sessions are, below the HTTP
// layer: the storage contract (Store) a site's database implements, its
// not-found error and the random session id. handlers/websession turns it
// into cookies and middleware; the stores (store/myhomestore,
// store/watttsqlite, store/watttpg) implement Store without importing
// anything from handlers.
package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// ErrNoSession is what Store.SessionAccount returns for an unknown or
// expired session id.
var ErrNoSession = errors.New("session: no such session")

// Store maps session ids to account ids. Each site's store implements it.
// Ids are opaque strings; a site that numbers its accounts formats them.
type Store interface {
	// CreateSession records that id belongs to accountID until expires.
	CreateSession(ctx context.Context, id, accountID string, expires time.Time) error
	// SessionAccount returns the account of a live session, or ErrNoSession.
	SessionAccount(ctx context.Context, id string, now time.Time) (accountID string, err error)
	// DeleteSession forgets id (logout). Deleting an unknown id is not an error.
	DeleteSession(ctx context.Context, id string) error
}

// NewID returns a random 256-bit id, URL-safe base64 (43 characters).
func NewID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
