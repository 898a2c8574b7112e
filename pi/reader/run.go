package reader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Run parses and stores the telegrams it receives and publishes, pairs and
// follows consent events until ctx is done (it then returns nil) or the
// state file fails. A closed or nil telegrams channel just means no more
// input; everything else keeps running.
func (a *Agent) Run(ctx context.Context, telegrams <-chan []byte) error {
	if !a.running.TryLock() {
		return errors.New("reader: Run is already running")
	}
	defer a.running.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	if code := a.PairingCode(); code != "" {
		a.cfg.Log.Info("unpaired: enter the device address and pairing code in My Home",
			"address", a.device.Address, "code", code)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, loop := range []func(context.Context) error{a.publisher.Run, a.sender.Run, a.pairing.Run, a.consent.Run} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loop(ctx); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	err := a.ingest(ctx, telegrams)
	cancel()
	wg.Wait()
	close(errs)
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}

// ingest stores each telegram's reading until ctx is done.
func (a *Agent) ingest(ctx context.Context, telegrams <-chan []byte) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case raw, ok := <-telegrams:
			if !ok {
				telegrams = nil // no more input; keep publishing
				continue
			}
			if err := a.Ingest(ctx, raw, time.Now()); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// Ingest parses one raw telegram read at readAt and hands its reading to
// the publisher, which stores it with the message that carries it (or
// counts the telegram as rejected). It returns an error only if the state
// file fails.
func (a *Agent) Ingest(ctx context.Context, raw []byte, readAt time.Time) error {
	t, err := a.parser.Parse(raw)
	if err != nil {
		a.cfg.Log.Warn("telegram rejected", "err", err, "bytes", len(raw))
		return a.store.CountRejected(ctx, 1)
	}
	for _, fe := range t.FieldErrors {
		a.cfg.Log.Debug("telegram field kept out", "field", fe)
	}
	body, err := json.Marshal(t.Reading)
	if err != nil {
		return fmt.Errorf("reader: encode reading: %w", err)
	}
	a.publisher.Add(body, readAt)
	return nil
}

// CountRejected counts n telegrams rejected before they reached the agent
// (e.g. by the serial port's framer), so that status shows them.
func (a *Agent) CountRejected(ctx context.Context, n int) error {
	return a.store.CountRejected(ctx, n)
}
