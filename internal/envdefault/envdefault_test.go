package envdefault

import (
	"testing"
	"time"
)

func TestFallbacks(t *testing.T) {
	t.Setenv("ED_SET", " 42 ")
	t.Setenv("ED_EMPTY", "")
	t.Setenv("ED_BAD", "lots")
	t.Setenv("ED_DUR", "1500ms")
	t.Setenv("ED_BOOL", "false")
	if got := String("ED_SET", "d"); got != "42" {
		t.Errorf("String set = %q", got)
	}
	if got := String("ED_EMPTY", "d"); got != "d" {
		t.Errorf("String empty = %q, want the default", got)
	}
	if got := Int("ED_SET", 1); got != 42 {
		t.Errorf("Int = %d", got)
	}
	if got := Int("ED_BAD", 7); got != 7 {
		t.Errorf("Int malformed = %d, want the default", got)
	}
	if got := Float("ED_SET", 0); got != 42 {
		t.Errorf("Float = %v", got)
	}
	if got := Duration("ED_DUR", time.Second); got != 1500*time.Millisecond {
		t.Errorf("Duration = %v", got)
	}
	if got := Bool("ED_BOOL", true); got {
		t.Errorf("Bool false = true")
	}
	if got := Bool("ED_UNSET_FOR_SURE", true); !got {
		t.Errorf("Bool unset = false, want the default")
	}
}
