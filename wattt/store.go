package wattt

import (
	"context"
	"time"

	"iotahome/session"
	"iotahome/wattt/aggregate"
)

// Store is everything Wattt keeps. Two implementations exist and pass the
// same tests (store/watttstoretest): store/watttsqlite, one SQLite file,
// the embedded default; and store/watttpg, PostgreSQL, for a provider
// whose followers run in several processes. Both are safe for concurrent
// use. Methods return ErrNotFound for a missing row; other errors wrap the
// database's.
type Store interface {
	SessionStore
	AccountStore
	ConsentStore
	ConnectionStore
	FollowStore
	ReadingStore
	TariffStore
	Close() error
}

// SessionStore keeps browser sessions (hashed ids; account ids formatted
// decimal).
type SessionStore interface {
	session.Store
	// DeleteExpiredSessions removes sessions that ended before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
}

// AccountStore keeps provider identities.
type AccountStore interface {
	// CreateAccount stores a new account and returns its id.
	CreateAccount(ctx context.Context, a Account) (int64, error)
	Account(ctx context.Context, id int64) (Account, error)
	// AccountsAwaitingKeys returns the accounts with a consent request that
	// came back from My Home granted at or after returnedSince and has not
	// been answered with keys yet. Only their addresses are worth polling
	// for MAM_DATA: a request that never came back (anyone can start one
	// with a POST) costs no polling. Keys that arrive before the browser
	// comes back wait on the Tangle under their day's tag.
	AccountsAwaitingKeys(ctx context.Context, returnedSince time.Time) ([]Account, error)
	// SetCursor records how far the account's address has been read.
	SetCursor(ctx context.Context, accountID int64, cursor string) error
}

// ConsentStore keeps the consent requests sent to My Home.
type ConsentStore interface {
	// CreateConsentRequest stores a new pending request.
	CreateConsentRequest(ctx context.Context, r ConsentRequest) error
	// ConsentRequest returns the account's request with the given state;
	// another account's state is ErrNotFound.
	ConsentRequest(ctx context.Context, accountID int64, state string) (ConsentRequest, error)
	// LatestConsentRequest returns the account's most recent request.
	LatestConsentRequest(ctx context.Context, accountID int64) (ConsentRequest, error)
	// ReturnConsentRequest records the owner's answer coming back from My
	// Home, with the consent's end for a grant (nil if My Home named
	// none). Only a pending request changes status; one that already got
	// its keys stays connected (keys may arrive before the browser
	// returns) but still learns its end.
	ReturnConsentRequest(ctx context.Context, accountID int64, state string, granted bool, endsAt *time.Time, at time.Time) (ConsentRequest, error)
	// ConnectionConsent returns the newest consent request that connected
	// the connection (its plan and end); ErrNotFound if none did.
	ConnectionConsent(ctx context.Context, connectionID int64) (ConsentRequest, error)
}

// ConnectionStore keeps the reader channels accounts follow.
type ConnectionStore interface {
	// AcceptKeys turns the account's open consent request with the given
	// state into a live connection to device starting at root with
	// sideKey (sealed), in one transaction; ErrNoPendingRequest if there
	// is no such open request. A connection to the same device that
	// already exists (an earlier consent, maybe revoked) is pointed at the
	// new root and key and keeps its readings and sequence number.
	AcceptKeys(ctx context.Context, accountID int64, state, device, root, sideKey string, at time.Time) (Connection, error)
	// ConfirmKeys records that the account's open consent request with the
	// given state was answered with the keys of a live connection it
	// already follows (a renewal: the connection keeps its place in the
	// channel); ErrNoPendingRequest as in AcceptKeys.
	ConfirmKeys(ctx context.Context, accountID int64, state string, connectionID int64, at time.Time) error
	Connection(ctx context.Context, id int64) (Connection, error)
	// AccountConnections returns the account's connections, most recently
	// updated first.
	AccountConnections(ctx context.Context, accountID int64) ([]Connection, error)
	// LiveConnections returns every connection still followed, by id
	// (operators' tools and benchmarks; followers use leases).
	LiveConnections(ctx context.Context) ([]Connection, error)
}

// FollowStore shares live connections among follower workers and stores
// what they read.
type FollowStore interface {
	// Lease runs one lease round for r.Worker in one transaction: record
	// its heartbeat, renew the leases it holds on live connections, claim
	// connections whose lease is free or expired (never one another live
	// worker holds) up to its fair share (live connections / live
	// workers, rounded up, capped by r.Max), and give back what it holds
	// beyond that share and a little slack. The database's clock decides
	// expiry, so workers on several machines agree.
	Lease(ctx context.Context, r LeaseRequest) (Leases, error)
	// ReleaseLeases gives back every lease of the worker and forgets its
	// heartbeat (a clean shutdown: others take over at their next round).
	ReleaseLeases(ctx context.Context, worker string) error
	// Workers lists the workers heard of within ttl, by id.
	Workers(ctx context.Context, ttl time.Duration) ([]Worker, error)
	// Advance stores the progress of many connections in one transaction
	// (at most one Progress per connection): each one's new readings
	// (sequence number above the connection's last; the rest are
	// duplicates and dropped), their aggregates (day buckets start at
	// midnight in loc), and its new root, side key and status. A Progress
	// whose FromRoot is no longer the stored root (ErrMoved), whose
	// connection is leased to another worker (ErrLeaseLost) or gone
	// (ErrNotFound) is not stored; the others are. Because readings and
	// root move together, a restart resumes exactly after the last stored
	// message. The error is for the whole call (nothing stored).
	Advance(ctx context.Context, loc *time.Location, ps []Progress) ([]Advanced, error)
}

// ReadingStore reads the readings and aggregates followers stored.
type ReadingStore interface {
	// LatestReading returns the connection's newest reading (by time).
	LatestReading(ctx context.Context, conn int64) (StoredReading, error)
	// EachReading calls fn for every full-resolution reading of the
	// connection with from <= time < to, oldest first.
	EachReading(ctx context.Context, conn int64, from, to time.Time, fn func(StoredReading) error) error
	// OldestReadingTime is the time of the oldest full-resolution reading
	// kept for the connection.
	OldestReadingTime(ctx context.Context, conn int64) (time.Time, error)
	// Buckets returns the connection's aggregates of one resolution whose
	// start lies in [from, to), oldest first, and the last bucket before
	// from (nil if none), so that usage of the first bucket can be computed.
	Buckets(ctx context.Context, conn int64, res aggregate.Resolution, from, to time.Time) ([]aggregate.Bucket, *aggregate.Bucket, error)
	// PowerCurve returns average power and voltage per step (a multiple of
	// a minute) for [from, to), from the minute aggregates.
	PowerCurve(ctx context.Context, conn int64, from, to time.Time, step time.Duration) ([]CurvePoint, error)
	// Prune deletes full-resolution readings and aggregates older than the
	// retention allows, counted back from now.
	Prune(ctx context.Context, now time.Time, keep Retention) error
}

// TariffStore keeps each account's prices.
type TariffStore interface {
	// Tariff returns the account's tariff, or def when none was set.
	Tariff(ctx context.Context, accountID int64, def Tariff) (Tariff, error)
	SetTariff(ctx context.Context, accountID int64, t Tariff) error
}
