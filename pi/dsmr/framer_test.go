package dsmr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// got is what a test records of one frame.
type got struct {
	offset  int64
	line    int
	skipped int64
	err     error
	valid   bool // Parse accepted it
}

func frameAll(t *testing.T, f *Framer, stream []byte, chunk int) []got {
	t.Helper()
	p := newTestParser(t, "")
	var out []got
	emit := func(fr Frame) {
		g := got{offset: fr.Offset, line: fr.Line, skipped: fr.Skipped, err: fr.Err}
		if fr.Err == nil {
			_, err := p.Parse(fr.Data)
			g.valid = err == nil
		}
		if fr.Err == nil || fr.Err == ErrTruncated {
			if fr.Data[0] != '/' {
				t.Errorf("frame at %d does not start with '/': %q", fr.Offset, fr.Data[:min(20, len(fr.Data))])
			}
		}
		if !bytes.Equal(fr.Data, stream[fr.Offset:fr.Offset+int64(len(fr.Data))]) {
			t.Errorf("frame at %d: data is not the stream at its offset", fr.Offset)
		}
		if want := bytes.Count(stream[:fr.Offset], []byte{'\n'}) + 1; fr.Line != want {
			t.Errorf("frame at %d: line %d, want %d", fr.Offset, fr.Line, want)
		}
		out = append(out, g)
	}
	for i := 0; i < len(stream); i += chunk {
		f.Feed(stream[i:min(i+chunk, len(stream))], emit)
	}
	f.Flush(emit)
	return out
}

func TestFramerStream(t *testing.T) {
	noise := "\x00\xff\x13garbage at the wrong baud rate\r\n\xfe\xfe"
	cut := telegram50[:417] // ends mid-line
	tail := telegram42[len(telegram42)/2:]
	parts := []string{
		noise,          // skipped
		telegram50,     // valid
		"\r\n",         // skipped
		telegram22,     // valid
		cut,            // truncated: the next header follows mid-line
		telegramBE,     // valid
		tail,           // no header
		noise,          // skipped
		telegram42,     // valid
		telegram50[:9], // truncated at the end of the stream
	}
	stream := []byte(strings.Join(parts, ""))
	off := func(i int) int64 { return int64(len(strings.Join(parts[:i], ""))) }
	want := []got{
		{off(1), 0, int64(len(noise)), nil, true},
		{off(3), 0, 2, nil, true},
		{off(4), 0, 0, ErrTruncated, false},
		{off(5), 0, 0, nil, true},
		{off(6), 0, 0, ErrNoHeader, false},
		{off(8), 0, int64(len(noise)), nil, true},
		{off(9), 0, 0, ErrTruncated, false},
	}
	for _, chunk := range []int{1, 7, 64, 4096, len(stream)} {
		t.Run(fmt.Sprint("chunk ", chunk), func(t *testing.T) {
			f := NewFramer(0, false)
			frames := frameAll(t, f, stream, chunk)
			for i := range frames {
				frames[i].line = 0
			}
			if fmt.Sprint(frames) != fmt.Sprint(want) {
				t.Errorf("frames\n got %v\nwant %v", frames, want)
			}
			st := f.Stats()
			if st.Frames != 4 || st.Truncated != 2 || st.NoHeader != 1 || st.Skipped != int64(2*len(noise)+2) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestFramerPartialFirst(t *testing.T) {
	stream := []byte(telegram42[100:] + telegram50)
	for _, discard := range []bool{true, false} {
		f := NewFramer(0, discard)
		frames := frameAll(t, f, stream, 50)
		if discard {
			if len(frames) != 1 || !frames[0].valid || frames[0].skipped != int64(len(telegram42)-100) {
				t.Errorf("discarding: frames %v", frames)
			}
			continue
		}
		if len(frames) != 2 || frames[0].err != ErrNoHeader || !frames[1].valid {
			t.Errorf("keeping: frames %v", frames)
		}
	}
	// Only the first headerless tail is forgiven.
	f := NewFramer(0, true)
	frames := frameAll(t, f, []byte(telegram50+telegram42[100:]), 50)
	if len(frames) != 2 || frames[1].err != ErrNoHeader {
		t.Errorf("later headerless tail: frames %v", frames)
	}
}

func TestFramerBounds(t *testing.T) {
	const max = 2048
	t.Run("noise without line ends", func(t *testing.T) {
		f := NewFramer(max, false)
		junk := bytes.Repeat([]byte{0xAA, 'x', '(', ')'}, 256)
		for range 1000 {
			f.Feed(junk, func(fr Frame) { t.Errorf("frame from noise: %v", fr.Err) })
			if cap(f.buf) > 2*max+len(junk) {
				t.Fatalf("buffer grew to %d", cap(f.buf))
			}
		}
		// A header straddling the point where noise is dropped is still found.
		var frames []Frame
		f.Feed([]byte("/KF"), func(Frame) {})
		f.Feed(bytes.Repeat([]byte{'y'}, max-1), func(Frame) {})
		f.Feed([]byte(telegram42), func(fr Frame) { frames = append(frames, fr) })
		if len(frames) != 1 || frames[0].Err != nil {
			t.Errorf("telegram after noise: %v", frames)
		}
	})
	t.Run("oversized telegram", func(t *testing.T) {
		f := NewFramer(max, false)
		big := "/ISk5\\2MT382-1000\r\n" + strings.Repeat("1-0:99.1.0(1)\r\n", 300) + "!\r\n"
		var errs []error
		var valid int
		p := newTestParser(t, "")
		emit := func(fr Frame) {
			errs = append(errs, fr.Err)
			if fr.Err == nil {
				if _, err := p.Parse(fr.Data); err == nil {
					valid++
				}
			}
		}
		f.Feed([]byte(big+telegram50), emit)
		f.Flush(emit)
		// The rest of the big telegram is noise; its '!' line is reported.
		if len(errs) != 3 || !errors.Is(errs[0], ErrTooLarge) || !errors.Is(errs[1], ErrNoHeader) || errs[2] != nil || valid != 1 {
			t.Errorf("errors %v, valid %d", errs, valid)
		}
	})
	t.Run("final end line without line end", func(t *testing.T) {
		f := NewFramer(0, false)
		frames := frameAll(t, f, []byte(strings.TrimSuffix(telegram42, "\r\n")), 100)
		if len(frames) != 1 || !frames[0].valid {
			t.Errorf("frames %v", frames)
		}
	})
}

func TestHeaderIndex(t *testing.T) {
	tests := map[string]int{
		"/ISk5\\2MT382-1000\r\n":        0,
		"/x\r\n":                        0,
		"1-0:32.7.0(23/KFM5KAIFA\r\n":   13,
		"\xff\xfe/FLU5\\253769484_A\n":  2,
		"0-0:96.13.0(see a/b/c)\r\n":    -1,
		"0-0:96.13.0(http://x.nl)\r\n":  -1,
		"1-0:1.8.1(001581.123*kWh)\r\n": -1,
		"abc/ABC":                       -1,
	}
	for line, want := range tests {
		if got := headerIndex([]byte(line)); got != want {
			t.Errorf("headerIndex(%q) = %d, want %d", line, got, want)
		}
	}
}
