package direct

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iotaledger/iota.go/bundle"

	"iotahome/tangle/client"
)

// Cursor marks how far a reader has read an address. "" means from the
// start. It is opaque: persist it and pass it back to List.
//
// A message's place in the order is its effective time: the tail
// transaction's attachment timestamp, clamped to the reader's clock so a
// message dated in the future cannot push the cursor past later ones;
// ties are broken by content id (a hash of bundle hash and message: the
// bundle hash alone does not cover the message, so it cannot tell a
// forged copy from the original). The cursor holds a low-water mark L and
// the ids of the bundles already seen at or after L. A bundle is new when its
// effective time is ≥ L and it is not in that set, so a message that
// arrives late with the same (or a somewhat earlier) timestamp than one
// already read is still delivered. After each List, L moves up to
// now − Window (never down) and the set keeps only bundles at or after L,
// so the cursor stays small: its size is the number of messages that
// arrived within Window, capped at MaxSeen.
//
// What can be missed: a bundle that reaches the node more than Window
// after its own attachment timestamp (the sender's clock far behind), and,
// under a flood of more than MaxSeen messages within Window, bundles older
// than the MaxSeen newest.
type Cursor string

const (
	// Window is how late (relative to its attachment timestamp) a message
	// may reach the node and still be delivered.
	Window = time.Hour
	// MaxSeen caps the bundles a cursor remembers.
	MaxSeen       = 1000
	cursorVersion = "d1"
)

// cursor is the decoded Cursor.
type cursor struct {
	low  int64               // low-water mark, Unix ms
	seen map[string]struct{} // content ids at or after low
}

func parseCursor(c Cursor) (cursor, error) {
	cur := cursor{low: 0, seen: map[string]struct{}{}}
	if c == "" {
		return cur, nil
	}
	parts := strings.Split(string(c), ".")
	if len(parts) != 3 || parts[0] != cursorVersion {
		return cursor{}, fmt.Errorf("direct: malformed cursor")
	}
	low, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return cursor{}, fmt.Errorf("direct: malformed cursor: %w", err)
	}
	cur.low = low
	if parts[2] != "" {
		for h := range strings.SplitSeq(parts[2], ",") {
			if !validContentID(h) {
				return cursor{}, fmt.Errorf("direct: malformed cursor: bad bundle id %q", h)
			}
			cur.seen[h] = struct{}{}
		}
	}
	return cur, nil
}

// seenBundle is a bundle the cursor must remember.
type seenBundle struct {
	at int64  // effective time, Unix ms
	id string // contentID
}

func compareSeen(a, b seenBundle) int {
	return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.id, b.id))
}

// contentIDLength is the length of a content id: 128 bits in hex.
const contentIDLength = 32

// contentID identifies a bundle by what it says: SHA-256 of bundle hash
// and message, truncated to 128 bits. Re-attachments share it.
func contentID(b bundle.Bundle) string {
	h := sha256.New()
	h.Write([]byte(b[0].Bundle))
	h.Write([]byte(client.Message(b)))
	return hex.EncodeToString(h.Sum(nil)[:contentIDLength/2])
}

func validContentID(s string) bool {
	if len(s) != contentIDLength {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// next builds the cursor after a List at time now that saw all of known
// (every bundle at the address with effective time ≥ the old mark).
func (cur cursor) next(now time.Time, known []seenBundle) Cursor {
	low := max(cur.low, now.Add(-Window).UnixMilli())
	keep := slices.DeleteFunc(slices.Clone(known), func(s seenBundle) bool { return s.at < low })
	slices.SortFunc(keep, compareSeen)
	if len(keep) > MaxSeen {
		// Keep the newest MaxSeen. Raising the mark to the oldest kept
		// bundle's time could re-deliver same-time bundles that are
		// dropped, so the mark goes just past the dropped ones.
		cut := keep[len(keep)-MaxSeen-1].at + 1
		low = max(low, cut)
		keep = slices.DeleteFunc(keep, func(s seenBundle) bool { return s.at < low })
	}
	ids := make([]string, len(keep))
	for i, s := range keep {
		ids[i] = s.id
	}
	slices.Sort(ids)
	return Cursor(cursorVersion + "." + strconv.FormatInt(low, 10) + "." + strings.Join(slices.Compact(ids), ","))
}

// isNew says whether a bundle has not been delivered under cur.
func (cur cursor) isNew(s seenBundle) bool {
	if s.at < cur.low {
		return false
	}
	_, seen := cur.seen[s.id]
	return !seen
}
