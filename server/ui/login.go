package ui

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/store"
)

// dummyHash is compared against when the email is unknown, so that a
// failed login takes as long whether or not the account exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("tracium-dummy-password"), bcrypt.DefaultCost)

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := h.sessions.read(r); err == nil {
		http.Redirect(w, r, "/traces", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, LoginPage(LoginView{CSRF: loginToken(w, r), Next: safeNext(r.URL.Query().Get("next"))}))
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	fail := func(status int, msg string) {
		h.render(w, r, status, LoginPage(LoginView{CSRF: loginToken(w, r), Next: next, Email: email, Error: msg}))
	}
	if !checkLoginToken(r) {
		fail(http.StatusForbidden, "This form has expired. Please try again.")
		return
	}
	account, addr := strings.ToLower(email), clientAddr(r)
	if wait := h.throttle.wait(account, addr); wait > 0 {
		secs := int(wait.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		h.log.Warn("ui: sign-in throttled", "addr", addr)
		fail(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Try again in %s.", wait.Round(time.Second)))
		return
	}
	u, err := h.store.GetUserByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	hash := dummyHash
	if err == nil {
		hash = u.PasswordHash
	}
	if !h.checkPassword(r, hash, password) || err != nil {
		h.throttle.fail(account, addr)
		h.log.Info("ui: failed sign-in", "addr", addr)
		fail(http.StatusUnauthorized, "Wrong email or password.")
		return
	}
	h.throttle.succeed(account)
	projects, err := h.store.ListUserProjects(r.Context(), u.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	var first int64
	if len(projects) > 0 {
		first = projects[0].Project.ID
	}
	if err := h.sessions.start(w, r, u.ID, first); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sessions.end(w, r); err != nil {
		h.log.Warn("ui: sign-out could not revoke the session", "err", err)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// switchProject re-issues the session for another project.
func (h *Handler) switchProject(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	id, err := parseID(r.PostFormValue("project"))
	if err == nil {
		_, err = h.store.GetMembership(r.Context(), s.user.ID, id)
	}
	if err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "No such project among yours.")
		return
	}
	if err := h.sessions.moveTo(w, r, s.claims, id); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/traces", http.StatusSeeOther)
}

// checkPassword compares a password with its bcrypt hash, at most
// bcryptSlots at a time: each comparison takes a core for tens of
// milliseconds, and sign-in must not take the CPU from everything else.
func (h *Handler) checkPassword(r *http.Request, hash []byte, password string) bool {
	select {
	case h.bcryptSlots <- struct{}{}:
		defer func() { <-h.bcryptSlots }()
	case <-r.Context().Done():
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// clientAddr is the request's peer address without its port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext keeps redirects after sign-in on this site: a path of this
// site, as a browser will read it. Browsers treat "\" as "/" and drop
// tabs and newlines, so "/\evil.example", "/%5Cevil.example",
// "/%2F%2Fevil.example" and "/%09/evil.example" would all leave the site;
// any of those, and anything with a scheme or a host, gives the default.
func safeNext(next string) string {
	const home = "/traces"
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	for _, text := range []string{next, u.Path} { // as sent, and decoded
		if strings.HasPrefix(text, "//") {
			return home
		}
		for i := 0; i < len(text); i++ {
			if c := text[i]; c < 0x20 || c == 0x7f || c == '\\' {
				return home
			}
		}
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
