package tangletest_test

import (
	"bytes"
	"net/http"
	"testing"

	"iotahome/tangle/tangletest"
)

func nodeInfo(t *testing.T, url string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(`{"command":"getNodeInfo"}`)))
	req.Header.Set("X-IOTA-API-Version", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestStartRestartStop(t *testing.T) {
	n := tangletest.StartNode(t, 9)
	if status, err := nodeInfo(t, n.URL); err != nil || status != http.StatusOK {
		t.Fatalf("getNodeInfo: %d, %v", status, err)
	}
	url := n.URL
	n.Restart(t)
	if n.URL != url {
		t.Fatalf("URL changed across restart: %s -> %s", url, n.URL)
	}
	if status, err := nodeInfo(t, n.URL); err != nil || status != http.StatusOK {
		t.Fatalf("getNodeInfo after restart: %d, %v", status, err)
	}
	n.Stop()
	n.Stop() // and again from t.Cleanup: must be harmless
	if _, err := nodeInfo(t, n.URL); err == nil {
		t.Fatal("node still answers after Stop")
	}
}
