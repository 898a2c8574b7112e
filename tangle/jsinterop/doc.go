// Package jsinterop proves the Tangle layer against IOTA's own JavaScript
// clients: @iota/core 1.0.0-beta.30 and @iota/mam.js 1.0.0-beta.10, pinned
// in package.json and package-lock.json here (one install, also used by
// examples/js-provider). It has no Go code of its own; its tests run the
// real dev node, our Go publishers and readers, the real P1 reader and My
// Home, and drive the JavaScript clients through iota.js (one Node.js
// process per test, JSON lines on stdin and stdout) or run the example
// provider. See docs/tangle.md, "IOTA clients known to work".
//
// The tests install the packages themselves (npm ci, when node_modules is
// missing or older than the lockfile). Without node or npm they skip,
// except with CI=true, where they fail.
package jsinterop
