package providermeta_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"iotahome/protocol/providermeta"
	"iotahome/protocol/providermeta/providertest"
)

// nodeScript signs and verifies with Node's own crypto (OpenSSL), an
// implementation of Ed25519, JWK and the RFC 7638 thumbprint that we did not
// write: a provider written in JavaScript interoperates with My Home.
const nodeScript = `
const crypto = require('crypto');
const b64u = (b) => Buffer.from(b).toString('base64url');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));

// 1. Verify a request that Go signed, with the key from Go's document.
const [h, p, s] = input.goToken.split('.');
const header = JSON.parse(Buffer.from(h, 'base64url'));
const jwk = input.goDocument.keys.find((k) => k.kid === header.kid);
const goKey = crypto.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
const goValid = crypto.verify(null, Buffer.from(h + '.' + p), goKey, Buffer.from(s, 'base64url'));
const goPayload = JSON.parse(Buffer.from(p, 'base64url'));

// 2. Sign a request the way a JavaScript provider would.
const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
const pub = publicKey.export({ format: 'jwk' });
const kid = b64u(crypto.createHash('sha256').update(JSON.stringify({ crv: pub.crv, kty: pub.kty, x: pub.x })).digest());
const nh = b64u(JSON.stringify({ alg: 'EdDSA', typ: 'iotahome-consent+jwt', kid }));
const np = b64u(JSON.stringify(input.request));
const sig = crypto.sign(null, Buffer.from(nh + '.' + np), privateKey);
process.stdout.write(JSON.stringify({
  goValid, goState: goPayload.state, goHeader: header,
  token: nh + '.' + np + '.' + b64u(sig),
  jwk: { kty: pub.kty, crv: pub.crv, x: pub.x, kid, alg: 'EdDSA', use: 'sig' },
}));
`

// node returns the Node.js binary, or skips (fails with CI=true).
func node(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node not found, and CI=true requires the interoperability test (apt-get install nodejs)")
		}
		t.Skip("node not found (apt-get install nodejs)")
	}
	return p
}

// TestNodeInterop: Node's crypto verifies Go's signed request against Go's
// published JWK, and My Home's Fetcher verifies a request signed by Node
// against a document listing Node's JWK and its RFC 7638 key id.
func TestNodeInterop(t *testing.T) {
	bin := node(t)
	p := providertest.Start(t, "Wattt Insights")
	acct := newAccount(t)
	goReq := p.Request(acct.address, acct.publicKey, "go-signed-state")
	var doc providermeta.Document
	p.Edit(func(d *providermeta.Document) { doc = *d })
	jsReq := p.Request(acct.address, acct.publicKey, "node-signed-state")
	in, err := json.Marshal(map[string]any{"goToken": p.Sign(t, goReq), "goDocument": doc, "request": jsReq})
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "interop.js")
	if err := os.WriteFile(script, []byte(nodeScript), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res struct {
		GoValid  bool              `json:"goValid"`
		GoState  string            `json:"goState"`
		GoHeader map[string]string `json:"goHeader"`
		Token    string            `json:"token"`
		JWK      json.RawMessage   `json:"jwk"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %s: %v", out, err)
	}
	if !res.GoValid || res.GoState != "go-signed-state" || res.GoHeader["alg"] != "EdDSA" || res.GoHeader["typ"] != providermeta.RequestType {
		t.Fatalf("Node does not verify Go's request: %+v", res)
	}

	var jsKey providermeta.Key
	if err := json.Unmarshal(res.JWK, &jsKey); err != nil {
		t.Fatalf("Node's JWK %s: %v", res.JWK, err)
	}
	if want := providermeta.NewKey(ed25519.PublicKey(jsKey.Pub)).ID; want != jsKey.ID {
		t.Fatalf("RFC 7638 thumbprints differ: Go %s, Node %s", want, jsKey.ID)
	}
	p.Edit(func(d *providermeta.Document) { d.Keys = append(d.Keys, jsKey) })
	f := providermeta.NewFetcher(providermeta.FetchConfig{AllowHTTPLoopback: true, Now: time.Now})
	got, _, err := f.Verify(context.Background(), res.Token)
	if err != nil || got.State != "node-signed-state" || got.Address != acct.address {
		t.Fatalf("Node-signed request: %+v %v", got, err)
	}
}
