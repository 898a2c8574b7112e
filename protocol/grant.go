package protocol

import (
	"slices"
	"time"
)

// Kinds of data a consent grants, in the order pages list them.
const (
	KindElectricity = "electricity" // energy registers per tariff, power now, tariff
	KindPhases      = "phases"      // voltage, current and power per phase
	KindGas         = "gas"
	KindWater       = "water"
	KindHeat        = "heat"
)

// Kinds lists every kind of data, in display order.
var Kinds = []string{KindElectricity, KindPhases, KindGas, KindWater, KindHeat}

// IsKind reports whether k is one of Kinds.
func IsKind(k string) bool { return slices.Contains(Kinds, k) }

// Resolution is how finely a provider may see the readings.
type Resolution string

// Resolutions a consent may grant.
const (
	ResolutionRaw Resolution = "raw" // every telegram
	Resolution1m  Resolution = "1m"
	Resolution15m Resolution = "15m"
	Resolution1h  Resolution = "1h"
	Resolution1d  Resolution = "1d"
)

// Resolutions lists every resolution, finest first.
var Resolutions = []Resolution{ResolutionRaw, Resolution1m, Resolution15m, Resolution1h, Resolution1d}

// Valid reports whether r is one of Resolutions.
func (r Resolution) Valid() bool { return slices.Contains(Resolutions, r) }

// Period is the length of one aggregation period; 0 for raw.
func (r Resolution) Period() time.Duration {
	switch r {
	case Resolution1m:
		return time.Minute
	case Resolution15m:
		return 15 * time.Minute
	case Resolution1h:
		return time.Hour
	case Resolution1d:
		return 24 * time.Hour
	}
	return 0
}

// OrRaw is r, or ResolutionRaw for an event that named none.
func (r Resolution) OrRaw() Resolution {
	if r == "" {
		return ResolutionRaw
	}
	return r
}
