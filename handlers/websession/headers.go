package websession

import (
	"github.com/labstack/echo/v4"
)

// DefaultCSP allows only the site's own scripts, styles and images (no
// inline script or style, no external fonts or CDNs), forbids framing and
// plugins, and pins <base>. It does not restrict form-action because My
// Home's consent form redirects to the provider's site after the POST, and
// browsers apply form-action to that redirect too.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// SecurityHeaders sets the headers every page of both sites carries. csp ""
// means DefaultCSP.
func SecurityHeaders(csp string) echo.MiddlewareFunc {
	if csp == "" {
		csp = DefaultCSP
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
			if isHTTPS(c) {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			return next(c)
		}
	}
}
