package simulator

import "bytes"

// Fault is what spoiled a telegram.
type Fault int

const (
	NoFault Fault = iota
	BadCRC        // one digit changed after the CRC was computed
	Cut           // the telegram stops part-way; the next one follows at once
	Noise         // random bytes before an intact telegram
	faultKinds
)

func (f Fault) String() string {
	return [...]string{"none", "bad CRC", "cut", "noise"}[f]
}

// Next advances the clock one step and returns the bytes the meter sends,
// spoiled with probability Config.Faults, and which fault it injected.
// Noise contains no '/', '!' or line ends, so that it never looks like a
// telegram: a reader must skip it and still accept the telegram after it.
func (m *Meter) Next() ([]byte, Fault) {
	t := m.Telegram()
	if m.cfg.Faults == 0 || m.rng.Float64() >= m.cfg.Faults {
		return t, NoFault
	}
	kinds := []Fault{BadCRC, Cut, Noise}
	if m.cfg.Kind == DSMR22 {
		kinds = kinds[1:] // no CRC to break
	}
	f := kinds[m.rng.IntN(len(kinds))]
	m.faults[f]++
	header := bytes.IndexByte(t, '\n') + 1
	bang := bytes.LastIndexByte(t, '!')
	switch f {
	case BadCRC:
		for {
			i := header + m.rng.IntN(bang-header)
			if c := t[i]; c >= '0' && c <= '9' {
				t[i] = '0' + (c-'0'+1+byte(m.rng.IntN(9)))%10
				return t, f
			}
		}
	case Cut:
		return t[:header+m.rng.IntN(bang-header)], f
	default:
		noise := make([]byte, 8+m.rng.IntN(120))
		for i := range noise {
			c := byte(m.rng.IntN(256))
			for c == '/' || c == '!' || c == '\n' || c == '\r' {
				c = byte(m.rng.IntN(256))
			}
			noise[i] = c
		}
		return append(noise, t...), f
	}
}

// Faults returns how many telegrams were spoiled, per fault.
func (m *Meter) Faults() map[Fault]int {
	out := map[Fault]int{}
	for f := BadCRC; f < faultKinds; f++ {
		if m.faults[f] > 0 {
			out[f] = m.faults[f]
		}
	}
	return out
}
