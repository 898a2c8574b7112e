package dsmr

import "bytes"

// DefaultMaxTelegram bounds a telegram candidate. Real telegrams are 0.5–2
// KiB; a Belgian one with a full month-peak history and a long text message
// stays well under this.
const DefaultMaxTelegram = 16 << 10

// Frame is one telegram candidate cut from a byte stream.
type Frame struct {
	// Data runs from the '/' through the end of the '!' line (for
	// ErrNoHeader: the lines before the '!' line, through it). It aliases
	// the Framer's buffer and is valid only until the emit callback returns.
	Data   []byte
	Offset int64 // stream offset of Data[0]
	Line   int   // stream line number of Data[0], from 1
	// Skipped counts the bytes discarded as noise since the previous frame.
	Skipped int64
	// Err is nil for a complete candidate (Parse it), else ErrTruncated,
	// ErrTooLarge or ErrNoHeader.
	Err error
}

// FramerStats are totals since the Framer was made.
type FramerStats struct {
	Frames    int64 // complete candidates
	Truncated int64
	TooLarge  int64
	NoHeader  int64 // '!' lines without a header, partial first telegrams excluded
	Skipped   int64 // bytes of noise, including a discarded partial first telegram
}

// Framer cuts a byte stream into telegrams. Feed it bytes as they arrive;
// it calls emit for every complete candidate and every broken one. It never
// holds more than max bytes (plus one input chunk), whatever it is fed.
//
// A telegram starts at a '/' at the start of a line, or anywhere in a line
// at a '/' followed by a meter identification (three letters and a digit,
// such as "/ISk5" or "/FLU5"), so that a telegram cut off mid-line is
// reported as truncated and the next one still found. It ends at a line
// that starts with '!'.
type Framer struct {
	max            int
	discardPartial bool

	buf       []byte
	in        bool  // inside a telegram
	lineStart int   // start of the current (incomplete) line in buf
	off       int64 // stream offset of buf[0]
	line      int   // stream line number of buf[0]
	skipped   int64 // noise since the last frame
	stats     FramerStats
}

// NewFramer returns a framer bounding telegrams to max bytes (<= 0:
// DefaultMaxTelegram). With discardPartialFirst, a headerless tail before
// the first header is dropped as noise instead of reported: what a serial
// port delivers when it is opened mid-telegram.
func NewFramer(max int, discardPartialFirst bool) *Framer {
	if max <= 0 {
		max = DefaultMaxTelegram
	}
	return &Framer{max: max, discardPartial: discardPartialFirst, line: 1}
}

// Stats returns the totals so far.
func (f *Framer) Stats() FramerStats { return f.stats }

// Feed adds p to the stream.
func (f *Framer) Feed(p []byte, emit func(Frame)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.buf = append(f.buf, p...)
			f.bound(emit)
			return
		}
		f.buf = append(f.buf, p[:i+1]...)
		p = p[i+1:]
		f.endLine(emit)
		f.bound(emit)
	}
}

// Flush ends the stream: a telegram still open is emitted, complete if its
// last line is the '!' line without a line end, else as truncated.
func (f *Framer) Flush(emit func(Frame)) {
	last := f.buf[f.lineStart:]
	ends := len(last) > 0 && last[0] == '!'
	if h := headerIndex(last); h >= 0 && !f.in {
		// A header without a line end: the stream ended right after it.
		f.skip(f.lineStart + h)
		f.in = true
	}
	switch {
	case f.in && ends:
		f.emit(emit, len(f.buf), nil)
	case f.in:
		f.emit(emit, len(f.buf), ErrTruncated)
	case ends:
		f.noHeader(emit)
	default:
		f.skip(len(f.buf))
	}
	f.in = false
	f.discardPartial = false
}

func (f *Framer) endLine(emit func(Frame)) {
	line := f.buf[f.lineStart:]
	h := headerIndex(line)
	switch {
	case h >= 0 && f.in:
		f.emit(emit, f.lineStart+h, ErrTruncated)
	case h >= 0:
		f.skip(f.lineStart + h)
		f.in = true
		f.discardPartial = false
	case line[0] == '!' && f.in:
		f.emit(emit, len(f.buf), nil)
		f.in = false
		return
	case line[0] == '!':
		f.noHeader(emit)
		return
	}
	f.lineStart = len(f.buf)
}

// noHeader handles a '!' line seen outside a telegram.
func (f *Framer) noHeader(emit func(Frame)) {
	if f.discardPartial {
		f.discardPartial = false
		f.skip(len(f.buf))
		return
	}
	f.emit(emit, len(f.buf), ErrNoHeader)
}

// bound keeps the buffer under max: an oversized telegram is reported and
// dropped; noise is dropped except for its last bytes, which may be the
// start of a header.
func (f *Framer) bound(emit func(Frame)) {
	if len(f.buf) <= f.max {
		return
	}
	if f.in {
		f.emit(emit, len(f.buf), ErrTooLarge)
		f.in = false
		return
	}
	const keep = 4 // len("/ISk") - a header needs one more byte to be recognised
	f.skip(len(f.buf) - keep)
}

// emit reports buf[:n] as a frame and drops it from the buffer.
func (f *Framer) emit(emit func(Frame), n int, err error) {
	switch err {
	case nil:
		f.stats.Frames++
	case ErrTruncated:
		f.stats.Truncated++
	case ErrTooLarge:
		f.stats.TooLarge++
	case ErrNoHeader:
		f.stats.NoHeader++
	}
	emit(Frame{Data: f.buf[:n], Offset: f.off, Line: f.line, Skipped: f.skipped, Err: err})
	f.skipped = 0
	f.drop(n)
}

// skip drops buf[:n] as noise.
func (f *Framer) skip(n int) {
	f.skipped += int64(n)
	f.stats.Skipped += int64(n)
	f.drop(n)
}

func (f *Framer) drop(n int) {
	f.off += int64(n)
	f.line += bytes.Count(f.buf[:n], []byte{'\n'})
	f.buf = f.buf[:copy(f.buf, f.buf[n:])]
	f.lineStart = max(0, f.lineStart-n)
}

// headerIndex returns where a telegram header starts in line, or -1: at a
// '/' that starts the line, or at a '/' followed by a meter identification.
func headerIndex(line []byte) int {
	if len(line) > 0 && line[0] == '/' {
		return 0
	}
	for i := 1; i < len(line); {
		j := bytes.IndexByte(line[i:], '/')
		if j < 0 {
			return -1
		}
		i += j
		if i+4 < len(line) && isLetter(line[i+1]) && isLetter(line[i+2]) && isLetter(line[i+3]) && line[i+4] >= '0' && line[i+4] <= '9' {
			return i
		}
		i++
	}
	return -1
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
