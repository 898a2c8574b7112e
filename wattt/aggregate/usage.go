package aggregate

// Usage is the energy and gas used within one bucket.
type Usage struct {
	Start     int64   // unix seconds
	Delivered float64 // kWh taken from the grid
	Returned  float64 // kWh fed back (solar)
	Gas       float64 // m³
	HasGas    bool
}

// Usages turns buckets sorted by Start into per-bucket usage. A bucket's
// usage runs from the last counter value before it (prev, the bucket just
// before the first one, or nil) to its own last counter value, so the energy
// between two readings that straddle a bucket boundary is not lost. When a
// counter goes backwards (meter replaced) or there is no earlier value, the
// bucket's own first-to-last difference is used.
func Usages(prev *Bucket, buckets []Bucket) []Usage {
	out := make([]Usage, len(buckets))
	var ed, er, gas *float64
	if prev != nil {
		ed, er, gas = prev.EDLast, prev.ERLast, prev.GasLast
	}
	for i, b := range buckets {
		out[i] = Usage{
			Start:     b.Start,
			Delivered: delta(ed, b.EDFirst, b.EDLast),
			Returned:  delta(er, b.ERFirst, b.ERLast),
			Gas:       delta(gas, b.GasFirst, b.GasLast),
			HasGas:    b.GasLast != nil,
		}
		ed, er, gas = orPrev(b.EDLast, ed), orPrev(b.ERLast, er), orPrev(b.GasLast, gas)
	}
	return out
}

func delta(before, first, last *float64) float64 {
	if last == nil {
		return 0
	}
	if before != nil && *before <= *last {
		return *last - *before
	}
	if first != nil {
		return *last - *first
	}
	return 0
}

func orPrev(v, prev *float64) *float64 {
	if v != nil {
		return v
	}
	return prev
}
