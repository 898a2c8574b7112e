package providermeta

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxURLLength bounds the URLs a request or document may carry.
const maxURLLength = 2000

// idnaProfile turns a host name into the ASCII form DNS resolves (IDNA 2008
// with the UTS #46 mapping browsers use), refusing names that are not valid
// there: a Cyrillic "а" in "wаttt.nl" becomes "xn--wttt-…", so the owner sees
// that it is not wattt.nl.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false),
	idna.StrictDomainName(true), idna.ValidateLabels(true), idna.VerifyDNSLength(true))

// ParseURL accepts an absolute http(s) URL with a host, no user info, a
// port (if any) of 1–65535, a host name that is valid IDNA, and nothing
// but ASCII elsewhere (so no bidi override can reorder what the owner
// reads). It returns the URL as shown and stored (host in ASCII, default
// port and fragment dropped) and its origin (scheme://ascii-host[:port]).
func ParseURL(raw string) (clean, origin string, err error) {
	if !utf8.ValidString(raw) {
		return "", "", errors.New("is not valid UTF-8")
	}
	if len(raw) > maxURLLength {
		return "", "", fmt.Errorf("is longer than %d characters", maxURLLength)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' || r >= 0x80 && r < 0xa0 }) {
		return "", "", errors.New("contains spaces, control characters or backslashes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", errors.New("is not a web address")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", errors.New("must start with http:// or https://")
	}
	if u.Opaque != "" || u.Host == "" || u.User != nil {
		return "", "", errors.New("must be a full web address with a host and no user name")
	}
	host, err := asciiHost(u)
	if err != nil {
		return "", "", err
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	clean = u.String()
	if strings.ContainsFunc(clean, func(r rune) bool { return r >= 0x80 }) {
		return "", "", errors.New("must be plain ASCII outside the host name (percent-encode the rest)")
	}
	return clean, u.Scheme + "://" + host, nil
}

// asciiHost validates u's host and port and returns them as host[:port]
// with the host in ASCII (an IP literal in its canonical form) and a
// default port dropped.
func asciiHost(u *url.URL) (string, error) {
	port := ""
	if strings.HasSuffix(u.Host, ":") {
		return "", errors.New("has an empty port")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("has port %s, which does not exist (ports are 1–65535)", p)
		}
		if !(u.Scheme == "http" && n == 80 || u.Scheme == "https" && n == 443) {
			port = ":" + strconv.Itoa(n)
		}
	}
	name := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		ip, err := netip.ParseAddr(name)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", errors.New("has an invalid IPv6 address")
		}
		return "[" + ip.String() + "]" + port, nil
	}
	if ip, err := netip.ParseAddr(name); err == nil && ip.Is4() {
		return ip.String() + port, nil
	}
	if name == "" || strings.HasSuffix(name, ".") {
		return "", errors.New("has no valid host name")
	}
	ascii, err := idnaProfile.ToASCII(name)
	if err != nil || ascii == "" {
		return "", errors.New("has a host name that is not a valid domain name")
	}
	// The ASCII form must be valid in its own right (and stable), or the
	// owner would be shown a name that resolves elsewhere or not at all.
	if again, err := idnaProfile.ToASCII(ascii); err != nil || again != ascii {
		return "", errors.New("has a host name that is not a valid domain name")
	}
	return ascii + port, nil
}

// IsLoopbackHost reports whether an origin's host is this machine
// (localhost or a loopback IP), where development serves plain http.
func IsLoopbackHost(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}
