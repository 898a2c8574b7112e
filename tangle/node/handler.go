package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// apiVersionHeader must be present on every request, as IRI demands;
// iota.go and @iota/core send "1".
const apiVersionHeader = "X-IOTA-API-Version"

// timed is embedded in every response: IRI reports each request's duration
// in milliseconds.
type timed struct {
	Duration int64 `json:"duration"`
}

func (t *timed) setDuration(d time.Duration) { t.Duration = d.Milliseconds() }

type response interface{ setDuration(time.Duration) }

type errorResponse struct {
	Error string `json:"error"`
	timed
}

type exceptionResponse struct {
	Exception string `json:"exception"`
	timed
}

func (n *Node) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// Browsers (e.g. @iota/core in a web page) call IRI cross-origin.
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "Content-Type, "+apiVersionHeader)
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		h.Set("Allow", "POST, OPTIONS")
		n.writeJSON(w, http.StatusMethodNotAllowed, &errorResponse{Error: "only POST requests are accepted"}, start)
		return
	}
	if r.Header.Get(apiVersionHeader) == "" {
		n.writeJSON(w, http.StatusBadRequest, &errorResponse{Error: "Invalid API Version: the " + apiVersionHeader + " header is missing"}, start)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			n.writeJSON(w, http.StatusBadRequest, &errorResponse{Error: fmt.Sprintf("Request too long: the limit is %d bytes", MaxBodyBytes)}, start)
			return
		}
		n.writeJSON(w, http.StatusBadRequest, &errorResponse{Error: "read request: " + err.Error()}, start)
		return
	}
	req, err := DecodeRequest(body)
	if err != nil {
		n.writeJSON(w, http.StatusBadRequest, &errorResponse{Error: err.Error()}, start)
		return
	}
	resp, err := n.execute(r.Context(), req, clientOf(r))
	var refused *apiError
	switch {
	case errors.As(err, &refused):
		n.log.Debug("request refused", "command", req.Command, "status", refused.status, "error", err)
		n.writeJSON(w, refused.status, &errorResponse{Error: refused.msg}, start)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads an answer.
	case err != nil:
		n.log.Error("request failed", "command", req.Command, "error", err)
		n.writeJSON(w, http.StatusInternalServerError, &exceptionResponse{Exception: err.Error()}, start)
	default:
		n.writeJSON(w, http.StatusOK, resp, start)
		n.log.Debug("request", "command", req.Command, "took", time.Since(start))
	}
}

// clientOf names the client a request comes from, for the per-client
// bound on attachToTangle: its IP address.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (n *Node) writeJSON(w http.ResponseWriter, status int, resp response, start time.Time) {
	resp.setDuration(time.Since(start))
	b, err := json.Marshal(resp)
	if err != nil {
		n.log.Error("encode response", "error", err)
		http.Error(w, `{"exception":"encode response"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(b); err != nil {
		n.log.Debug("write response", "error", err)
	}
}
