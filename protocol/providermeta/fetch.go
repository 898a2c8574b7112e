package providermeta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// FetchConfig tunes a Fetcher; zero values take the defaults in brackets.
type FetchConfig struct {
	// AllowHTTPLoopback accepts providers on this machine (localhost,
	// 127.0.0.0/8, ::1) over plain http, for development and tests. Without
	// it a provider must be https on a public address.
	AllowHTTPLoopback bool
	Timeout           time.Duration    // one whole fetch, redirects included [5 s]
	TTL               time.Duration    // how long a fetched document is trusted [10 min]
	MinRefetch        time.Duration    // a failed signature refetches a document at most this often [10 s]
	MaxEntries        int              // documents cached at once [1,000]
	Now               func() time.Time // clock [time.Now]
}

func (c FetchConfig) withDefaults() FetchConfig {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.TTL <= 0 {
		c.TTL = 10 * time.Minute
	}
	if c.MinRefetch <= 0 {
		c.MinRefetch = 10 * time.Second
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 1000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// maxRedirects bounds redirects within the provider's origin.
const maxRedirects = 3

// Fetcher gets providers' documents for My Home and verifies signed
// requests against them. It is safe for concurrent use.
type Fetcher struct {
	cfg    FetchConfig
	client *http.Client

	mu    sync.Mutex
	cache map[string]cachedDoc // by origin
}

type cachedDoc struct {
	doc     Document
	fetched time.Time
}

// NewFetcher returns a Fetcher. Its HTTP client ignores proxy settings
// (a proxy would reach addresses the dial check refuses), connects only to
// public addresses (loopback too with AllowHTTPLoopback) and follows
// redirects only within the origin it asked.
func NewFetcher(cfg FetchConfig) *Fetcher {
	cfg = cfg.withDefaults()
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: func(_, address string, _ syscall.RawConn) error {
		return checkDialAddress(address, cfg.AllowHTTPLoopback)
	}}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 16 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        time.Minute,
		ForceAttemptHTTP2:      true,
	}
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if origin(req) != origin(via[0]) {
				return fmt.Errorf("redirects to another origin (%s)", origin(req))
			}
			return nil
		}}
	return &Fetcher{cfg: cfg, client: client, cache: make(map[string]cachedDoc)}
}

func origin(r *http.Request) string { return r.URL.Scheme + "://" + r.URL.Host }

// errAddressRefused is returned by the dialer for a non-public address.
var errAddressRefused = errors.New("not a public address")

// checkDialAddress lets a fetch connect only to public unicast addresses
// (and loopback ones if allowLoopback), checked on the address actually
// dialled, so a host name resolving to an internal address (or rebinding to
// one) cannot turn My Home into a probe of its own network.
func checkDialAddress(address string, allowLoopback bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback() && allowLoopback:
		return nil
	case !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || sharedAddressSpace.Contains(ip):
		return fmt.Errorf("%w: %s", errAddressRefused, ip)
	}
	return nil
}

// sharedAddressSpace is carrier-grade NAT (RFC 6598), not public either.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// CheckOrigin refuses a provider origin My Home will not fetch from:
// anything but https, unless AllowHTTPLoopback and the host is this machine.
func (f *Fetcher) CheckOrigin(origin string) error {
	if IsLoopbackHost(origin) && f.cfg.AllowHTTPLoopback {
		return nil
	}
	if len(origin) < 8 || origin[:8] != "https://" {
		return &Error{Reason: ErrOrigin, Msg: fmt.Sprintf(
			"The app at %s does not use https, so My Home cannot check who it is.", origin)}
	}
	return nil
}

// Verify checks a signed consent request: its structure and age, the
// document of the return URL's origin, the signature with a key that
// document lists (refetching the document once if the key is unknown or
// the signature fails on a copy older than MinRefetch, so a provider's new
// key works at once) and every parameter. It returns the checked request
// and the document it was verified against.
func (f *Fetcher) Verify(ctx context.Context, token string) (Checked, Document, error) {
	s, err := parseSigned(token)
	if err != nil {
		return Checked{}, Document{}, err
	}
	if err := s.checkTime(f.cfg.Now()); err != nil {
		return Checked{}, Document{}, err
	}
	_, org, err := ParseURL(s.claim.URL)
	if err != nil {
		return Checked{}, Document{}, invalid("The return address %v.", err)
	}
	if err := f.CheckOrigin(org); err != nil {
		return Checked{}, Document{}, err
	}
	doc, fetched, err := f.document(ctx, org, false)
	if err != nil {
		return Checked{}, Document{}, err
	}
	c, err := s.verify(doc)
	if errors.Is(err, ErrSignature) && f.cfg.Now().Sub(fetched) >= f.cfg.MinRefetch {
		if doc, _, err = f.document(ctx, org, true); err != nil {
			return Checked{}, Document{}, err
		}
		c, err = s.verify(doc)
	}
	if err != nil {
		return Checked{}, Document{}, err
	}
	if c.Origin != doc.Origin {
		return Checked{}, Document{}, otherOrigin()
	}
	return c, doc, nil
}

// document returns origin's document from the cache while it is younger
// than the TTL, else (or with refresh) fetches it.
func (f *Fetcher) document(ctx context.Context, origin string, refresh bool) (Document, time.Time, error) {
	now := f.cfg.Now()
	f.mu.Lock()
	c, ok := f.cache[origin]
	f.mu.Unlock()
	if ok && !refresh && now.Sub(c.fetched) < f.cfg.TTL {
		return c.doc, c.fetched, nil
	}
	doc, err := f.fetch(ctx, origin)
	if err != nil {
		f.forget(origin) // a document that broke is not trusted from the cache either
		return Document{}, time.Time{}, err
	}
	f.store(origin, cachedDoc{doc: doc, fetched: now})
	return doc, now, nil
}

// fetch GETs origin's document once.
func (f *Fetcher) fetch(ctx context.Context, origin string) (Document, error) {
	fail := func(format string, args ...any) (Document, error) {
		return Document{}, &Error{Reason: ErrDocument, Msg: fmt.Sprintf(
			"My Home could not check who is asking: the provider document that %s must publish at %s %s.",
			origin, WellKnownPath, fmt.Sprintf(format, args...))}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin+WellKnownPath, nil)
	if err != nil {
		return fail("cannot be requested")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errAddressRefused) {
			return fail("is on an address that is not public")
		}
		return fail("could not be fetched (%s)", shortErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail("was not found (HTTP %d)", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentBytes+1))
	if err != nil {
		return fail("could not be read (%s)", shortErr(err))
	}
	if len(body) > MaxDocumentBytes {
		return fail("is larger than %d KiB", MaxDocumentBytes>>10)
	}
	doc, err := ParseDocument(body, origin)
	if err != nil {
		return fail("is not valid: it %v", err)
	}
	return doc, nil
}

// shortErr names a fetch failure without the URL (the page shows it).
func shortErr(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		err = ue.Unwrap()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "no answer in time"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no answer in time"
	}
	return err.Error()
}

func (f *Fetcher) store(origin string, c cachedDoc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.cache[origin]; !ok && len(f.cache) >= f.cfg.MaxEntries {
		f.evictLocked(c.fetched)
	}
	f.cache[origin] = c
}

// evictLocked drops expired documents, and the oldest one if none was.
func (f *Fetcher) evictLocked(now time.Time) {
	oldest, at := "", now
	for o, c := range f.cache {
		if now.Sub(c.fetched) >= f.cfg.TTL {
			delete(f.cache, o)
			continue
		}
		if c.fetched.Before(at) || oldest == "" {
			oldest, at = o, c.fetched
		}
	}
	if len(f.cache) >= f.cfg.MaxEntries {
		delete(f.cache, oldest)
	}
}

func (f *Fetcher) forget(origin string) {
	f.mu.Lock()
	delete(f.cache, origin)
	f.mu.Unlock()
}
