package direct

import (
	"crypto/sha256"
	"time"

	"github.com/iotaledger/iota.go/trinary"
)

// tagAlphabet is the tryte alphabet, by value 0–26.
const tagAlphabet = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// dayFormat names a bucket: the UTC date.
const dayFormat = "2006-01-02"

// Tag is the tag of direct messages sent to address on the given UTC day:
// with h = SHA-256("iotahome/direct/1|" + address + "|" + YYYY-MM-DD),
// tryte i is tagAlphabet[h[i] mod 27], for i = 0…26. Readers ask the node
// for these tags only (findTransactions by tag), so transactions sent to
// the address under any other tag cost them nothing, and a flood of one
// day's tag is forgotten the day after next.
func Tag(address trinary.Hash, day time.Time) trinary.Trytes {
	return dayTag(address, day.UTC().Format(dayFormat))
}

func dayTag(address trinary.Hash, day string) trinary.Trytes {
	h := sha256.Sum256([]byte("iotahome/direct/1|" + string(address) + "|" + day))
	var t [27]byte
	for i := range t {
		t[i] = tagAlphabet[h[i]%27]
	}
	return trinary.Trytes(t[:])
}

// window is the days a reader asks for at time now, oldest first:
// yesterday (a message sent just before midnight, read after), today, and
// tomorrow (a sender whose clock is ahead).
func window(now time.Time) []string {
	today := now.UTC()
	return []string{
		today.AddDate(0, 0, -1).Format(dayFormat),
		today.Format(dayFormat),
		today.AddDate(0, 0, 1).Format(dayFormat),
	}
}
