package direct

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/iotaledger/iota.go/trinary"
)

// Cursor is what a reader has processed at one address: persist it and pass
// it back to Reader.Read. "" means nothing yet. It is opaque to callers.
//
// It holds, per day bucket still in the window (see window), the
// transactions that are done with — part of a delivered message, or never
// part of a valid one — by the first 27 trytes of their hash, and the
// content ids (bundle hash and message) of the messages delivered in the
// window, so a re-attached copy is not delivered again. A transaction that
// is in no complete bundle yet is not in it: it is looked at again.
// Buckets that leave the window are dropped, so the cursor stays small: a
// few hashes per message of the last three days, at most MaxProcessed per
// bucket under a flood.
type Cursor string

// cursorVersion is the version of the JSON inside a Cursor. Cursors of the
// earlier format ("d1.…", read by address) start over: no message was sent
// under a day tag before it.
const cursorVersion = 2

// hashKeyLength is how much of a transaction hash a cursor keeps: 27
// trytes, about 128 bits.
const hashKeyLength = 27

type cursorJSON struct {
	V         int                 `json:"v"`
	Buckets   map[string][]string `json:"b,omitempty"`
	Delivered map[string]int64    `json:"d,omitempty"` // content id → delivery time, Unix ms
}

// cursor is the decoded Cursor.
type cursor struct {
	done      map[string]map[string]struct{} // day → hash keys
	delivered map[string]int64
}

func parseCursor(c Cursor) (cursor, error) {
	cur := cursor{done: map[string]map[string]struct{}{}, delivered: map[string]int64{}}
	if c == "" || strings.HasPrefix(string(c), "d1.") {
		return cur, nil
	}
	var j cursorJSON
	if err := json.Unmarshal([]byte(c), &j); err != nil {
		return cursor{}, fmt.Errorf("direct: malformed cursor: %w", err)
	}
	if j.V != cursorVersion {
		return cursor{}, fmt.Errorf("direct: malformed cursor: version %d", j.V)
	}
	for day, keys := range j.Buckets {
		if _, err := time.Parse(dayFormat, day); err != nil {
			return cursor{}, fmt.Errorf("direct: malformed cursor: bucket %q", day)
		}
		set := make(map[string]struct{}, len(keys))
		for _, k := range keys {
			if len(k) != hashKeyLength || trinary.ValidTrytes(k) != nil {
				return cursor{}, fmt.Errorf("direct: malformed cursor: hash %q", k)
			}
			set[k] = struct{}{}
		}
		cur.done[day] = set
	}
	for id, at := range j.Delivered {
		if !validContentID(id) {
			return cursor{}, fmt.Errorf("direct: malformed cursor: content id %q", id)
		}
		cur.delivered[id] = at
	}
	return cur, nil
}

func (cur cursor) encode() Cursor {
	j := cursorJSON{V: cursorVersion, Buckets: map[string][]string{}, Delivered: cur.delivered}
	for day, set := range cur.done {
		if len(set) > 0 {
			j.Buckets[day] = slices.Sorted(maps.Keys(set))
		}
	}
	b, err := json.Marshal(j)
	if err != nil {
		panic(fmt.Sprintf("direct: encode cursor: %v", err)) // maps of strings always marshal
	}
	return Cursor(b)
}

func hashKey(h trinary.Hash) string { return string(h[:min(len(h), hashKeyLength)]) }

func (cur cursor) isDone(day string, h trinary.Hash) bool {
	_, ok := cur.done[day][hashKey(h)]
	return ok
}

func (cur cursor) markDone(day string, h trinary.Hash) {
	set := cur.done[day]
	if set == nil {
		set = map[string]struct{}{}
		cur.done[day] = set
	}
	set[hashKey(h)] = struct{}{}
}

// maxDelivered caps the content ids a cursor remembers.
const maxDelivered = 1000

// keepOnly drops the buckets outside days and the delivered ids older than
// the window, keeping at most maxDelivered of the newest.
func (cur cursor) keepOnly(days []string, now time.Time) {
	for day := range cur.done {
		if !slices.Contains(days, day) {
			delete(cur.done, day)
		}
	}
	oldest := now.Add(-time.Duration(len(days)) * 24 * time.Hour).UnixMilli()
	maps.DeleteFunc(cur.delivered, func(_ string, at int64) bool { return at < oldest })
	if len(cur.delivered) > maxDelivered {
		times := slices.Sorted(maps.Values(cur.delivered))
		cut := times[len(times)-maxDelivered]
		maps.DeleteFunc(cur.delivered, func(_ string, at int64) bool { return at < cut })
	}
}
