// Package tanglestore keeps the development Tangle node's transactions in
// SQLite: the packed transaction trytes, indexed by hash, address, bundle,
// tag and approvee (trunk/branch), in arrival order, plus the current tips.
// All of the node's SQL lives here.
package tanglestore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/migrations"
	"iotahome/store/sqlitedb"
)

// Store is the node's transaction store. Reads run concurrently on a pool of
// connections; writes go through one dedicated connection, one at a time.
type Store struct {
	db *sql.DB

	writeMu sync.Mutex // serialises use of writer
	writer  *sql.Conn

	tipMu sync.Mutex // guards tips
	tips  *tipSet
}

// Write connection settings. Inserting into six random-keyed indexes
// touches pages all over the file: a 64 MiB page cache keeps the hot index
// pages of a million-transaction database in memory, and checkpointing the
// WAL every 8192 pages (32 MiB) instead of SQLite's 1000 writes a page that
// several batches changed back to the database once instead of each time.
const (
	writerCacheKiB     = 64 * 1024
	walCheckpointPages = 8192
)

// Open opens (creating and migrating if needed) the store at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitedb.Open(ctx, path, migrations.Tangle)
	if err != nil {
		return nil, err
	}
	// Readers reuse warm connections instead of reopening (and re-running
	// the connection pragmas) under load; the writer holds one more.
	db.SetMaxIdleConns(8)
	db.SetMaxOpenConns(16)
	writer, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("tangle store writer connection: %w", err)
	}
	if _, err := writer.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d; PRAGMA wal_autocheckpoint = %d", writerCacheKiB, walCheckpointPages)); err != nil {
		writer.Close()
		db.Close()
		return nil, fmt.Errorf("tangle store writer settings: %w", err)
	}
	s := &Store{db: db, writer: writer, tips: newTipSet()}
	if err := s.loadTips(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// tipScanWindow is how many of the newest transactions loadTips looks at.
// Tips older than that are not selected after a restart, as IRI ignores
// tips below its max depth.
const tipScanWindow = 20_000

// loadTips rebuilds the tip set: the tail transactions among the newest
// ones that nothing approves.
func (s *Store) loadTips(ctx context.Context) error {
	last, err := s.LastSeq(ctx)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.hash, t.seq FROM transactions t
		WHERE t.seq > ? AND t.current_index = 0
		  AND NOT EXISTS (SELECT 1 FROM transactions a WHERE a.trunk = t.hash)
		  AND NOT EXISTS (SELECT 1 FROM transactions a WHERE a.branch = t.hash)
		ORDER BY t.seq`, last-tipScanWindow)
	if err != nil {
		return fmt.Errorf("load tips: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		var seq int64
		if err := rows.Scan(&b, &seq); err != nil {
			return fmt.Errorf("load tips: %w", err)
		}
		h, err := unpackTrytes(b, hashTrytes)
		if err != nil {
			return fmt.Errorf("load tips: %w", err)
		}
		s.tips.add(h, seq)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load tips: %w", err)
	}
	return nil
}

// Close closes the store.
func (s *Store) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	werr := s.writer.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close tangle store: %w", err)
	}
	if werr != nil {
		return fmt.Errorf("close tangle store writer: %w", werr)
	}
	return nil
}

// Transaction is one validated transaction to store: its trytes and the
// fields the store indexes, already extracted by the caller.
type Transaction struct {
	Hash         trinary.Hash
	Address      trinary.Hash
	Bundle       trinary.Hash
	Tag          trinary.Trytes // 27 trytes
	Trunk        trinary.Hash
	Branch       trinary.Hash
	CurrentIndex uint64
	ArrivedAt    int64 // unix milliseconds
	Trytes       trinary.Trytes
}

type packedTransaction struct {
	hash, address, bundle, tag, trunk, branch, trytes []byte
}

func pack(t Transaction) (packedTransaction, error) {
	var p packedTransaction
	var err error
	for _, f := range []struct {
		dst *[]byte
		src trinary.Trytes
	}{{&p.hash, t.Hash}, {&p.address, t.Address}, {&p.bundle, t.Bundle}, {&p.tag, t.Tag}, {&p.trunk, t.Trunk}, {&p.branch, t.Branch}} {
		if *f.dst, err = packTrytes(f.src); err != nil {
			return p, err
		}
	}
	if p.trytes, err = packTransaction(t.Trytes); err != nil {
		return p, err
	}
	return p, nil
}

// Insert stores txs in one SQLite transaction, so either all new ones are
// stored or none is. Transactions already stored are skipped (storing is
// idempotent, as on IRI). It keeps the tip set up to date: a new tail
// transaction is a tip unless something stored already approves it, and
// whatever a new transaction approves stops being a tip. It returns how many
// transactions were new.
func (s *Store) Insert(ctx context.Context, txs []Transaction) (int, error) {
	packed := make([]packedTransaction, len(txs))
	for i, t := range txs {
		p, err := pack(t)
		if err != nil {
			return 0, fmt.Errorf("store transaction %s: %w", t.Hash, err)
		}
		packed[i] = p
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin insert: %w", err)
	}
	defer tx.Rollback()

	insert, err := tx.PrepareContext(ctx, `INSERT INTO transactions
		(hash, address, bundle, tag, trunk, branch, current_index, arrived_at, trytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("prepare insert: %w", err)
	}
	defer insert.Close()
	approved, err := tx.PrepareContext(ctx, `SELECT EXISTS (SELECT 1 FROM transactions WHERE trunk = ?1)
		OR EXISTS (SELECT 1 FROM transactions WHERE branch = ?1)`)
	if err != nil {
		return 0, fmt.Errorf("prepare approver lookup: %w", err)
	}
	defer approved.Close()

	// What the tip set needs to know, applied after the commit.
	type tipChange struct {
		hash, trunk, branch trinary.Hash
		seq                 int64
		isTip               bool
	}
	var changes []tipChange
	for i, p := range packed {
		t := txs[i]
		res, err := insert.ExecContext(ctx, p.hash, p.address, p.bundle, p.tag, p.trunk, p.branch,
			int64(t.CurrentIndex), t.ArrivedAt, p.trytes)
		if err != nil {
			return 0, fmt.Errorf("insert transaction %s: %w", t.Hash, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, fmt.Errorf("insert transaction %s: %w", t.Hash, err)
		} else if n == 0 {
			continue // already stored
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return 0, fmt.Errorf("insert transaction %s: %w", t.Hash, err)
		}
		c := tipChange{hash: t.Hash, trunk: t.Trunk, branch: t.Branch, seq: seq}
		if t.CurrentIndex == 0 {
			// A tail is a tip unless something that arrived earlier
			// already approves it.
			var isApproved bool
			if err := approved.QueryRowContext(ctx, p.hash).Scan(&isApproved); err != nil {
				return 0, fmt.Errorf("look up approvers of %s: %w", t.Hash, err)
			}
			c.isTip = !isApproved
		}
		changes = append(changes, c)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit insert: %w", err)
	}
	s.tipMu.Lock()
	defer s.tipMu.Unlock()
	for _, c := range changes {
		s.tips.remove(c.trunk)
		s.tips.remove(c.branch)
		if c.isTip {
			s.tips.add(c.hash, c.seq)
		}
	}
	return len(changes), nil
}
