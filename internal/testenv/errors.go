package testenv

import (
	"errors"
	"strings"
	"testing"
)

// WantError fails t unless err is an error that matches every one of want
// with errors.Is and whose message names the package prefix ("detect: ")
// exactly once; with atStart, the message must also begin with it.
func WantError(t testing.TB, err error, prefix string, atStart bool, want ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one matching %v", want)
		return
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Errorf("%v\ndoes not match %v", err, w)
		}
	}
	msg := err.Error()
	if n := strings.Count(msg, prefix); n != 1 || (atStart && !strings.HasPrefix(msg, prefix)) {
		t.Errorf("%q names %q %d times (want once%s)", msg, prefix, n, map[bool]string{true: ", at the start"}[atStart])
	}
}
