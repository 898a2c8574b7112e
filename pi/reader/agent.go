// Package reader is the P1 reader agent: it takes raw telegrams, parses them
// (pi/dsmr), stores each reading durably in the state file, publishes the
// readings on the reader's restricted MAM channel (pi/publisher), answers
// pairing (pi/pairing) and follows My Home's consent events (pi/consent).
//
// cmd/p1reader runs one Agent fed from the serial port; integration tests
// run one in-process, fed from pi/simulator (see Feed).
package reader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/pi/consent"
	"iotahome/pi/dsmr"
	"iotahome/pi/pairing"
	"iotahome/pi/publisher"
	"iotahome/store/readerstore"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// Config configures an Agent. Zero values take the defaults named.
type Config struct {
	StatePath string         // SQLite state file (required)
	Client    *client.Client // node connection (required)

	BatchWindow  time.Duration // max wait of a reading for others to share its message; default 5s
	MaxReadings  int           // max readings per DATA message; default 20
	MaxQueue     int           // max readings waiting for a message; oldest dropped beyond; default 604800 (7 days at 1 Hz)
	KeepRecent   int           // published readings kept in the state file; default 60
	PollInterval time.Duration // how often the device address and My Home's channel are polled; default 2s
	MaxBackoff   time.Duration // cap of the retry wait while the node is down; default 30s
	Country      string        // "NL", "BE" or "" to detect per telegram
	// Pack sends readings DEFLATE-packed (protocol.DataBody.Packed, about five
	// times less proof of work per reading); receivers must read DATA with
	// DataBody.AllReadings. Off by default.
	Pack bool
	// Durable writes every reading to the state file before it waits for
	// its message (a crash loses nothing); off, readings wait in memory for
	// up to BatchWindow and are written with their message, about ten times
	// fewer bytes written to an SD card. Off by default in this struct;
	// p1reader run turns it on unless --durable=false.
	Durable bool
	// ClaimsPerMinute bounds the pairing claims answered; default 6.
	ClaimsPerMinute int
	// ConfirmWait is how long a pairing waits for My Home's DEVICE_ADDED
	// before the reader unpairs again; default pairing.DefaultConfirmWait.
	ConfirmWait time.Duration

	// OnPublished, if set, is called after each channel message is attached
	// (measurements, tests).
	OnPublished func(publisher.Published)
	Log         *slog.Logger
}

// Defaults.
const (
	DefaultBatchWindow  = 5 * time.Second
	DefaultMaxReadings  = 20
	DefaultMaxQueue     = 7 * 24 * 3600
	DefaultKeepRecent   = 60
	DefaultPollInterval = 2 * time.Second
	DefaultMaxBackoff   = 30 * time.Second
)

func (c *Config) setDefaults() {
	if c.BatchWindow <= 0 {
		c.BatchWindow = DefaultBatchWindow
	}
	if c.MaxReadings <= 0 {
		c.MaxReadings = DefaultMaxReadings
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	if c.KeepRecent <= 0 {
		c.KeepRecent = DefaultKeepRecent
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Agent is one P1 reader.
type Agent struct {
	cfg    Config
	store  *readerstore.Store
	device pairing.Device
	parser *dsmr.Parser

	publisher *publisher.Publisher
	sender    *publisher.DirectSender
	pairing   *pairing.Handler
	consent   *consent.Follower

	running sync.Mutex // held by Run
}

// Open opens the state file, creating the reader's identity (seed, first
// pairing code, channel) on first use.
func Open(ctx context.Context, cfg Config) (*Agent, error) {
	cfg.setDefaults()
	if cfg.StatePath == "" || cfg.Client == nil {
		return nil, errors.New("reader: Config needs StatePath and Client")
	}
	parser, err := dsmr.NewParser(dsmr.Options{Country: cfg.Country})
	if err != nil {
		return nil, fmt.Errorf("reader: %w", err)
	}
	st, err := readerstore.Open(ctx, cfg.StatePath)
	if err != nil {
		return nil, err
	}
	// The state file holds the seed: owner-only.
	if err := os.Chmod(cfg.StatePath, 0o600); err != nil {
		st.Close()
		return nil, fmt.Errorf("reader: protect state file: %w", err)
	}
	device, err := loadDevice(ctx, st, cfg.Log)
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &Agent{cfg: cfg, store: st, device: device, parser: parser}
	a.publisher = publisher.New(publisher.Config{
		Store: st, Client: cfg.Client, BatchWindow: cfg.BatchWindow, MaxReadings: cfg.MaxReadings,
		KeepRecent: cfg.KeepRecent, MaxQueue: cfg.MaxQueue, Pack: cfg.Pack, Durable: cfg.Durable, MaxBackoff: cfg.MaxBackoff, OnPublished: cfg.OnPublished, Log: cfg.Log,
	})
	a.sender = publisher.NewDirectSender(st, cfg.Client, cfg.MaxBackoff, cfg.Log)
	a.consent = consent.New(consent.Config{
		Store: st, Client: cfg.Client, DeviceAddress: device.Address, PollInterval: cfg.PollInterval, ConfirmWait: cfg.ConfirmWait,
		Queued: func() { a.publisher.Wake(); a.sender.Wake() }, Log: cfg.Log,
	})
	a.pairing = pairing.New(pairing.Config{
		Store: st, Client: cfg.Client, Device: device, PollInterval: cfg.PollInterval,
		ClaimsPerMinute: cfg.ClaimsPerMinute, Sent: a.sender.Wake, Paired: a.consent.Wake, Log: cfg.Log,
	})
	return a, nil
}

// loadDevice reads the identity from the state file, creating it first if
// the file is new, and derives the device address and NTRU key pair.
func loadDevice(ctx context.Context, st *readerstore.Store, log *slog.Logger) (pairing.Device, error) {
	s, err := st.LoadIdentity(ctx)
	if errors.Is(err, readerstore.ErrNoIdentity) {
		if err := createIdentity(ctx, st); err != nil {
			return pairing.Device{}, err
		}
		log.Info("created a new reader identity")
		s, err = st.LoadIdentity(ctx)
	}
	if err != nil {
		return pairing.Device{}, err
	}
	return deriveDevice(trinary.Trytes(s))
}

func deriveDevice(s trinary.Trytes) (pairing.Device, error) {
	addr, err := seed.Address(s, 0)
	if err != nil {
		return pairing.Device{}, fmt.Errorf("reader: device address: %w", err)
	}
	pub, priv, err := ntru.DeriveKeyPair(s)
	if err != nil {
		return pairing.Device{}, fmt.Errorf("reader: device key pair: %w", err)
	}
	return pairing.Device{Address: addr, PublicKey: pub, PrivateKey: priv}, nil
}

// createIdentity draws a device seed, a first pairing code and a channel.
// The channel has a seed of its own, so that no key of the device address
// ever signs a MAM message.
func createIdentity(ctx context.Context, st *readerstore.Store) error {
	deviceSeed, err := seed.New()
	if err != nil {
		return err
	}
	channelSeed, err := seed.New()
	if err != nil {
		return err
	}
	sideKey, err := mamch.RandomSideKey()
	if err != nil {
		return fmt.Errorf("reader: side key: %w", err)
	}
	state, err := mamch.NewState(channelSeed, mamch.Restricted, sideKey)
	if err != nil {
		return fmt.Errorf("reader: new channel: %w", err)
	}
	stateJSON, err := state.MarshalJSON()
	if err != nil {
		return fmt.Errorf("reader: encode channel state: %w", err)
	}
	code, err := pairing.NewCode()
	if err != nil {
		return err
	}
	return st.CreateIdentity(ctx, readerstore.Identity{
		Seed: string(deviceSeed), Code: code, ChannelState: string(stateJSON), FirstRoot: string(state.NextRoot()),
	})
}

// DeviceAddress is the reader's address: My Home claims it, and it is named
// in every consent event for this reader.
func (a *Agent) DeviceAddress() trinary.Hash { return a.device.Address }

// PairingCode is the current pairing code as XXXX-XXXX-XXXX-XXXX, or "" when
// the reader is paired.
func (a *Agent) PairingCode() string {
	p, err := a.store.Pairing(context.Background())
	if err != nil {
		a.cfg.Log.Error("read pairing state", "err", err)
		return ""
	}
	if p.Paired {
		return ""
	}
	return pairing.FormatCode(p.Code)
}

// Close closes the state file. Stop Run (cancel its context) first.
func (a *Agent) Close() error {
	a.running.Lock()
	defer a.running.Unlock()
	return a.store.Close()
}
