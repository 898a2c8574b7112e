package layout

import "testing"

func TestErrorTitleIsPlainWords(t *testing.T) {
	for status, want := range map[int]string{
		400: "That did not work",
		403: "Not allowed",
		404: "Page not found",
		503: "Something went wrong",
	} {
		if got := ErrorTitle(status); got != want {
			t.Errorf("ErrorTitle(%d) = %q, want %q", status, got, want)
		}
	}
}
