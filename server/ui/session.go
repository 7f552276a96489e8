package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tracium/tracium/store"
)

// Sessions are signed JWTs in an HttpOnly cookie whose id names a session
// kept by the store (only its SHA-256): signing out, disabling or removing
// the user ends it at once, and a cookie that outlives its session is
// worth nothing. A restart keeps users signed in. Every form carries a
// CSRF token derived from the session's id.

const (
	sessionCookie = "tracium_session"
	loginCSRF     = "tracium_login_csrf"
	sessionTTL    = 12 * time.Hour
)

// claims are what a session says: who, which project they look at, and a
// random id the CSRF token is bound to.
type claims struct {
	jwt.RegisteredClaims
	ProjectID int64 `json:"pid"`
}

type sessions struct {
	secret []byte
	now    func() time.Time
	store  store.SessionStore
}

var errNoSession = errors.New("no valid session")

// start begins a session for the user looking at projectID: a new id,
// stored by its hash, and the cookie.
func (s *sessions) start(w http.ResponseWriter, r *http.Request, userID, projectID int64) error {
	now := s.now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(userID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(sessionTTL)),
			ID:        randomToken(),
			Issuer:    "tracium",
		},
		ProjectID: projectID,
	}
	if err := s.store.CreateSession(r.Context(), store.Session{IDHash: sessionHash(c.ID), UserID: userID,
		CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}); err != nil {
		return err
	}
	return s.write(w, r, c)
}

// moveTo re-signs the session c for another project; the session stays
// the same.
func (s *sessions) moveTo(w http.ResponseWriter, r *http.Request, c claims, projectID int64) error {
	c.ProjectID = projectID
	return s.write(w, r, c)
}

func (s *sessions) write(w http.ResponseWriter, r *http.Request, c claims) error {
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: secure(r), SameSite: http.SameSiteLaxMode, Expires: c.ExpiresAt.Time})
	return nil
}

// sessionHash is what the store keeps of a session id.
func sessionHash(id string) []byte {
	h := sha256.Sum256([]byte("tracium-session|" + id))
	return h[:]
}

// end revokes the request's session, if any, and clears the cookie.
func (s *sessions) end(w http.ResponseWriter, r *http.Request) error {
	var err error
	if c, rerr := s.verify(r); rerr == nil {
		err = s.store.RevokeSession(r.Context(), sessionHash(c.ID))
	}
	s.clear(w, r)
	return err
}

// read returns the request's session, or errNoSession when it has none,
// its cookie is not ours, or the store no longer holds it (signed out,
// expired, the user disabled or removed). Other store failures are
// returned as they are.
func (s *sessions) read(r *http.Request) (claims, error) {
	c, err := s.verify(r)
	if err != nil {
		return claims{}, err
	}
	if _, err := s.store.GetSession(r.Context(), sessionHash(c.ID)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return claims{}, errNoSession
		}
		return claims{}, err
	}
	return c, nil
}

// verify checks the cookie's signature and claims only.
func (s *sessions) verify(r *http.Request) (claims, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return claims{}, errNoSession
	}
	var c claims
	_, err = jwt.ParseWithClaims(ck.Value, &c, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("tracium"), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now))
	if err != nil || c.ID == "" {
		return claims{}, errNoSession
	}
	return c, nil
}

func (s *sessions) clear(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: secure(r), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// csrfToken binds a form to the session it was rendered for.
func (s *sessions) csrfToken(c claims) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("csrf|" + c.ID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF reports whether the posted form carries the session's token.
func (s *sessions) checkCSRF(r *http.Request, c claims) bool {
	return hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(c)))
}

// checkCSRFHeader reports whether an API request carries the session's
// token in its X-CSRF-Token header. The body is left unread: it is JSON,
// not a form.
func (s *sessions) checkCSRFHeader(r *http.Request, c claims) bool {
	return hmac.Equal([]byte(r.Header.Get("X-CSRF-Token")), []byte(s.csrfToken(c)))
}

// loginToken sets the double-submit cookie of the login form, which has
// no session to bind to yet.
func loginToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(loginCSRF); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	t := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Value: t, Path: "/login", HttpOnly: true,
		Secure: secure(r), SameSite: http.SameSiteStrictMode})
	return t
}

func checkLoginToken(r *http.Request) bool {
	ck, err := r.Cookie(loginCSRF)
	return err == nil && len(ck.Value) >= 32 && hmac.Equal([]byte(ck.Value), []byte(r.PostFormValue("csrf")))
}

// secure says whether cookies must be Secure: the request came over TLS,
// directly or through a proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
