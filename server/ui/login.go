package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

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
	u, err := h.store.GetUserByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	hash := dummyHash
	if err == nil {
		hash = u.PasswordHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil {
		h.log.Info("ui: failed sign-in")
		fail(http.StatusUnauthorized, "Wrong email or password.")
		return
	}
	projects, err := h.store.ListProjects(r.Context())
	if err != nil || len(projects) == 0 {
		h.serverError(w, r, errors.New("no project to show"))
		return
	}
	if err := h.sessions.issue(w, r, u.ID, projects[0].ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	h.sessions.clear(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// switchProject re-issues the session for another project.
func (h *Handler) switchProject(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	id, err := parseID(r.PostFormValue("project"))
	if err == nil {
		_, err = h.store.GetProject(r.Context(), id)
	}
	if err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "No such project.")
		return
	}
	if err := h.sessions.issue(w, r, s.user.ID, id); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/traces", http.StatusSeeOther)
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/traces"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
