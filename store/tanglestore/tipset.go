package tanglestore

import "github.com/iotaledger/iota.go/trinary"

// tipSet holds the current tips in memory, newest last. Keeping them out of
// SQLite saves every insert two random index writes (delete the approved
// tips, add the new one); at start-up the set is rebuilt from the newest
// transactions (see loadTips).
//
// order lists tips by arrival; entries whose hash has left seqs (approved
// since) or was re-added later are stale and skipped, and compacted away
// once they outnumber the live ones.
type tipSet struct {
	seqs  map[trinary.Hash]int64
	order []tipEntry
}

type tipEntry struct {
	hash trinary.Hash
	seq  int64
}

// maxTips bounds the set: a client that stores many transactions nobody
// approves would otherwise grow it without limit. The oldest go first; like
// IRI's tips below max depth, they are simply no longer selected.
const maxTips = 10_000

func newTipSet() *tipSet {
	return &tipSet{seqs: make(map[trinary.Hash]int64)}
}

func (s *tipSet) add(h trinary.Hash, seq int64) {
	s.seqs[h] = seq
	s.order = append(s.order, tipEntry{h, seq})
	for len(s.seqs) > maxTips {
		oldest := s.order[0]
		s.order = s.order[1:]
		if s.live(oldest) {
			delete(s.seqs, oldest.hash)
		}
	}
	s.compact()
}

func (s *tipSet) remove(h trinary.Hash) {
	delete(s.seqs, h)
}

func (s *tipSet) live(e tipEntry) bool {
	seq, ok := s.seqs[e.hash]
	return ok && seq == e.seq
}

func (s *tipSet) compact() {
	if len(s.order) <= 2*len(s.seqs)+1024 {
		return
	}
	live := make([]tipEntry, 0, len(s.seqs))
	for _, e := range s.order {
		if s.live(e) {
			live = append(live, e)
		}
	}
	s.order = live
}

// newest returns up to n tips, newest first.
func (s *tipSet) newest(n int) []trinary.Hash {
	var out []trinary.Hash
	for i := len(s.order) - 1; i >= 0 && len(out) < n; i-- {
		if e := s.order[i]; s.live(e) {
			out = append(out, e.hash)
		}
	}
	return out
}
