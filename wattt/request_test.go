package wattt_test

import (
	"net/url"
	"testing"
	"time"

	"iotahome/protocol/providermeta"
	"iotahome/wattt"
)

// requestOf verifies the signed consent request in a My Home URL that
// StartConsent returned, against Wattt's own provider document, as My
// Home would.
func requestOf(tb testing.TB, svc *wattt.Service, to string) providermeta.Checked {
	tb.Helper()
	u, err := url.Parse(to)
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := svc.ProviderDocument()
	if err != nil {
		tb.Fatal(err)
	}
	c, err := providermeta.Verify(u.Query().Get("request"), doc, time.Now())
	if err != nil {
		tb.Fatalf("Wattt's consent request does not verify against its own document: %v", err)
	}
	return c
}
