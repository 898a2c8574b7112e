package mamch

import (
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/trinary"
)

// Reading many channels at once. A provider follows thousands of channels,
// most of which have nothing new most of the time. Asking the node once per
// channel (Fetch) costs a request per channel per poll; instead a poller
// computes each channel's current Address, asks the node for all of them in
// one request (client.BundlesAt), and hands what came back to ReadFound,
// which decrypts every message and checks all their signatures in one pass.

// Address is where the message at root lives on the Tangle (81 trytes, no
// checksum). mode and sideKey are checked as a reader's are; the address
// itself depends on the root alone (Curl-P81 of the root, as
// mam.client.js and @iota/mam.js address every mode).
func Address(root trinary.Trytes, mode Mode, sideKey trinary.Trytes) (trinary.Hash, error) {
	rootTrits, _, err := readerKeys(root, mode, sideKey)
	if err != nil {
		return "", err
	}
	return channelAddress(rootTrits), nil
}

// Found is what the node holds at one channel's current Address.
type Found struct {
	Root    trinary.Trytes
	Mode    Mode
	SideKey trinary.Trytes
	Bundles []bundle.Bundle // as client.BundlesAt returns them (earliest first)
}

// Read is the outcome of reading one Found: the message at its root (nil
// when no bundle there decrypts to a message signed for the root: nothing
// yet, or only garbage and forgeries, which are logged and skipped) and the
// root to continue from (Root itself when Msg is nil). Err is set only when
// the root or side key themselves are unusable.
type Read struct {
	Msg  *Message
	Next trinary.Trytes
	Err  error
}

// ReadFound reads the message at each Found root, as FetchOne would from
// the same bundles, verifying all signatures in one batch (the 64-lane
// hasher stays busy across channels). reads[i] belongs to found[i].
func ReadFound(found []Found) []Read {
	reads := make([]Read, len(found))
	roots := make([]atRoot, 0, len(found))
	index := make([]int, 0, len(found)) // roots[j] belongs to found[index[j]]
	for i, f := range found {
		reads[i].Next = f.Root
		rootTrits, key, err := readerKeys(f.Root, f.Mode, f.SideKey)
		if err != nil {
			reads[i].Err = err
			continue
		}
		roots = append(roots, decodeAt(f.Root, rootTrits, key, f.Bundles))
		index = append(index, i)
	}
	verifyRoots(roots)
	for j, r := range roots {
		if msg, next, _ := r.choose(); msg != nil {
			reads[index[j]].Msg, reads[index[j]].Next = msg, next
		}
	}
	return reads
}
