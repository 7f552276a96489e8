package ui

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/sqlite"
)

// sessionStore is a real store holding one user, for the session tests.
func sessionStore(t *testing.T) (store.Store, int64) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "sessions.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.CreateUser(t.Context(), store.User{Email: "s@example.com", PasswordHash: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	return st, u.ID
}

func TestSessions(t *testing.T) {
	t.Parallel()
	st, uid := sessionStore(t)
	now := time.Now()
	s := &sessions{secret: []byte("0123456789abcdef0123456789abcdef"), now: func() time.Time { return now }, store: st}
	rec := httptest.NewRecorder()
	if err := s.start(rec, httptest.NewRequest("GET", "/", nil), uid, 3); err != nil {
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
	if err != nil || c.Subject != strconv.FormatInt(uid, 10) || c.ProjectID != 3 {
		t.Fatalf("read = %+v, %v", c, err)
	}

	tampered := cookie.Value[:len(cookie.Value)-2] + "xx"
	other := &sessions{secret: []byte("another secret, another server.."), now: s.now, store: st}
	otherRec := httptest.NewRecorder()
	_ = other.start(otherRec, httptest.NewRequest("GET", "/", nil), uid, 3)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims{ProjectID: 3}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for name, value := range map[string]string{
		"tampered": tampered, "other secret": otherRec.Result().Cookies()[0].Value, "alg none": none, "garbage": "abc",
	} {
		if _, err := s.read(req(value)); err == nil {
			t.Errorf("%s session accepted", name)
		}
	}
	later := &sessions{secret: s.secret, now: func() time.Time { return now.Add(sessionTTL + time.Minute) }, store: st}
	if _, err := later.read(req(cookie.Value)); err == nil {
		t.Error("expired session accepted")
	}

	behindTLS := httptest.NewRequest("GET", "/", nil)
	behindTLS.Header.Set("X-Forwarded-Proto", "https")
	rec = httptest.NewRecorder()
	_ = s.start(rec, behindTLS, uid, 3)
	if !rec.Result().Cookies()[0].Secure {
		t.Error("cookie not Secure behind TLS")
	}
	if tok := s.csrfToken(c); tok == s.csrfToken(claims{RegisteredClaims: jwt.RegisteredClaims{ID: "other"}}) || strings.TrimSpace(tok) == "" {
		t.Error("CSRF tokens do not depend on the session")
	}
}

// TestSessionsEnd: a session ends on sign-out, when its user's sessions
// are revoked, and when the user is disabled; the signed cookie alone is
// then worth nothing.
func TestSessionsEnd(t *testing.T) {
	t.Parallel()
	st, uid := sessionStore(t)
	s := &sessions{secret: []byte("0123456789abcdef0123456789abcdef"), now: time.Now, store: st}
	signIn := func() *http.Request {
		rec := httptest.NewRecorder()
		if err := s.start(rec, httptest.NewRequest("GET", "/", nil), uid, 1); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(rec.Result().Cookies()[0])
		if _, err := s.read(r); err != nil {
			t.Fatalf("a fresh session: %v", err)
		}
		return r
	}
	r := signIn()
	if err := s.end(httptest.NewRecorder(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.read(r); !errors.Is(err, errNoSession) {
		t.Errorf("after sign-out: %v, want errNoSession", err)
	}
	r = signIn()
	if err := st.RevokeUserSessions(t.Context(), uid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.read(r); !errors.Is(err, errNoSession) {
		t.Errorf("after the user's sessions were revoked: %v", err)
	}
	r = signIn()
	u, _ := st.GetUser(t.Context(), uid)
	u.Disabled = true
	if _, err := st.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.read(r); !errors.Is(err, errNoSession) {
		t.Errorf("after the user was disabled: %v", err)
	}
}
