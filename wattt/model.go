package wattt

import (
	"errors"
	"time"

	"iotahome/protocol"
	"iotahome/wattt/aggregate"
)

// The things Wattt keeps. They are plain values; a Store (store.go) keeps
// them, in SQLite (store/watttsqlite) or PostgreSQL (store/watttpg).

// Account is one provider identity. SealedSeed is the seed sealed with the
// server key (the store never sees it in clear).
type Account struct {
	ID         int64
	Address    string
	PublicKey  string
	SealedSeed []byte
	Cursor     string // direct-message cursor on Address
	CreatedAt  time.Time
}

// RequestStatus is where a consent request stands.
type RequestStatus string

// Consent request states.
const (
	RequestPending   RequestStatus = "pending"   // sent to My Home, no answer yet
	RequestGranted   RequestStatus = "granted"   // owner granted; waiting for MAM_DATA
	RequestDenied    RequestStatus = "denied"    // owner said no
	RequestConnected RequestStatus = "connected" // keys received
)

// ConsentRequest is one request sent to My Home.
type ConsentRequest struct {
	State        string
	AccountID    int64
	MyHomeURL    string
	Goal         string
	Plan         string     // what was asked for (Plans)
	EndsAt       *time.Time // when the consent ends, as My Home said on return
	Status       RequestStatus
	CreatedAt    time.Time
	ReturnedAt   *time.Time
	ConnectedAt  *time.Time
	ConnectionID *int64
}

// ConnectionStatus says whether a connection is still followed.
type ConnectionStatus string

// Connection states. "Waiting for keys" is not a connection yet: it is a
// granted consent request without one.
const (
	ConnectionLive    ConnectionStatus = "live"
	ConnectionRevoked ConnectionStatus = "revoked"
)

// Connection is a reader channel an account follows. Root is the root of the
// next message to fetch, SideKey the key to read it with as the domain
// stored it (sealed with the server key; the store does not look inside).
type Connection struct {
	ID            int64
	AccountID     int64
	Device        string
	Root          string
	SideKey       string
	Status        ConnectionStatus
	RevokedAt     *time.Time
	LastSeq       int64 // -1: no reading yet
	LastReadingAt *time.Time
	Messages      int64
	CreatedAt     time.Time
	UpdatedAt     time.Time // last change; for a followed meter, when its last message was stored
}

// StoredReading is one reading with its sequence number on the channel.
type StoredReading struct {
	Seq     int64
	Reading protocol.Reading
}

// Progress is what a follower learned from one connection's channel since
// the root it started from: readings, where to continue (root and side
// key), how many messages it read, and whether the channel is now closed to
// it.
type Progress struct {
	ConnectionID int64
	Worker       string // the follower that holds the connection's lease; "" skips the lease check (tools, imports)
	FromRoot     string // the root the follower read from; must still be stored
	Root         string // root of the next message to fetch
	SideKey      string // sealed side key to read Root with; "" keeps the stored one
	Messages     int
	Readings     []StoredReading
	RevokedAt    *time.Time // set: the provider lost access here
}

// Advanced is what Store.Advance did with one Progress.
type Advanced struct {
	Inserted int   // new readings stored (duplicates by sequence number are dropped)
	Err      error // ErrMoved, ErrLeaseLost or ErrNotFound: nothing of this Progress was stored
}

// Retention says how long each resolution is kept; zero keeps it forever.
type Retention struct {
	Raw    time.Duration // full-resolution readings
	Minute time.Duration
	Hour   time.Duration
}

// AggregateCutoffs says, per aggregate resolution that is not kept for
// good, the bucket start (unix seconds) before which its buckets are
// pruned at now.
func (r Retention) AggregateCutoffs(now time.Time) map[aggregate.Resolution]int64 {
	out := map[aggregate.Resolution]int64{}
	for res, keep := range map[aggregate.Resolution]time.Duration{aggregate.Minute: r.Minute, aggregate.Hour: r.Hour} {
		if keep > 0 {
			out[res] = now.Add(-keep).Unix()
		}
	}
	return out
}

// Tariff holds an account's prices in euro.
type Tariff struct {
	PerKWh         float64 // electricity taken from the grid
	PerKWhReturned float64 // paid back for electricity fed in
	PerM3          float64 // gas
	StandingPerDay float64 // fixed charges per day
}

// CurvePoint is the average power (and voltage per phase) over one step of
// a power curve.
type CurvePoint struct {
	Start    int64 // unix seconds
	PowerDel float64
	PowerRet float64
	Voltage  [3]float64
	HasV     [3]bool
}

// Leases share the live connections among follower workers, in one process
// or many against one database (docs/wattt.md, "Following").

// LeaseRequest is one worker's lease round: renew what it holds, claim its
// share of what nobody holds, give back what it holds beyond its share.
type LeaseRequest struct {
	Worker string        // unique id of the worker (host, pid and a random part)
	Host   string        // where it runs, for operators
	TTL    time.Duration // a lease, and the worker's heartbeat, ends TTL after the round unless renewed
	Max    int           // most connections this worker takes (0: no limit beyond its fair share)
}

// Leases is the outcome of a lease round.
type Leases struct {
	Held    []int64       // every connection the worker holds after the round
	Claimed []LeasedMeter // those it did not hold before (also in Held)
	Workers int           // live workers, this one included
	Share   int           // the connections per worker the round aimed at
}

// LeasedMeter is a connection a worker just claimed, with what following it
// needs from its account.
type LeasedMeter struct {
	Connection
	AccountAddress string
}

// Worker is a follower worker as the database last heard of it.
type Worker struct {
	ID     string
	Host   string
	SeenAt time.Time
	Held   int // live connections leased to it
}

// Errors a Store returns.
var (
	// ErrNotFound means the row asked for does not exist (or is not the caller's).
	ErrNotFound = errors.New("wattt: not found")
	// ErrNoPendingRequest means keys arrived for a state that is not an
	// open consent request of the account: they are rejected.
	ErrNoPendingRequest = errors.New("wattt: no open consent request with this state")
	// ErrMoved means the connection's root changed under the follower (new
	// keys arrived, or another worker stored progress): reload and read again.
	ErrMoved = errors.New("wattt: connection moved on")
	// ErrLeaseLost means another worker holds the connection's lease now:
	// stop following it.
	ErrLeaseLost = errors.New("wattt: connection is leased to another worker")
)

// Fresh returns the readings of p that are new after lastSeq, the highest
// sequence number a connection has stored, and the new highest: a reading
// whose number is not above the last kept one is a duplicate (a message
// read twice, or re-sent by the reader) and dropped. Both stores dedupe
// with it, under the connection's row lock.
func (p Progress) Fresh(lastSeq int64) ([]StoredReading, int64) {
	fresh := make([]StoredReading, 0, len(p.Readings))
	for _, r := range p.Readings {
		if r.Seq > lastSeq {
			fresh = append(fresh, r)
			lastSeq = r.Seq
		}
	}
	return fresh, lastSeq
}

// Gas returns the gas meter's value (m³) and time in the reading, if it has
// one: the one M-Bus device the stores keep.
func (r StoredReading) Gas() (m3 float64, at time.Time, ok bool) {
	for _, m := range r.Reading.MBus {
		if m.Type == protocol.MBusGas && (m.Unit == "m3" || m.Unit == "") {
			return m.Value, m.Time, true
		}
	}
	return 0, time.Time{}, false
}

// WithGas puts a stored gas value back into a reading as its M-Bus device.
func (r *StoredReading) WithGas(m3 float64, at time.Time) {
	r.Reading.MBus = []protocol.MBusReading{{Type: protocol.MBusGas, Value: m3, Unit: "m3", Time: at}}
}

// FairShare is how many connections a worker should hold: live connections
// over live workers, rounded up, capped by limit (0: no cap). A worker holding
// more than FairShare plus ShareSlack gives the excess back.
func FairShare(live, workers, limit int) int {
	workers = max(workers, 1)
	share := (live + workers - 1) / workers
	if limit > 0 && share > limit {
		share = limit
	}
	return share
}

// ShareSlack is how far above its share a worker may stay before it gives
// connections back, so that shares that differ by one do not make
// connections move back and forth.
func ShareSlack(share int) int { return share/20 + 1 }
