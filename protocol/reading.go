package protocol

import "time"

// ReadingSchema names the version of the Reading JSON schema
// (docs/reading-schema.md). Bump it on any incompatible change.
const ReadingSchema = "iotahome.reading/1"

// Reading is what a provider receives for one telegram: readings, never the
// raw telegram (which carries the meter's serial number). Absent values are
// nil and omitted from JSON. Energy in kWh, power in kW, voltage in V,
// current in A, gas and water in m³, heat in GJ.
type Reading struct {
	Time time.Time `json:"t"`
	// Tariff1/Tariff2: in the Netherlands tariff 1 is "low" and tariff 2
	// "normal"; in Belgium the reverse. TariffMeaning says which applies.
	TariffMeaning string `json:"tariffMeaning,omitempty"` // "NL" or "BE"

	DeliveredT1 *float64 `json:"dT1,omitempty"` // electricity delivered to client, tariff 1
	DeliveredT2 *float64 `json:"dT2,omitempty"`
	ReturnedT1  *float64 `json:"rT1,omitempty"` // electricity returned by client, tariff 1
	ReturnedT2  *float64 `json:"rT2,omitempty"`
	Tariff      *int     `json:"tariff,omitempty"` // active tariff, 1 or 2

	PowerDelivered *float64 `json:"pD,omitempty"`
	PowerReturned  *float64 `json:"pR,omitempty"`

	Phases []Phase `json:"phases,omitempty"`

	PowerFailures     *int `json:"pf,omitempty"`
	LongPowerFailures *int `json:"lpf,omitempty"`

	// Belgian extras.
	AverageDemand *float64 `json:"avgDemand,omitempty"` // current average demand, kW
	MonthPeak     *float64 `json:"monthPeak,omitempty"` // peak of the month, kW

	MBus []MBusReading `json:"mbus,omitempty"`
}

// Phase holds per-phase instantaneous values (L1..L3).
type Phase struct {
	Phase          int      `json:"l"`
	Voltage        *float64 `json:"v,omitempty"`
	Current        *float64 `json:"i,omitempty"`
	PowerDelivered *float64 `json:"pD,omitempty"`
	PowerReturned  *float64 `json:"pR,omitempty"`
	VoltageSags    *int     `json:"sags,omitempty"`
	VoltageSwells  *int     `json:"swells,omitempty"`
}

// MBus device types (DSMR).
const (
	MBusGas   = 3
	MBusHeat  = 4
	MBusWater = 7
)

// MBusReading is the last reading of one M-Bus device (gas, water, heat).
type MBusReading struct {
	Channel int       `json:"ch"`   // 1..4
	Type    int       `json:"type"` // MBusGas, MBusHeat, MBusWater, or other
	Time    time.Time `json:"t"`    // the device's own timestamp
	Value   float64   `json:"value"`
	Unit    string    `json:"unit"` // "m3" or "GJ"
}

// DataBody is a batch of readings, oldest first. Seq is the outbox sequence
// number of the first reading so that a receiver can detect gaps and drop
// duplicates after a re-send.
type DataBody struct {
	Schema string `json:"schema"`
	Seq    uint64 `json:"seq"`
	// Readings is absent from the JSON when Packed carries them
	// (docs/protocol.md): never "r": null.
	Readings []Reading `json:"r,omitempty"`
	// Packed, when not empty, carries the readings instead of Readings:
	// base64 (standard, padded) of the raw DEFLATE of the JSON array of
	// readings, about ten times smaller for 20 readings (see PackReadings).
	// Read a DataBody with AllReadings, which handles both forms.
	Packed string `json:"z,omitempty"`
}
