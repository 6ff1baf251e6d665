package web

import "testing"

func TestMatchVersion(t *testing.T) {
	for _, tc := range []struct {
		version, selector string
		want              bool
	}{
		{"3.11.2", "*", true}, {"3.11.2", "", true}, {"3.11.2", "x", true},
		{"3.11.2", "3", true}, {"3.11.2", "3.x", true}, {"3.11.2", "3.11", true}, {"3.11.2", "3.11.x", true},
		{"3.11.2", "3.11.2", true}, {"3.11.2", "=3.11.2", true}, {"3.11.2", "v3.11.2", true},
		{"3.11.2", "3.10", false}, {"3.11.2", "3.10.0", false}, {"3.11.2", "2", false}, {"3.11.2", "3.11.3", false},
		{"3.11.2", ">=3.8", true}, {"3.11.2", ">= 3.8", true}, {"3.11.2", ">3.11", false}, {"3.11.2", ">3.11.1", true},
		{"3.11.2", "<4", true}, {"3.11.2", "<3.11", false}, {"3.11.2", "<=3.11", true}, {"3.11.2", "<=3.11.1", false},
		{"3.11.2", ">=3.8 <3.12", true}, {"3.11.2", ">=3.8 <3.11", false},
		{"3.11.2", "~3.11.0", true}, {"3.11.2", "~3.10", false}, {"3.11.2", "~3", true},
		{"3.11.2", "^3.8.0", true}, {"3.11.2", "^2.7", false}, {"0.2.5", "^0.2.1", true}, {"0.3.0", "^0.2.1", false},
		{"0.0.4", "^0.0.3", false}, {"0.0.3", "^0.0.3", true},
		{"3.11.2", "3.9 - 3.11", true}, {"3.11.2", "3.9 - 3.10", false}, {"3.11.2", "3.9.0 - 3.11.2", true},
		{"3.11.2", "2 || 3", true}, {"3.11.2", "2.x || 4", false},
		{"1.21", "1.21.0", true}, {"1.21", "1.21", true}, {"17.0.9.1", "17", true}, {"12.2.0-14", "12.2", true},
		{"20.11.1", "18.15.0", false}, {"20.11.1", "20", true},
	} {
		got, err := matchVersion(tc.version, tc.selector)
		if err != nil {
			t.Errorf("matchVersion(%q, %q): %v", tc.version, tc.selector, err)
		} else if got != tc.want {
			t.Errorf("matchVersion(%q, %q) = %v, want %v", tc.version, tc.selector, got, tc.want)
		}
	}
	for _, bad := range []string{"latest", "3.a", "1.2.3.4", ">=", "3.x.1", "~>x.1"} {
		if _, err := matchVersion("3.11.2", bad); err == nil {
			t.Errorf("matchVersion(3.11.2, %q): no error for a bad selector", bad)
		}
	}
}
