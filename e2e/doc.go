// Package e2e holds the end-to-end browser test of iotahome: it starts the
// whole stack with cmd/devstack (dev Tangle node, My Home and Wattt, the
// meter simulator on a pseudo-terminal and the P1 reader as a separate
// process reading it) and drives Debian's Chromium through the consent story
// with chromedp. See docs/e2e.md.
//
// Environment:
//
//	CI=true            a missing Chromium fails the test instead of skipping it
//	E2E_CHROMIUM       path of the browser (default: chromium on $PATH, /usr/bin/chromium)
//	E2E_ARTIFACTS      directory for failure screenshots and the stack's log
//	                   (default: a fresh directory under $TMPDIR, printed)
//	E2E_SCREENSHOTS    directory: also save every page at desktop and phone width
package e2e
