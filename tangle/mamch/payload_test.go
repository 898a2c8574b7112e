package mamch

import (
	"fmt"
	"testing"

	"github.com/iotaledger/iota.go/consts"
	mam "github.com/iotaledger/iota.go/mam/v1"
	"github.com/iotaledger/iota.go/mam/v1/merkle"
	"github.com/iotaledger/iota.go/trinary"
)

// TestEveryPreparedMessageParses prepares many messages and reads each
// back with mam/v1's MAMParse: with MAMCreate's nonce search about one in
// 30 would be unreadable.
func TestEveryPreparedMessageParses(t *testing.T) {
	s := mustState(t, Restricted, keyA)
	for i := range 150 {
		p, err := Prepare(s, fmt.Sprintf(`{"n":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		payload := trinary.MustTrytesToTrits(p.Payload)
		_, next, _, sec, err := mam.MAMParse(payload, uint64(len(payload)), keyA, trinary.MustTrytesToTrits(p.Root))
		if err != nil || next != p.Next.NextRoot() || sec != SecurityLevel {
			t.Fatalf("message %d: MAMParse: %v (next %s, security %d)", i, err, next, sec)
		}
		s = p.Next
	}
}

// TestFixesMAMCreateNonce finds a message that mam/v1's MAMCreate makes
// unreadable and checks that createPayload makes it readable. (With
// testSeed and keyA the first such message is at index 35; the search
// starts a little before it to keep the test quick.)
func TestFixesMAMCreateNonce(t *testing.T) {
	const treeLength = consts.HashTrinarySize
	for index := uint64(30); index < 500; index++ {
		tree, err := merkleRoot(testSeed, index, SecurityLevel)
		if err != nil {
			t.Fatal(err)
		}
		next, err := merkleRoot(testSeed, index+1, SecurityLevel)
		if err != nil {
			t.Fatal(err)
		}
		msg := trinary.Trytes("HELLO")
		length := mam.PayloadMinLength(uint64(len(msg))*3, treeLength, 0, SecurityLevel)
		theirs, _, err := mam.MAMCreate(length, msg, keyA, tree, merkle.MerkleSize(1)*treeLength, 1, 0, next, index, testSeed, SecurityLevel)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, _, err := mam.MAMParse(theirs, uint64(len(theirs)), keyA, tree); err == nil {
			continue
		}
		ours, err := createPayload(msg, keyA, tree, next, index, testSeed, SecurityLevel)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, got, _, err := mam.MAMParse(ours, uint64(len(ours)), keyA, tree); err != nil || got != msg {
			t.Fatalf("index %d: MAMCreate's payload is unreadable and so is ours: %v", index, err)
		}
		return
	}
	t.Skip("MAMCreate produced no unreadable payload in 500 tries (expected about 15)")
}

func BenchmarkPrepare(b *testing.B) {
	s := mustState(b, Restricted, keyA)
	for b.Loop() {
		p, err := Prepare(s, `{"type":"DATA","v":1}`)
		if err != nil {
			b.Fatal(err)
		}
		s = p.Next
	}
}
