package dsmr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func fuzzSeeds() []string {
	return []string{telegram22, telegram30, telegram42, telegram50, telegramBE, telegramQuirks,
		telegram50[:200], telegram42 + telegram50, "/", "!", "/X\n!\n", "/ABC5\r\n0-1:24.3.0(x)(y)\r\n(1)\r\n!\r\n"}
}

// FuzzParse: Parse never panics or loops, and what it accepts can be
// published.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	p := newTestParser(f, "")
	f.Fuzz(func(t *testing.T, data []byte) {
		tg, err := p.Parse(data)
		if err != nil {
			if tg != nil {
				t.Fatal("telegram with error")
			}
			return
		}
		if tg.Country != NL && tg.Country != BE || tg.Reading.TariffMeaning != tg.Country {
			t.Fatalf("country %q meaning %q", tg.Country, tg.Reading.TariffMeaning)
		}
		if _, err := json.Marshal(tg); err != nil {
			t.Fatalf("telegram not JSON: %v", err)
		}
		if _, err := json.Marshal(tg.Reading); err != nil {
			t.Fatalf("reading not JSON: %v", err)
		}
	})
}

// FuzzFramer: whatever the bytes and however they are chunked, frames are
// the stream's own bytes, bounded in size, and the buffer stays bounded.
func FuzzFramer(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s), uint8(7))
	}
	f.Add([]byte("noise"+telegram50+"\xff\xff"+telegram42[:300]+telegramBE), uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		const max = 512
		step := int(chunk) + 1
		fr := NewFramer(max, chunk%2 == 0)
		var last int64 = -1
		emit := func(x Frame) {
			if len(x.Data) > max+step || x.Offset <= last || x.Offset+int64(len(x.Data)) > int64(len(stream)) {
				t.Fatalf("frame at %d, %d bytes, after %d", x.Offset, len(x.Data), last)
			}
			if !bytes.Equal(x.Data, stream[x.Offset:x.Offset+int64(len(x.Data))]) {
				t.Fatal("frame data is not the stream's")
			}
			last = x.Offset
		}
		for i := 0; i < len(stream); i += step {
			fr.Feed(stream[i:min(i+step, len(stream))], emit)
			if len(fr.buf) > max+step {
				t.Fatalf("buffer holds %d bytes", len(fr.buf))
			}
		}
		fr.Flush(emit)
	})
}

func benchmarkParse(b *testing.B, telegram string) {
	p := newTestParser(b, "")
	data := []byte(telegram)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "telegrams/s")
}

func BenchmarkParseDSMR5(b *testing.B)   { benchmarkParse(b, telegram50) }
func BenchmarkParseDSMR22(b *testing.B)  { benchmarkParse(b, telegram22) }
func BenchmarkParseBelgian(b *testing.B) { benchmarkParse(b, telegramBE) }

// BenchmarkFrameAndParse is the whole input path for a stream of DSMR 5
// telegrams arriving in 4 KiB reads.
func BenchmarkFrameAndParse(b *testing.B) {
	p := newTestParser(b, "")
	stream := []byte(strings.Repeat(telegram50, 64))
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	n := 0
	emit := func(fr Frame) {
		if _, err := p.Parse(fr.Data); err != nil {
			b.Fatal(err)
		}
		n++
	}
	for b.Loop() {
		f := NewFramer(0, true)
		for i := 0; i < len(stream); i += 4096 {
			f.Feed(stream[i:min(i+4096, len(stream))], emit)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "telegrams/s")
}
