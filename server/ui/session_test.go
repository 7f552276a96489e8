package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	now := time.Now()
	s := &sessions{secret: []byte("0123456789abcdef0123456789abcdef"), now: func() time.Time { return now }}
	rec := httptest.NewRecorder()
	if err := s.issue(rec, httptest.NewRequest("GET", "/", nil), 7, 3); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Errorf("cookie flags %+v", cookie)
	}
	req := func(value string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
		return r
	}
	c, err := s.read(req(cookie.Value))
	if err != nil || c.Subject != "7" || c.ProjectID != 3 {
		t.Fatalf("read = %+v, %v", c, err)
	}

	tampered := cookie.Value[:len(cookie.Value)-2] + "xx"
	other := &sessions{secret: []byte("another secret, another server.."), now: s.now}
	otherRec := httptest.NewRecorder()
	_ = other.issue(otherRec, httptest.NewRequest("GET", "/", nil), 7, 3)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims{ProjectID: 3}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for name, value := range map[string]string{
		"tampered": tampered, "other secret": otherRec.Result().Cookies()[0].Value, "alg none": none, "garbage": "abc",
	} {
		if _, err := s.read(req(value)); err == nil {
			t.Errorf("%s session accepted", name)
		}
	}
	later := &sessions{secret: s.secret, now: func() time.Time { return now.Add(sessionTTL + time.Minute) }}
	if _, err := later.read(req(cookie.Value)); err == nil {
		t.Error("expired session accepted")
	}

	behindTLS := httptest.NewRequest("GET", "/", nil)
	behindTLS.Header.Set("X-Forwarded-Proto", "https")
	rec = httptest.NewRecorder()
	_ = s.issue(rec, behindTLS, 7, 3)
	if !rec.Result().Cookies()[0].Secure {
		t.Error("cookie not Secure behind TLS")
	}
	if tok := s.csrfToken(c); tok == s.csrfToken(claims{RegisteredClaims: jwt.RegisteredClaims{ID: "other"}}) || strings.TrimSpace(tok) == "" {
		t.Error("CSRF tokens do not depend on the session")
	}
}
