package tanglestore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotaledger/iota.go/trinary"
)

// TestFindUsesSelectiveIndex checks the query plans: Find must search
// through the most selective index present and never scan the table.
func TestFindUsesSelectiveIndex(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := []trinary.Hash{strings.Repeat("A", 81)}
	tag := []trinary.Trytes{strings.Repeat("B", 27)}
	for _, tc := range []struct {
		q    Query
		want []string
	}{
		{Query{Addresses: h}, []string{"transactions_address"}},
		{Query{Addresses: h, Tags: tag}, []string{"transactions_address"}},
		{Query{Tags: tag}, []string{"transactions_tag"}},
		{Query{Bundles: h, Addresses: h, Tags: tag}, []string{"transactions_bundle"}},
		{Query{Approvees: h, Addresses: h}, []string{"transactions_trunk", "transactions_branch"}},
	} {
		query, args, err := findSQL(tc.q, 10)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := st.db.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		for _, index := range tc.want {
			if !strings.Contains(joined, "INDEX "+index+" ") {
				t.Errorf("%+v: plan %q does not use %s", tc.q, joined, index)
			}
		}
		if strings.Contains(joined, "SCAN transactions") {
			t.Errorf("%+v: plan %q scans the table", tc.q, joined)
		}
	}
}
