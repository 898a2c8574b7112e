package protocol

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPackedReadingsRoundTrip(t *testing.T) {
	v := 1.5
	rs := make([]Reading, 20)
	for i := range rs {
		rs[i] = Reading{Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), TariffMeaning: "NL", DeliveredT1: &v}
	}
	packed, err := PackReadings(rs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DataBody{Packed: packed}.AllReadings()
	if err != nil || len(got) != 20 || *got[19].DeliveredT1 != 1.5 || !got[19].Time.Equal(rs[19].Time) {
		t.Fatalf("round trip: %v, %+v", err, got)
	}
	plain, _ := DataBody{Readings: rs}.AllReadings()
	if len(plain) != 20 {
		t.Fatal("plain readings lost")
	}
}

// TestPackedDataHasNoR: docs/protocol.md says a packed DATA carries "z"
// and no "r"; an unpacked one carries "r" and no "z".
func TestPackedDataHasNoR(t *testing.T) {
	v := 1.5
	rs := []Reading{{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), TariffMeaning: "NL", DeliveredT1: &v}}
	packed, err := PackReadings(rs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body       DataBody
		has, hasNo string
	}{
		{DataBody{Schema: ReadingSchema, Seq: 7, Packed: packed}, `"z":`, `"r"`},
		{DataBody{Schema: ReadingSchema, Seq: 7, Readings: rs}, `"r":[`, `"z"`},
	} {
		js, err := json.Marshal(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(js), tc.has) || strings.Contains(string(js), tc.hasNo) {
			t.Errorf("DATA encodes as %s: want %s and no %s", js, tc.has, tc.hasNo)
		}
	}
}

func TestPackedReadingsHostile(t *testing.T) {
	var bomb bytes.Buffer
	w, _ := flate.NewWriter(&bomb, flate.BestCompression)
	w.Write([]byte("[" + strings.Repeat(" ", 2*MaxPackedSize) + "]"))
	w.Close()
	for name, d := range map[string]DataBody{
		"not base64":  {Packed: "!!!"},
		"not deflate": {Packed: base64.StdEncoding.EncodeToString([]byte("plain"))},
		"bomb":        {Packed: base64.StdEncoding.EncodeToString(bomb.Bytes())},
		"both":        {Packed: "AA==", Readings: []Reading{{}}},
	} {
		if _, err := d.AllReadings(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
