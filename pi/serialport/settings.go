// Package serialport reads P1 telegrams from a serial port (github.com/tarm/serial):
// line settings per DSMR version with explicit overrides and auto-detection,
// and a Source that frames, checks and hands over telegrams forever,
// reopening the port on read errors, unplugging and silent stalls.
package serialport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tarm/serial"
)

// Settings of a serial line.
type Settings struct {
	Baud     int
	DataBits int  // 7 or 8
	Parity   byte // 'N', 'E' or 'O'
	StopBits int  // 1 or 2
}

// String gives the usual notation, e.g. "115200 8N1".
func (s Settings) String() string {
	return fmt.Sprintf("%d %d%c%d", s.Baud, s.DataBits, s.Parity, s.StopBits)
}

// ParseSettings reads "115200 8N1" or "9600 7E1".
func ParseSettings(text string) (Settings, error) {
	baud, frame, ok := strings.Cut(strings.TrimSpace(text), " ")
	if !ok || len(frame) != 3 {
		return Settings{}, fmt.Errorf("serial settings %q: want e.g. \"115200 8N1\"", text)
	}
	b, err := strconv.Atoi(baud)
	if err != nil {
		return Settings{}, fmt.Errorf("serial settings %q: baud: %w", text, err)
	}
	s := Settings{Baud: b, DataBits: int(frame[0] - '0'), Parity: frame[1] &^ 0x20, StopBits: int(frame[2] - '0')}
	return s, s.Validate()
}

// Validate reports settings tarm/serial cannot apply.
func (s Settings) Validate() error {
	if s.Baud <= 0 {
		return fmt.Errorf("baud rate %d", s.Baud)
	}
	if s.DataBits != 7 && s.DataBits != 8 {
		return fmt.Errorf("%d data bits: want 7 or 8", s.DataBits)
	}
	if s.Parity != 'N' && s.Parity != 'E' && s.Parity != 'O' {
		return fmt.Errorf("parity %q: want N, E or O", s.Parity)
	}
	if s.StopBits != 1 && s.StopBits != 2 {
		return fmt.Errorf("%d stop bits: want 1 or 2", s.StopBits)
	}
	return nil
}

func (s Settings) config(name string) *serial.Config {
	return &serial.Config{
		Name:     name,
		Baud:     s.Baud,
		Size:     byte(s.DataBits),
		Parity:   serial.Parity(s.Parity),
		StopBits: serial.StopBits(s.StopBits),
	}
}

// Preset is a named line setting for a family of meters.
type Preset struct {
	Name     string
	Settings Settings
	Meters   string
}

// Presets returns the known line settings in the order auto-detection
// tries them: the most common first.
func Presets() []Preset {
	return []Preset{
		{"dsmr5", Settings{115200, 8, 'N', 1}, "DSMR 4.x and 5.0, Belgian e-MUCS"},
		{"dsmr4-7e1", Settings{115200, 7, 'E', 1}, "some DSMR 4 meters"},
		{"dsmr22", Settings{9600, 7, 'E', 1}, "DSMR 2.2 and 3.0"},
	}
}

// PresetByName finds a preset; "dsmr4" and "dsmr3" are accepted as aliases.
func PresetByName(name string) (Preset, bool) {
	switch strings.ToLower(name) {
	case "dsmr4":
		name = "dsmr5"
	case "dsmr3", "dsmr2":
		name = "dsmr22"
	}
	for _, p := range Presets() {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Preset{}, false
}
