package serialport

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"iotahome/internal/envdefault"
)

// Config selects the serial device and its line settings.
type Config struct {
	Device string
	// Preset is "auto" (try every preset, keep the first that yields a
	// valid telegram) or a preset name (see Presets).
	Preset string
	// Explicit overrides; zero/empty keeps the preset's value. Any override
	// turns auto-detection off (starting from the dsmr5 preset).
	Baud     int
	DataBits int
	Parity   string
	StopBits int
	// StallTimeout: no valid telegram for this long means the port is
	// reopened (USB serial adapters stall silently).
	StallTimeout time.Duration
	// DetectWindow is how long auto-detection listens per preset. DSMR 2.2
	// to 4 meters send every 10 s.
	DetectWindow time.Duration
}

// DefaultConfig returns the defaults, overridden by the environment:
// P1_DEVICE, P1_SERIAL, P1_BAUD, P1_DATABITS, P1_PARITY, P1_STOPBITS,
// P1_STALL_TIMEOUT, P1_DETECT_WINDOW.
func DefaultConfig() Config {
	c := Config{
		Device:       envdefault.String("P1_DEVICE", "/dev/ttyUSB0"),
		Preset:       envdefault.String("P1_SERIAL", "auto"),
		Baud:         envdefault.Int("P1_BAUD", 0),
		DataBits:     envdefault.Int("P1_DATABITS", 0),
		Parity:       envdefault.String("P1_PARITY", ""),
		StopBits:     envdefault.Int("P1_STOPBITS", 0),
		StallTimeout: envdefault.Duration("P1_STALL_TIMEOUT", 30*time.Second),
		DetectWindow: envdefault.Duration("P1_DETECT_WINDOW", 11*time.Second),
	}
	return c
}

// RegisterFlags adds --device, --serial, --baud, --databits, --parity,
// --stopbits, --stall-timeout and --detect-window, defaulting to c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	var names []string
	for _, p := range Presets() {
		names = append(names, fmt.Sprintf("%s (%s: %s)", p.Name, p.Settings, p.Meters))
	}
	fs.StringVar(&c.Device, "device", c.Device, "serial device of the P1 cable (env P1_DEVICE)")
	fs.StringVar(&c.Preset, "serial", c.Preset, "line settings: auto, or one of "+strings.Join(names, ", ")+" (env P1_SERIAL)")
	fs.IntVar(&c.Baud, "baud", c.Baud, "override the baud rate (env P1_BAUD)")
	fs.IntVar(&c.DataBits, "databits", c.DataBits, "override the data bits, 7 or 8 (env P1_DATABITS)")
	fs.StringVar(&c.Parity, "parity", c.Parity, "override the parity, N, E or O (env P1_PARITY)")
	fs.IntVar(&c.StopBits, "stopbits", c.StopBits, "override the stop bits, 1 or 2 (env P1_STOPBITS)")
	fs.DurationVar(&c.StallTimeout, "stall-timeout", c.StallTimeout, "reopen the port when no valid telegram came for this long (env P1_STALL_TIMEOUT)")
	fs.DurationVar(&c.DetectWindow, "detect-window", c.DetectWindow, "with --serial auto: how long to listen per preset (env P1_DETECT_WINDOW)")
}

// Line resolves the preset and overrides: the settings to use, or auto =
// true to detect them.
func (c Config) Line() (s Settings, auto bool, err error) {
	overridden := c.Baud != 0 || c.DataBits != 0 || c.Parity != "" || c.StopBits != 0
	preset := c.Preset
	if preset == "" || strings.EqualFold(preset, "auto") {
		if !overridden {
			return Settings{}, true, nil
		}
		preset = "dsmr5"
	}
	p, ok := PresetByName(preset)
	if !ok {
		return Settings{}, false, fmt.Errorf("unknown serial preset %q", c.Preset)
	}
	s = p.Settings
	if c.Baud != 0 {
		s.Baud = c.Baud
	}
	if c.DataBits != 0 {
		s.DataBits = c.DataBits
	}
	if c.Parity != "" {
		s.Parity = strings.ToUpper(c.Parity)[0]
	}
	if c.StopBits != 0 {
		s.StopBits = c.StopBits
	}
	if err := s.Validate(); err != nil {
		return Settings{}, false, fmt.Errorf("serial settings: %w", err)
	}
	return s, false, nil
}
