package websession

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// CSRFField is the name of the hidden form field that carries the token.
// Every form that POSTs must include it: <input type="hidden" name="_csrf" value={ websession.CSRFToken(c) }>.
const CSRFField = "_csrf"

const csrfContextKey = "csrf"

// CSRF protects every unsafe request (POST, PUT, DELETE, …) with Echo's CSRF
// middleware: browsers that send Sec-Fetch-Site are checked on that header
// (same-origin only); others by the double-submit token in the form field
// CSRFField (or the X-CSRF-Token header) against an HttpOnly cookie named
// cookieName. Use a different cookieName per site (cookies ignore ports).
func CSRF(cookieName string) echo.MiddlewareFunc {
	base := middleware.CSRFConfig{
		TokenLookup:    "form:" + CSRFField + ",header:" + echo.HeaderXCSRFToken,
		ContextKey:     csrfContextKey,
		CookieName:     cookieName,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.").SetInternal(err)
		},
	}
	secure := base
	secure.CookieSecure = true
	plainMW := middleware.CSRFWithConfig(base)
	secureMW := middleware.CSRFWithConfig(secure)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		plain, tls := plainMW(next), secureMW(next)
		return func(c echo.Context) error {
			if isHTTPS(c) {
				return tls(c)
			}
			return plain(c)
		}
	}
}

// CSRFToken is the token to put in the CSRFField of a form rendered for c.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(csrfContextKey).(string)
	return t
}
