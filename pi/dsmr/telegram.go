package dsmr

import (
	"time"

	"iotahome/protocol"
)

// Country decides the meaning of tariffs 1 and 2 and the time zone.
const (
	NL = "NL" // tariff 1 = low, tariff 2 = normal; Europe/Amsterdam
	BE = "BE" // tariff 1 = day (normal), tariff 2 = night (low); Europe/Brussels
)

// VersionLegacy is Telegram.Version for telegrams without a version line:
// DSMR 2.2 and 3.0 cannot be told apart from their content.
const VersionLegacy = "2.2/3.0"

// Telegram is everything a telegram said. Reading is the part a service
// provider may receive; the rest (equipment ids, text messages) stays on the
// reader because it identifies the meter or the household.
type Telegram struct {
	Header      string `json:"header"`                // identification line without the '/'
	Version     string `json:"version"`               // "2.2/3.0", "4.0", "4.2", "5.0", ...
	VersionCode string `json:"versionCode,omitempty"` // as sent: 1-3:0.2.8 or Belgian 0-0:96.1.4
	Country     string `json:"country"`               // NL or BE
	HasCRC      bool   `json:"hasCRC"`
	CRC         uint16 `json:"crc,omitempty"`

	EquipmentID string `json:"equipmentId,omitempty"` // 0-0:96.1.1, hex-decoded when it is hex
	TextCode    string `json:"textCode,omitempty"`    // 0-0:96.13.1 (DSMR 2.2/3)
	Text        string `json:"text,omitempty"`        // 0-0:96.13.0, hex-decoded when it is hex

	PowerFailureLog []PowerFailure `json:"powerFailureLog,omitempty"`
	// MonthPeakTime is when Reading.MonthPeak (Belgian 1-0:1.6.0) occurred.
	MonthPeakTime time.Time    `json:"monthPeakTime,omitzero"`
	MBus          []MBusDevice `json:"mbusDevices,omitempty"`

	Reading protocol.Reading `json:"reading"`

	Unknown     []RawLine    `json:"unknown,omitempty"`     // OBIS lines this package does not interpret
	FieldErrors []FieldError `json:"fieldErrors,omitempty"` // values that could not be used as sent

	// Backing storage for the pointers and slices in Reading, so that a
	// parse costs a handful of allocations instead of one per value.
	nums    [numCount]float64
	ints    [intCount]int
	phases  [3]protocol.Phase
	mbusR   [4]protocol.MBusReading
	mbusD   [4]MBusDevice
	unknown [8]RawLine
}

// PowerFailure is one entry of the long power failure log (1-0:99.97.0).
type PowerFailure struct {
	End     time.Time `json:"end"`
	Seconds int64     `json:"seconds"` // duration of the failure
}

// MBusDevice is an M-Bus device (gas, water, heat meter) as announced by the
// telegram; its last reading, if any, is in Reading.MBus.
type MBusDevice struct {
	Channel     int    `json:"ch"`
	Type        int    `json:"type"` // protocol.MBusGas, MBusHeat, MBusWater, 0 if not sent
	EquipmentID string `json:"equipmentId,omitempty"`
}

// RawLine is an OBIS line kept as sent.
type RawLine struct {
	OBIS  string `json:"obis"`
	Value string `json:"value"` // everything after the OBIS code, parentheses included
}
