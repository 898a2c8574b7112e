package tanglestore

import (
	"context"
	"fmt"
	"strings"

	"github.com/iotaledger/iota.go/trinary"
)

const hashTrytes = 81

// Query selects transactions the way IRI's findTransactions does: within a
// field any value matches (union), across non-empty fields all must match
// (intersection). Approvees match transactions whose trunk or branch is one
// of the given hashes. Tags are 27 trytes.
type Query struct {
	Addresses []trinary.Hash
	Bundles   []trinary.Hash
	Tags      []trinary.Trytes
	Approvees []trinary.Hash
}

// Empty reports whether q has no criteria at all.
func (q Query) Empty() bool {
	return len(q.Addresses) == 0 && len(q.Bundles) == 0 && len(q.Tags) == 0 && len(q.Approvees) == 0
}

// Find returns the hashes of the transactions matching q in arrival order,
// at most limit of them.
func (s *Store) Find(ctx context.Context, q Query, limit int) ([]trinary.Hash, error) {
	if q.Empty() {
		return nil, nil
	}
	query, args, err := findSQL(q, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find transactions: %w", err)
	}
	defer rows.Close()
	var hashes []trinary.Hash
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("find transactions: %w", err)
		}
		h, err := unpackTrytes(b, hashTrytes)
		if err != nil {
			return nil, fmt.Errorf("find transactions: %w", err)
		}
		hashes = append(hashes, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find transactions: %w", err)
	}
	return hashes, nil
}

// findSQL builds Find's query for a non-empty q.
func findSQL(q Query, limit int) (string, []any, error) {
	var where []string
	var args []any
	in := func(values []trinary.Trytes) (string, error) {
		marks := make([]string, len(values))
		for i, v := range values {
			b, err := packTrytes(v)
			if err != nil {
				return "", err
			}
			marks[i] = "?"
			args = append(args, b)
		}
		return "(" + strings.Join(marks, ",") + ")", nil
	}
	// SQLite has no statistics to choose the most selective index and, left
	// alone, picks the tag index, which matches whole applications' traffic.
	// So the most selective key present drives the query and a unary + keeps
	// the others off their indexes: a bundle has a few transactions,
	// approvees a few approvers, an address can collect many, a tag most.
	var driving string
	switch {
	case len(q.Bundles) > 0:
		driving = "bundle"
	case len(q.Approvees) > 0:
		driving = "approvees"
	case len(q.Addresses) > 0:
		driving = "address"
	default:
		driving = "tag"
	}
	col := func(name, key string) string {
		if key == driving {
			return name
		}
		return "+" + name
	}
	for _, f := range []struct {
		column string
		values []trinary.Trytes
	}{{"address", q.Addresses}, {"bundle", q.Bundles}, {"tag", q.Tags}} {
		if len(f.values) == 0 {
			continue
		}
		list, err := in(f.values)
		if err != nil {
			return "", nil, fmt.Errorf("find transactions by %s: %w", f.column, err)
		}
		where = append(where, col(f.column, f.column)+" IN "+list)
	}
	if len(q.Approvees) > 0 {
		trunks, err := in(q.Approvees)
		if err != nil {
			return "", nil, fmt.Errorf("find transactions by approvee: %w", err)
		}
		branches, _ := in(q.Approvees)
		where = append(where, "("+col("trunk", "approvees")+" IN "+trunks+" OR "+col("branch", "approvees")+" IN "+branches+")")
	}
	args = append(args, limit)
	// "+seq" keeps SQLite from walking the whole table in rowid order to
	// satisfy ORDER BY: the matching rows are few, found through the indexes.
	query := "SELECT hash FROM transactions WHERE " + strings.Join(where, " AND ") + " ORDER BY +seq LIMIT ?"
	return query, args, nil
}

// Trytes returns the trytes of the transactions with the given hashes, in the
// same order, with "" for hashes that are not stored.
func (s *Store) Trytes(ctx context.Context, hashes []trinary.Hash) ([]trinary.Trytes, error) {
	out := make([]trinary.Trytes, len(hashes))
	if len(hashes) == 0 {
		return out, nil
	}
	index := make(map[string][]int, len(hashes))
	marks := make([]string, len(hashes))
	args := make([]any, len(hashes))
	for i, h := range hashes {
		b, err := packTrytes(h)
		if err != nil {
			return nil, fmt.Errorf("get trytes: %w", err)
		}
		index[string(b)] = append(index[string(b)], i)
		marks[i] = "?"
		args[i] = b
	}
	rows, err := s.db.QueryContext(ctx,
		"SELECT hash, trytes FROM transactions WHERE hash IN ("+strings.Join(marks, ",")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("get trytes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, packed []byte
		if err := rows.Scan(&h, &packed); err != nil {
			return nil, fmt.Errorf("get trytes: %w", err)
		}
		t, err := unpackTransaction(packed)
		if err != nil {
			return nil, fmt.Errorf("get trytes: %w", err)
		}
		for _, i := range index[string(h)] {
			out[i] = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get trytes: %w", err)
	}
	return out, nil
}

// Tips returns up to n tips, newest first.
func (s *Store) Tips(n int) []trinary.Hash {
	s.tipMu.Lock()
	defer s.tipMu.Unlock()
	return s.tips.newest(n)
}

// TipCount returns the number of tips.
func (s *Store) TipCount() int {
	s.tipMu.Lock()
	defer s.tipMu.Unlock()
	return len(s.tips.seqs)
}

// LastSeq returns the arrival sequence number of the newest transaction (0
// when empty): a cheap stand-in for the transaction count.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM transactions").Scan(&n); err != nil {
		return 0, fmt.Errorf("last transaction sequence number: %w", err)
	}
	return n, nil
}
