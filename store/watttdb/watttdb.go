// Package watttdb opens the Wattt store a setting names: a PostgreSQL URL
// (postgres://… or postgresql://…) opens store/watttpg, anything else is
// the path of a SQLite file for store/watttsqlite (optionally written
// sqlite:<path>). It is the one place that knows both implementations, so
// that commands and tools choose by configuration.
package watttdb

import (
	"context"
	"strings"

	"iotahome/store/watttpg"
	"iotahome/store/watttsqlite"
	"iotahome/wattt"
)

// IsPostgres says whether where names a PostgreSQL database.
func IsPostgres(where string) bool {
	return strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://")
}

// Open opens (creating and migrating) the store where names.
func Open(ctx context.Context, where string) (wattt.Store, error) {
	if IsPostgres(where) {
		return watttpg.Open(ctx, where)
	}
	return watttsqlite.Open(ctx, strings.TrimPrefix(where, "sqlite:"))
}

// Describe is where for logs: the database URL without its password.
func Describe(where string) string {
	if !IsPostgres(where) {
		return where
	}
	scheme, rest, _ := strings.Cut(where, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, ok := strings.Cut(rest[:at], ":"); ok {
			return scheme + "://" + user + ":***@" + rest[at+1:]
		}
	}
	return where
}
