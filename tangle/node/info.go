package node

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/iotaledger/iota.go/trinary"
)

type nodeInfoResponse struct {
	AppName                            string       `json:"appName"`
	AppVersion                         string       `json:"appVersion"`
	JREAvailableProcessors             int          `json:"jreAvailableProcessors"`
	JREFreeMemory                      uint64       `json:"jreFreeMemory"`
	JREMaxMemory                       uint64       `json:"jreMaxMemory"`
	JRETotalMemory                     uint64       `json:"jreTotalMemory"`
	JREVersion                         string       `json:"jreVersion"`
	LatestMilestone                    trinary.Hash `json:"latestMilestone"`
	LatestMilestoneIndex               int64        `json:"latestMilestoneIndex"`
	LatestSolidSubtangleMilestone      trinary.Hash `json:"latestSolidSubtangleMilestone"`
	LatestSolidSubtangleMilestoneIndex int64        `json:"latestSolidSubtangleMilestoneIndex"`
	MilestoneStartIndex                int64        `json:"milestoneStartIndex"`
	LastSnapshottedMilestoneIndex      int64        `json:"lastSnapshottedMilestoneIndex"`
	Neighbors                          int          `json:"neighbors"`
	PacketsQueueSize                   int          `json:"packetsQueueSize"`
	Time                               int64        `json:"time"`
	Tips                               int          `json:"tips"`
	TransactionsToRequest              int          `json:"transactionsToRequest"`
	Features                           []string     `json:"features"`
	CoordinatorAddress                 trinary.Hash `json:"coordinatorAddress"`
	DBSizeInBytes                      int64        `json:"dbSizeInBytes"`
	// Not in IRI: how many transactions the node has stored and which PoW
	// implementation attachToTangle uses.
	Transactions int64  `json:"transactions"`
	PoW          string `json:"powImplementation"`
	MWM          int    `json:"minWeightMagnitude"`
	timed
}

func (n *Node) getNodeInfo(ctx context.Context) (response, error) {
	count, err := n.store.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	return &nodeInfoResponse{
		AppName:                       "iotahome-tangle",
		AppVersion:                    "1.0.0",
		JREAvailableProcessors:        runtime.NumCPU(),
		JREFreeMemory:                 mem.HeapIdle,
		JREMaxMemory:                  mem.Sys,
		JRETotalMemory:                mem.HeapSys,
		JREVersion:                    runtime.Version(),
		LatestMilestone:               nullHash,
		LatestSolidSubtangleMilestone: nullHash,
		Time:                          time.Now().UnixMilli(),
		Tips:                          n.store.TipCount(),
		Features:                      []string{"RemotePOW"},
		CoordinatorAddress:            nullHash,
		Transactions:                  count,
		DBSizeInBytes:                 n.dbSize(),
		PoW:                           powName,
		MWM:                           n.mwm,
	}, nil
}

// dbSize is the size of the node's SQLite files (database and write-ahead
// log), what IRI reports as dbSizeInBytes.
func (n *Node) dbSize() int64 {
	var size int64
	for _, p := range []string{n.dbPath, n.dbPath + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			size += fi.Size()
		}
	}
	return size
}
