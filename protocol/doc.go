// Package protocol defines the messages that the P1 reader, My Home and a
// service provider exchange over the Tangle: direct-message bodies (sent as
// envelopes to an address), My Home's consent events (published on its private
// MAM channel) and the reader's channel messages (DATA, KEY_ROTATION).
//
// Everything here is plain data with JSON tags; how it travels is the tangle
// packages' business. docs/protocol.md is the human-readable version of this
// package: keep them in step.
package protocol

// Version is the protocol version carried in every envelope and event.
const Version = 1
