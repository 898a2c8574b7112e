package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/checksum"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/pow"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/mamch"
	"iotahome/tangle/seed"
)

// The channel cache. Building 10,000 channels of restricted MAM messages
// costs about 15 ms of CPU per message (mamch.Prepare: signing and its own
// read-back check), far more than a 2-core machine can spend at 1,000
// messages a second while also running the node, the database and the
// followers under test. So every message is prepared and attached (proof
// of work at MWM 1 against a fixed trunk and branch) once, and its two
// transactions kept on disk; a run stores them on a fresh node at the
// moment the schedule says (storeTransactions): to the followers that is
// exactly a reader attaching its message then.

// cacheMeta describes a cache directory: meta.json, and chunk files of
// Chunk meters each (chunkPath).
type cacheMeta struct {
	Meters   int           `json:"meters"`
	Messages int           `json:"messages"` // per meter
	MWM      int           `json:"mwm"`
	Chunk    int           `json:"chunk"`
	Built    time.Duration `json:"built"` // how long building took
}

const cacheMWM = 1

func chunkPath(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("chunk-%04d.gz", i)) }

// buildCache makes (or completes: finished chunks are kept, so a bigger
// cache grows from a smaller one) a cache of meters channels with messages
// DATA messages each, on jobs goroutines.
func buildCache(dir string, meters, messages, chunk, jobs int, log *slog.Logger) (cacheMeta, error) {
	metaPath := filepath.Join(dir, "meta.json")
	var meta cacheMeta
	if raw, err := os.ReadFile(metaPath); err == nil && json.Unmarshal(raw, &meta) == nil &&
		meta.Meters >= meters && meta.Messages == messages && meta.Chunk == chunk && meta.Built > 0 {
		return meta, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return meta, err
	}
	meta = cacheMeta{Meters: meters, Messages: messages, MWM: cacheMWM, Chunk: chunk}
	chunks := (meters + chunk - 1) / chunk
	t0 := time.Now()
	var done atomic.Int64
	work := make(chan int)
	errs := make(chan error, jobs)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for c := range work {
				if err := buildChunk(chunkPath(dir, c), min(chunk, meters-c*chunk), messages); err != nil {
					errs <- err
					return
				}
				log.Info("cache chunk built", "chunk", c, "done", done.Add(1), "of", chunks, "elapsed", time.Since(t0).Round(time.Second))
			}
		})
	}
	for c := range chunks {
		select {
		case work <- c:
		case err := <-errs:
			close(work)
			wg.Wait()
			return meta, err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return meta, err
	default:
	}
	meta.Built = time.Since(t0)
	raw, _ := json.Marshal(meta)
	if err := os.WriteFile(metaPath, raw, 0o600); err != nil {
		return meta, err
	}
	return meta, nil
}

// buildChunk builds n meters' channels of messages each and writes the
// chunk file: first a line "root sideKey" per meter, then per meter, per
// message, a line with the bundle's transactions separated by spaces. A
// chunk file that exists is complete (written under another name, then
// renamed), so an interrupted build resumes.
func buildChunk(path string, n, messages int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	a, err := offlineAPI()
	if err != nil {
		return err
	}
	heads := make([]string, 0, n)
	var lines []string
	base := time.Now().Truncate(time.Second)
	for range n {
		s, err := seed.New()
		if err != nil {
			return err
		}
		key, err := mamch.RandomSideKey()
		if err != nil {
			return err
		}
		st, err := mamch.NewState(s, mamch.Restricted, key)
		if err != nil {
			return err
		}
		heads = append(heads, string(st.NextRoot())+" "+string(key))
		for k := range messages {
			text, err := json.Marshal(protocol.ChannelMessage{Type: protocol.Data, Version: protocol.Version, Data: &protocol.DataBody{
				Schema: protocol.ReadingSchema, Seq: uint64(k), Readings: []protocol.Reading{benchReading(base.Add(time.Duration(k)*10*time.Second), k)},
			}})
			if err != nil {
				return err
			}
			p, err := mamch.Prepare(st, string(text))
			if err != nil {
				return err
			}
			st = p.Next
			txs, err := attachOffline(a, p)
			if err != nil {
				return err
			}
			lines = append(lines, strings.Join(txs, " "))
		}
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	for _, l := range append(heads, lines...) {
		io.WriteString(zw, l+"\n")
	}
	if err := errors.Join(zw.Close(), f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// benchReading is a typical DSMR 4 reading (a telegram every 10 s).
func benchReading(at time.Time, k int) protocol.Reading {
	ed1, ed2, pd, v := 1234.5+float64(k)*0.001, 2345.6, 0.4+float64(k%5)/10, 230.1
	tariff := 2
	return protocol.Reading{Time: at, TariffMeaning: "NL", DeliveredT1: &ed1, DeliveredT2: &ed2, PowerDelivered: &pd, Tariff: &tariff,
		Phases: []protocol.Phase{{Phase: 1, Voltage: &v, PowerDelivered: &pd}}}
}

// offlineAPI is an iota.go API that never talks to a node: bundles are
// prepared and proof of work is done locally.
func offlineAPI() (*api.API, error) {
	_, powFunc := pow.GetFastestProofOfWorkUnsyncImpl()
	return api.ComposeAPI(api.HTTPClientSettings{URI: "http://127.0.0.1:1", LocalProofOfWorkFunc: powFunc})
}

// attachOffline turns a prepared message into its attached transactions
// (as client.Send would, with a fixed trunk and branch: the dev node does
// not check that they exist).
func attachOffline(a *api.API, p mamch.Prepared) ([]string, error) {
	to, err := checksum.AddChecksum(p.Address, true, consts.AddressChecksumTrytesSize)
	if err != nil {
		return nil, err
	}
	tag, err := seed.New()
	if err != nil {
		return nil, err
	}
	trytes, err := a.PrepareTransfers(consts.NullHashTrytes, bundle.Transfers{{Address: to, Message: p.Payload, Tag: tag[:consts.TagTrinarySize/3]}}, api.PrepareTransfersOptions{})
	if err != nil {
		return nil, err
	}
	attached, err := a.AttachToTangle(consts.NullHashTrytes, consts.NullHashTrytes, cacheMWM, trytes)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(attached))
	for i, t := range attached {
		out[i] = string(t)
	}
	return out, nil
}

// cachedMeter is one meter of a chunk: where its channel starts, and per
// message the bundle's transactions.
type cachedMeter struct {
	Root, SideKey trinary.Trytes
	Messages      [][]string
}

// loadChunk reads one chunk file of the given shape.
func loadChunk(path string, meters, messages int) ([]cachedMeter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	out := make([]cachedMeter, meters)
	for i := range out {
		if !sc.Scan() {
			return nil, fmt.Errorf("%s: short file (meter %d): %v", path, i, sc.Err())
		}
		head := strings.Fields(sc.Text())
		if len(head) != 2 {
			return nil, fmt.Errorf("%s: meter %d: malformed head line", path, i)
		}
		out[i] = cachedMeter{Root: trinary.Trytes(head[0]), SideKey: trinary.Trytes(head[1]), Messages: make([][]string, messages)}
	}
	for i := range out {
		for k := range messages {
			if !sc.Scan() {
				return nil, fmt.Errorf("%s: short file (meter %d message %d): %v", path, i, k, sc.Err())
			}
			out[i].Messages[k] = strings.Fields(sc.Text())
		}
	}
	return out, nil
}
