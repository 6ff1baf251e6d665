package web

import (
	"net/http"
	"testing"
)

// TestLoginBase64Token: a token made as the docs say (head -c 32 /dev/urandom | base64) holds '+',
// '/' and '='; opening /?token=TOKEN with it pasted as is (the '+' unescaped, which a query
// string reads as a space) logs in, as does the escaped form. A wrong token still does not.
func TestLoginBase64Token(t *testing.T) {
	const token = "6NZBR4Ow+IY/9PAQ+xedxV36Oh+orXL3PhajveZaIiw="
	s := newTestServer(t, nil, Options{APIToken: token})
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"pasted as is", "token=" + token, http.StatusSeeOther},
		{"escaped", "token=6NZBR4Ow%2BIY%2F9PAQ%2BxedxV36Oh%2BorXL3PhajveZaIiw%3D", http.StatusSeeOther},
		{"wrong", "token=6NZBR4Ow+IY/9PAQ+xedxV36Oh+orXL3PhajveZaIix=", http.StatusUnauthorized},
		{"spaces are not pluses", "token=6NZBR4Ow%20IY/9PAQ%20xedxV36Oh%20orXL3PhajveZaIiw=", http.StatusUnauthorized},
	} {
		w := do(t, s, "GET", "/?"+tc.query, "")
		if w.Code != tc.want {
			t.Errorf("%s: GET /?%s answered %d, want %d: %s", tc.name, tc.query, w.Code, tc.want, w.Body)
			continue
		}
		if tc.want != http.StatusSeeOther {
			continue
		}
		cookies := w.Result().Cookies()
		if len(cookies) != 1 || cookies[0].Value != token {
			t.Errorf("%s: cookies %v, want %s=%s", tc.name, cookies, tokenCookie, token)
			continue
		}
		// The cookie then opens the API.
		if w := do(t, s, "GET", "/api/v1/languages", "", "Cookie", tokenCookie+"="+cookies[0].Value); w.Code != http.StatusOK {
			t.Errorf("%s: the cookie it set gets %d from the API", tc.name, w.Code)
		}
	}
}
