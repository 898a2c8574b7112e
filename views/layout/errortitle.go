package layout

import "net/http"

// ErrorTitle is the heading of an error page: what happened in words a
// person uses, not the HTTP reason phrase ("Bad Request").
func ErrorTitle(status int) string {
	switch {
	case status == http.StatusNotFound:
		return "Page not found"
	case status == http.StatusForbidden:
		return "Not allowed"
	case status == http.StatusTooManyRequests:
		return "Too many requests"
	case status >= 500:
		return "Something went wrong"
	default:
		return "That did not work"
	}
}
