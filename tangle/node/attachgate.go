package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// Bounds on the attachToTangle work one client can queue up (see
// attachGate). docs/tangle-node.md lists them.
const (
	// MaxAttachWaiting is how many attachToTangle requests may wait
	// behind the running one; more are refused with 503.
	MaxAttachWaiting = 16
	// MaxAttachPerClient is how many attachToTangle requests one client
	// (IP address) may have running or waiting; more are refused with 429.
	MaxAttachPerClient = 4
)

var (
	errInterrupted = errors.New("attachToTangle was interrupted")
	errShutdown    = errors.New("the node is shutting down")
)

// attachGate admits attachToTangle requests: one runs its proof of work at
// a time (it uses every core), at most MaxAttachWaiting wait for their
// turn, and one client has at most MaxAttachPerClient running or waiting.
// A waiting request leaves the queue when its client goes away or the
// node shuts down.
type attachGate struct {
	turn chan struct{} // holds a token while an attach runs

	mu        sync.Mutex
	clients   map[string]int // running or waiting, per client
	waiting   int
	interrupt context.CancelCauseFunc // the running attach's; nil if none

	stopped context.Context // done once the node shuts down
	stop    context.CancelFunc
}

func newAttachGate() *attachGate {
	stopped, stop := context.WithCancel(context.Background())
	return &attachGate{turn: make(chan struct{}, 1), clients: map[string]int{}, stopped: stopped, stop: stop}
}

// enter waits for client's turn to attach. The returned context ends when
// ctx does, on InterruptAttach (cause errInterrupted) and on shutdown
// (cause errShutdown); call done when the attach is over.
func (g *attachGate) enter(ctx context.Context, client string) (context.Context, func(), error) {
	g.mu.Lock()
	if g.stopped.Err() != nil {
		g.mu.Unlock()
		return nil, nil, &apiError{status: http.StatusServiceUnavailable, msg: errShutdown.Error()}
	}
	if g.clients[client] >= MaxAttachPerClient {
		g.mu.Unlock()
		return nil, nil, &apiError{status: http.StatusTooManyRequests,
			msg: fmt.Sprintf("attachToTangle refused: this client already has %d attaches running or waiting", MaxAttachPerClient)}
	}
	select {
	case g.turn <- struct{}{}:
		g.clients[client]++
		g.mu.Unlock()
	default:
		if g.waiting >= MaxAttachWaiting {
			g.mu.Unlock()
			return nil, nil, &apiError{status: http.StatusServiceUnavailable,
				msg: fmt.Sprintf("attachToTangle refused: %d attaches are already waiting; try again later", MaxAttachWaiting)}
		}
		g.waiting++
		g.clients[client]++
		g.mu.Unlock()
		var err error
		select {
		case g.turn <- struct{}{}:
		case <-ctx.Done():
			err = ctx.Err()
		case <-g.stopped.Done():
			err = &apiError{status: http.StatusServiceUnavailable, msg: errShutdown.Error()}
		}
		g.mu.Lock()
		g.waiting--
		if err != nil {
			g.leave(client)
			g.mu.Unlock()
			return nil, nil, err
		}
		g.mu.Unlock()
	}

	// It is this request's turn.
	actx, cancel := context.WithCancelCause(ctx)
	stopOnShutdown := context.AfterFunc(g.stopped, func() { cancel(errShutdown) })
	g.mu.Lock()
	g.interrupt = cancel
	g.mu.Unlock()
	done := func() {
		stopOnShutdown()
		cancel(nil)
		g.mu.Lock()
		g.interrupt = nil
		g.leave(client)
		g.mu.Unlock()
		<-g.turn
	}
	return actx, done, nil
}

// leave forgets one request of client; g.mu is held.
func (g *attachGate) leave(client string) {
	if g.clients[client]--; g.clients[client] <= 0 {
		delete(g.clients, client)
	}
}

// interruptRunning ends the running attach, if any, with errInterrupted.
func (g *attachGate) interruptRunning() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.interrupt != nil {
		g.interrupt(errInterrupted)
	}
}

// shutdown ends the running and every waiting attach and refuses new
// ones.
func (g *attachGate) shutdown() { g.stop() }
