package serialport

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"iotahome/pi/dsmr"
	"iotahome/pi/simulator"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestSettings(t *testing.T) {
	s, err := ParseSettings("9600 7e1")
	if err != nil || s != (Settings{9600, 7, 'E', 1}) || s.String() != "9600 7E1" {
		t.Errorf("ParseSettings = %+v, %v", s, err)
	}
	for _, bad := range []string{"", "115200", "115200 9N1", "115200 8X1", "115200 8N3", "fast 8N1"} {
		if _, err := ParseSettings(bad); err == nil {
			t.Errorf("ParseSettings(%q) accepted", bad)
		}
	}
	tests := []struct {
		cfg  Config
		want string // "" = auto
		bad  bool
	}{
		{cfg: Config{Preset: "auto"}},
		{cfg: Config{}},
		{cfg: Config{Preset: "dsmr5"}, want: "115200 8N1"},
		{cfg: Config{Preset: "DSMR4"}, want: "115200 8N1"},
		{cfg: Config{Preset: "dsmr4-7e1"}, want: "115200 7E1"},
		{cfg: Config{Preset: "dsmr3"}, want: "9600 7E1"},
		{cfg: Config{Preset: "dsmr22", Baud: 115200}, want: "115200 7E1"},
		{cfg: Config{Preset: "auto", DataBits: 7, Parity: "e"}, want: "115200 7E1"},
		{cfg: Config{Preset: "dsmr5", StopBits: 2}, want: "115200 8N2"},
		{cfg: Config{Preset: "dsmr9"}, bad: true},
		{cfg: Config{Preset: "dsmr5", Parity: "X"}, bad: true},
	}
	for _, tc := range tests {
		s, auto, err := tc.cfg.Line()
		switch {
		case tc.bad:
			if err == nil {
				t.Errorf("%+v accepted", tc.cfg)
			}
		case err != nil:
			t.Errorf("%+v: %v", tc.cfg, err)
		case tc.want == "" && !auto, tc.want != "" && (auto || s.String() != tc.want):
			t.Errorf("%+v: %v auto=%v, want %q", tc.cfg, s, auto, tc.want)
		}
	}
}

// collector gathers what a Source hands over.
type collector struct {
	mu        sync.Mutex
	telegrams []*dsmr.Telegram
}

func (c *collector) handle(raw []byte, t *dsmr.Telegram) {
	if raw[0] != '/' {
		panic("raw telegram does not start with '/'")
	}
	c.mu.Lock()
	c.telegrams = append(c.telegrams, t)
	c.mu.Unlock()
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.telegrams)
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runSource starts s and returns a function that stops it and returns
// Run's error.
func runSource(t *testing.T, s *Source, c *collector) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, c.handle) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(5 * time.Second):
				t.Error("Source.Run did not return after cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestPTYSource: the simulator writes telegrams with faults into a
// pseudo-terminal; the Source opens its slave with tarm/serial, frames and
// checks them. Every clean telegram arrives, every spoiled one is counted.
func TestPTYSource(t *testing.T) {
	pt, err := simulator.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	src, err := NewSerialSource(Config{Device: pt.SlavePath(), Preset: "dsmr5"}, SourceOptions{Logger: quiet, StallTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	stop := runSource(t, src, &c)
	waitFor(t, "the port to open", 5*time.Second, func() bool { return src.Stats().Opens == 1 })

	m, err := simulator.NewMeter(simulator.Config{Seed: 11, Start: time.Date(2025, 6, 23, 12, 0, 0, 0, time.UTC), Faults: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	clean := 0
	var times []time.Time
	for range n {
		b, f := m.Next()
		if f == simulator.NoFault || f == simulator.Noise {
			clean++
			times = append(times, m.Now())
		}
		if _, err := pt.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	// A last clean telegram ends a cut one, if the last was cut.
	if _, err := pt.Write(m.Telegram()); err != nil {
		t.Fatal(err)
	}
	clean++
	times = append(times, m.Now())

	waitFor(t, "all clean telegrams", 20*time.Second, func() bool { return c.count() >= clean })
	faults := m.Faults()
	wantRejected := int64(faults[simulator.BadCRC] + faults[simulator.Cut])
	waitFor(t, "the rejects to be counted", 5*time.Second, func() bool { return src.Stats().Rejected >= wantRejected })
	st := src.Stats()
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if c.count() != clean || st.Telegrams != int64(clean) || st.Rejected != wantRejected {
		t.Errorf("received %d (stats %+v); want %d valid, %d rejected (faults %v)", c.count(), st, clean, wantRejected, faults)
	}
	if st.SkippedBytes == 0 || st.Settings != "115200 8N1" || st.LastTelegram.IsZero() {
		t.Errorf("stats %+v", st)
	}
	for i, tg := range c.telegrams {
		if !tg.Reading.Time.Equal(times[i]) {
			t.Fatalf("telegram %d is from %s, want %s: order or content lost", i, tg.Reading.Time, times[i])
		}
	}
}

// TestPTYAutoDetect: with --serial auto the Source finds the setting under
// which telegrams are valid.
func TestPTYAutoDetect(t *testing.T) {
	pt, err := simulator.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := simulator.NewMeter(simulator.Config{Kind: simulator.BE, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	go simulator.Run(ctx, m, ptyWriter{pt}, 50, 0)

	src, err := NewSerialSource(Config{Device: pt.SlavePath(), Preset: "auto", DetectWindow: 2 * time.Second}, SourceOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	runSource(t, src, &c)
	waitFor(t, "telegrams", 10*time.Second, func() bool { return c.count() >= 5 })
	if st := src.Stats(); st.Settings != "115200 8N1" || st.Rejected != 0 {
		t.Errorf("stats %+v", st)
	}
	if tg := c.telegrams[0]; tg.Country != dsmr.BE || len(tg.Reading.MBus) != 2 {
		t.Errorf("first telegram %+v", tg)
	}
}

// ptyWriter gives up on a write nobody reads instead of blocking forever.
type ptyWriter struct{ p *simulator.PTY }

func (w ptyWriter) Write(b []byte) (int, error) { return w.p.WriteTimeout(b, time.Second) }

// TestStallReopen: a port that goes silent is closed and reopened, and
// telegrams that come after are read.
func TestStallReopen(t *testing.T) {
	pt, err := simulator.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	src, err := NewSerialSource(Config{Device: pt.SlavePath(), Preset: "dsmr5"},
		SourceOptions{Logger: quiet, StallTimeout: 400 * time.Millisecond, BackoffMin: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	runSource(t, src, &c)
	m, err := simulator.NewMeter(simulator.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		waitFor(t, "the port to open", 5*time.Second, func() bool { return src.Stats().Opens == int64(round) })
		for range 3 {
			pt.Write(m.Telegram())
		}
		waitFor(t, "telegrams", 5*time.Second, func() bool { return c.count() == 3*round })
		waitFor(t, "a stall", 5*time.Second, func() bool { return src.Stats().Stalls == int64(round) })
	}
}

// TestUnplug: when the device disappears the Source keeps trying, without
// returning, until it is stopped.
func TestUnplug(t *testing.T) {
	pt, err := simulator.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewSerialSource(Config{Device: pt.SlavePath(), Preset: "dsmr5"},
		SourceOptions{Logger: quiet, BackoffMin: 20 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	stop := runSource(t, src, &c)
	waitFor(t, "the port to open", 5*time.Second, func() bool { return src.Stats().Opens == 1 })
	m, _ := simulator.NewMeter(simulator.Config{Seed: 1})
	pt.Write(m.Telegram())
	waitFor(t, "a telegram", 5*time.Second, func() bool { return c.count() == 1 })
	pt.Close()
	time.Sleep(300 * time.Millisecond) // several failed reopen attempts
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if st := src.Stats(); st.Opens != 1 || st.Telegrams != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestSimulateCommandPTY runs "p1reader simulate --out pty" and reads the
// device it prints, as a person would.
func TestSimulateCommandPTY(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- simulator.RunSimulate(ctx, []string{"--out", "pty", "--rate", "20", "--meter", "dsmr22", "--faults", "0.1", "--seed", "2"}, pw, io.Discard)
		pw.Close()
	}()
	path, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "/dev/") || !IsTerminal(path) {
		t.Fatalf("simulate printed %q", path)
	}
	src, err := NewSerialSource(Config{Device: path, Preset: "dsmr22"}, SourceOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	runSource(t, src, &c)
	waitFor(t, "telegrams", 10*time.Second, func() bool { return c.count() >= 5 })
	if tg := c.telegrams[0]; tg.Version != dsmr.VersionLegacy || tg.HasCRC {
		t.Errorf("telegram %+v", tg)
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("simulate exited %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("simulate did not stop")
	}
}

// TestStreamSource reads the simulator in-process through an Opener, as the
// reader does when told to simulate instead of opening a port.
func TestStreamSource(t *testing.T) {
	if _, err := NewSource(nil, SourceOptions{}); err == nil {
		t.Error("nil Opener accepted")
	}
	open := func(ctx context.Context) (io.ReadCloser, error) {
		return simulator.NewStream(ctx, simulator.Config{Kind: simulator.DSMR22, Seed: 3}, 0)
	}
	src, err := NewSource(open, SourceOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	stop := runSource(t, src, &c)
	waitFor(t, "telegrams", 10*time.Second, func() bool { return c.count() >= 100 })
	stop()
	if st := src.Stats(); st.Opens != 1 || st.Rejected != 0 || st.Settings != "" {
		t.Errorf("stats %+v", st)
	}
}

// TestDetectNothing: a silent line yields no setting, after trying each.
func TestDetectNothing(t *testing.T) {
	pt, err := simulator.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	p, err := dsmr.NewParser(dsmr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var candidates []Settings
	for _, pr := range Presets() {
		candidates = append(candidates, pr.Settings)
	}
	start := time.Now()
	pt.Write([]byte("\xff\xfe noise, not a telegram\r\n!1234\r\n"))
	_, _, err = Detect(context.Background(), pt.SlavePath(), candidates, 200*time.Millisecond, p)
	if !errors.Is(err, ErrNotDetected) || time.Since(start) < 3*200*time.Millisecond {
		t.Errorf("Detect = %v after %v", err, time.Since(start))
	}
	if _, _, err := Detect(context.Background(), "/dev/nonexistent-p1", candidates, time.Second, p); err == nil || errors.Is(err, ErrNotDetected) {
		t.Errorf("missing device: %v", err)
	}
}
