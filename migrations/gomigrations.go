package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"

	"github.com/pressly/goose/v3"
)

// goMigrations are the migrations written in Go, per database. Their
// versions share the numbering of the database's SQL files.
var goMigrations = map[Database][]*goose.Migration{
	MyHome: {goose.NewGoMigration(3, &goose.GoFunc{RunTx: hashMyHomeSessions}, nil)},
}

// SessionKey is how a session id is kept at rest: hex SHA-256 of the cookie
// value, so that a copy of the database cannot be replayed as a cookie.
// My Home's store and its migration 3 both use it.
func SessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// hashMyHomeSessions (My Home 3) replaces the session ids My Home used to
// keep in clear by SessionKey of them: live sessions keep working.
func hashMyHomeSessions(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sessions`)
	if err != nil {
		return fmt.Errorf("hash sessions: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("hash sessions: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("hash sessions: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET id = ? WHERE id = ?`, SessionKey(id), id); err != nil {
			return fmt.Errorf("hash sessions: %w", err)
		}
	}
	return nil
}
