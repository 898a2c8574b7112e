// Package layout is the base HTML layout both sites share: header with the
// site's name and navigation, readable type, phone-width friendly, one
// stylesheet served from the site itself (no external
// fonts or CDNs, no inline style or script, so the strict CSP holds; pages
// work without JavaScript). The Site value picks the product's name and
// colours; Page.Styles and Page.Scripts add a site's own assets.
package layout

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Static serves the shared assets; mount it at /static/:
//
//	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", layout.Static())))
func Static() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
