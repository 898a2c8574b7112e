package myhome

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"iotahome/myhome"
	"iotahome/protocol"
	"iotahome/session"
	"iotahome/store/myhomestore"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// BenchmarkPoliciesPage renders /policies of a home with 50 policies, in
// process (no network): the server's CPU cost per page view.
func BenchmarkPoliciesPage(b *testing.B) {
	ctx := context.Background()
	st, err := myhomestore.Open(ctx, filepath.Join(b.TempDir(), "myhome.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key, _ := serverkey.FromBytes(bytes.Repeat([]byte{9}, serverkey.Size))
	tc, _ := client.New(client.Config{NodeURL: "http://127.0.0.1:9", MWM: 9, PoW: "local"}) // never contacted
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := myhome.New(st, key, tc, log, myhome.Config{})
	acct, err := svc.CreateHome(ctx)
	if err != nil {
		b.Fatal(err)
	}
	a, _ := st.Account(ctx, acct)
	sd, _ := seed.New()
	dev, _ := seed.Address(sd, 0)
	pub, _, _ := ntru.DeriveKeyPair(sd)
	events := []protocol.Event{{Type: protocol.DeviceAdded, ID: "d", Device: string(dev),
		DeviceAdded: &protocol.DeviceAddedBody{Name: "Meter", PublicKey: string(pub.Trytes())}}}
	for i := range 50 {
		events = append(events, protocol.Event{Type: protocol.Authorized, ID: fmt.Sprint("p", i), Device: string(dev),
			Authorized: &protocol.AuthorizedBody{PolicyID: fmt.Sprintf("policy%04d", i), Goal: "Show your energy use",
				Provider: protocol.Provider{Address: string(dev), PublicKey: string(pub.Trytes()), Origin: fmt.Sprintf("https://app%d.example", i)},
				State:    fmt.Sprintf("state%08d", i)}})
	}
	for i, ev := range events {
		ev.Time = time.Now()
		if err := st.AppendEvent(ctx, acct, a.NextSeq+int64(i), ev, "R", nil, "BUNDLE", a.SealedChannel); err != nil {
			b.Fatal(err)
		}
	}
	sid, _ := session.NewID()
	st.CreateSession(ctx, sid, acct, time.Now().Add(time.Hour))
	e := New(svc, st, log)
	req := httptest.NewRequest(http.MethodGet, "/policies", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: sid})
	pre, _ := session.NewID()
	req.AddCookie(&http.Cookie{Name: CSRFCookie, Value: pre})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Count(rec.Body.Bytes(), []byte("badge-active")) != 50 {
		b.Fatalf("page: %d, %d active", rec.Code, bytes.Count(rec.Body.Bytes(), []byte("badge-active")))
	}
	size := rec.Body.Len()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req.Clone(ctx))
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
	b.ReportMetric(float64(size), "bytes/page")
}
