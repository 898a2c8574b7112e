package websession

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// BodyLimit is the largest request body either site accepts. Mount it with
// e.Use, before CSRF and anything else that reads a form, so that a large
// body is refused (413) before it is read or spilled to a temp file.
const BodyLimit = "64K"

// RateLimit limits requests per client (its IP, as the site's
// echo.IPExtractor finds it) to perMinute on average, with bursts of burst.
// Sites put it on the routes that create state without a session (a new
// home, a consent request, a Wattt account), which anyone can call. Echo's
// limiter keeps a token bucket (golang.org/x/time/rate) per client in
// memory and forgets clients idle for 3 minutes.
func RateLimit(perMinute float64, burst int) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(perMinute / 60), Burst: burst, ExpiresIn: 3 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return echo.NewHTTPError(http.StatusTooManyRequests, "Too many requests from your address. Wait a minute and try again.")
		},
	})
}

// CreationLimit is the per-client limit of the routes that create state
// without a session: 30 a minute, bursts of 60. One limiter may guard
// several routes (they share each client's bucket).
func CreationLimit() echo.MiddlewareFunc { return RateLimit(30, 60) }

// TrustedProxyIP is the IP extractor both sites use: X-Forwarded-For is
// believed only from a loopback or private-network proxy (the TLS proxy in
// front of the site), so a client cannot pick its own rate-limit bucket.
func TrustedProxyIP() echo.IPExtractor { return echo.ExtractIPFromXFFHeader() }
