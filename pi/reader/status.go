package reader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/pi/pairing"
	"iotahome/store/readerstore"
)

// Status is what `p1reader status` shows.
type Status struct {
	DeviceAddress string
	Paired        bool
	PairingCode   string // XXXX-XXXX-XXXX-XXXX while unpaired
	PairingQR     string // text of the pairing QR code while unpaired
	HomeAddress   string // My Home's reply address while paired
	Following     bool   // My Home confirmed this pairing (DEVICE_ADDED seen)
	Providers     int    // active consent policies

	Read      uint64 // telegrams accepted
	Rejected  uint64 // telegrams rejected (bad CRC, truncated, ...)
	Published uint64 // readings on the Tangle
	Dropped   uint64 // readings dropped because the queue was full
	Messages  uint64 // channel messages attached
	Queue     uint64 // readings stored but not yet on the Tangle

	PendingMessages int // prepared channel messages not yet attached
	PendingDirect   int // direct messages not yet sent
	LastReadAt      time.Time
	LastPublishAt   time.Time
}

// Status reads the agent's status from its state file.
func (a *Agent) Status() Status {
	st, err := readStatus(context.Background(), a.store, a.device.Address)
	if err != nil {
		a.cfg.Log.Error("read status", "err", err)
	}
	// Readings of the current batch window are still in memory.
	n := uint64(a.publisher.Buffered())
	st.Read += n
	st.Queue += n
	return st
}

// ReadStatus reads the status of the reader whose state file is at path. It
// works while the reader runs (SQLite WAL lets a reader in beside a writer).
func ReadStatus(ctx context.Context, path string) (Status, error) {
	st, err := readerstore.Open(ctx, path)
	if err != nil {
		return Status{}, err
	}
	defer st.Close()
	s, err := st.LoadIdentity(ctx)
	if errors.Is(err, readerstore.ErrNoIdentity) {
		return Status{}, fmt.Errorf("reader: %s has no reader identity yet (run p1reader once)", path)
	}
	if err != nil {
		return Status{}, err
	}
	d, err := deriveDevice(trinary.Trytes(s))
	if err != nil {
		return Status{}, err
	}
	return readStatus(ctx, st, d.Address)
}

func readStatus(ctx context.Context, st *readerstore.Store, address trinary.Hash) (Status, error) {
	s := Status{DeviceAddress: string(address)}
	p, err := st.Pairing(ctx)
	if err != nil {
		return s, err
	}
	s.Paired, s.Following = p.Paired, p.Paired && p.Armed
	if p.Paired {
		s.HomeAddress = p.HomeAddress
	} else {
		s.PairingCode = pairing.FormatCode(p.Code)
		s.PairingQR = pairing.QRText(string(address), p.Code)
	}
	pols, err := st.ActivePolicies(ctx)
	if err != nil {
		return s, err
	}
	s.Providers = len(pols)
	c, err := st.Counters(ctx)
	if err != nil {
		return s, err
	}
	s.Read, s.Rejected, s.Published, s.Dropped, s.Messages = c.Read, c.Rejected, c.Published, c.Dropped, c.Messages
	s.Queue = c.NextSeq - 1 - c.Published - c.Dropped
	s.LastReadAt, s.LastPublishAt = c.LastReadAt, c.LastPublishAt
	if s.PendingMessages, s.PendingDirect, err = st.Backlog(ctx); err != nil {
		return s, err
	}
	return s, nil
}
