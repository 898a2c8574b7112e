package websession

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"iotahome/session"
)

// CSRFField is the name of the hidden form field that carries the token.
// Every form that POSTs must include it: <input type="hidden" name="_csrf" value={ websession.CSRFToken(c) }>.
const CSRFField = "_csrf"

const (
	csrfCookieKey = "websession.csrf-cookie"
	// csrfError is what a refused form says.
	csrfError = "This form has expired or did not come from this site. Go back, reload the page and try again."
)

// CSRF protects every unsafe request (POST, PUT, DELETE, …). Mount it after
// Manager.Middleware, whose session it binds the token to.
//
//   - A browser that sends Sec-Fetch-Site is judged on it: same-origin (or
//     none, a request the user typed) passes; same-site and cross-site are
//     refused outright. A sibling origin (another port of the host, a sibling
//     subdomain) is same-site, and can set cookies for this host, so for it
//     a cookie-based token would prove nothing.
//   - Other clients must send the token (form field CSRFField or the
//     X-CSRF-Token header). With a session, the token is an HMAC keyed by the
//     session id, which only this site's HttpOnly cookie holds: a token
//     cannot be carried from another session, nor made by someone who tossed
//     a cookie of their own. Before a session exists it is an HMAC keyed by
//     a random HttpOnly cookie named cookieName (a double-submit token).
//
// Over HTTPS the cookie is named "__Host-" + cookieName, so that no other
// host or insecure origin can set it. Use a different cookieName per site
// (cookies ignore ports).
//
// Echo's CSRF middleware is not used: its token is a plain double-submit
// cookie that cannot be bound to a session, and it falls back to that token
// for same-site requests.
func CSRF(cookieName string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			name := cookieNameFor(c, cookieName)
			var pre string
			if ck, err := c.Cookie(name); err == nil && len(ck.Value) == 43 {
				pre = ck.Value
			} else {
				id, err := session.NewID()
				if err != nil {
					return err
				}
				pre = id
				c.SetCookie(&http.Cookie{Name: name, Value: pre, Path: "/", HttpOnly: true, Secure: isHTTPS(c), SameSite: http.SameSiteStrictMode})
			}
			c.Set(csrfCookieKey, pre)
			c.Response().Header().Add(echo.HeaderVary, echo.HeaderCookie)
			if slices.Contains([]string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace}, c.Request().Method) {
				return next(c)
			}
			switch c.Request().Header.Get(echo.HeaderSecFetchSite) {
			case "same-origin", "none":
				return next(c)
			case "":
			default: // same-site, cross-site, or anything new
				return echo.NewHTTPError(http.StatusForbidden, csrfError)
			}
			got := c.Request().Header.Get(echo.HeaderXCSRFToken)
			if got == "" {
				got = c.FormValue(CSRFField)
			}
			if !hmac.Equal([]byte(got), []byte(CSRFToken(c))) {
				return echo.NewHTTPError(http.StatusForbidden, csrfError)
			}
			return next(c)
		}
	}
}

// CSRFToken is the token to put in the CSRFField of a form rendered for c:
// bound to the request's session if it has one (also one started by Login
// in this request), else to its pre-session cookie.
func CSRFToken(c echo.Context) string {
	if id := SessionID(c); id != "" {
		return csrfMAC(id, "session")
	}
	if pre, _ := c.Get(csrfCookieKey).(string); pre != "" {
		return csrfMAC(pre, "pre-session")
	}
	return ""
}

func csrfMAC(key, kind string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("iotahome-csrf/1|" + kind))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cookieNameFor is name, with the __Host- prefix over HTTPS.
func cookieNameFor(c echo.Context, name string) string {
	if isHTTPS(c) {
		return "__Host-" + name
	}
	return name
}
