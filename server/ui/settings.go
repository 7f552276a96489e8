package ui

import (
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
)

// SettingsView is the settings page: projects, the current project's API
// keys, and users.
type SettingsView struct {
	Frame
	CanManageKeys bool
	Projects      []ProjectRow
	Keys          []KeyRow
	Users         []UserRow
	NewSecret     string // a key just created: shown this once
	Notice, Error string
}

// ProjectRow is a line of the projects table.
type ProjectRow struct{ ID, Name, Created string }

// KeyRow is a line of the API keys table.
type KeyRow struct {
	ID, Name, Prefix, Created, LastUsed, Revoked string
	Active                                       bool
}

// UserRow is a line of the users table.
type UserRow struct{ Email, Role, Created string }

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request) {
	h.renderSettings(w, r, http.StatusOK, SettingsView{})
}

// renderSettings fills the tables around what an action has to say.
func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, status int, v SettingsView) {
	s := sessionOf(r)
	ctx := r.Context()
	v.Frame = s.frame("Settings", "settings")
	v.CanManageKeys = s.user.InstanceAdmin
	for _, p := range s.projects {
		v.Projects = append(v.Projects, ProjectRow{ID: idString(p.ID), Name: p.Name, Created: formatTime(p.CreatedAt)})
	}
	keys, err := h.store.ListAPIKeys(ctx, s.project.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, k := range keys {
		row := KeyRow{ID: idString(k.ID), Name: k.Name, Prefix: k.Prefix + "…", Created: formatTime(k.CreatedAt),
			LastUsed: "never", Active: !k.Revoked()}
		if k.LastUsedAt != nil {
			row.LastUsed = formatTime(*k.LastUsedAt)
		}
		if k.RevokedAt != nil {
			row.Revoked = formatTime(*k.RevokedAt)
		}
		v.Keys = append(v.Keys, row)
	}
	if v.IsAdmin {
		users, err := h.store.ListUsers(ctx)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, u := range users {
			v.Users = append(v.Users, UserRow{Email: u.Email, Role: instanceRole(u), Created: formatTime(u.CreatedAt)})
		}
	}
	h.render(w, r, status, SettingsPage(v))
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.user.InstanceAdmin {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Viewers cannot create API keys."})
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 100 {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "Give the key a name of 1 to 100 characters."})
		return
	}
	secret, rec, err := auth.NewKey(s.project.ID, name)
	if err == nil {
		_, err = h.store.CreateAPIKey(r.Context(), rec)
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// Rendered, not redirected: the secret must not land in a URL or history.
	w.Header().Set("Cache-Control", "no-store")
	h.renderSettings(w, r, http.StatusOK, SettingsView{NewSecret: secret,
		Notice: "Key created. Copy it now: it is shown once and only its hash is kept."})
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.user.InstanceAdmin {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Viewers cannot revoke API keys."})
		return
	}
	id, err := parseID(chi.URLParam(r, "keyID"))
	if err == nil {
		err = h.store.RevokeAPIKey(r.Context(), s.project.ID, id, time.Now())
	}
	var numErr *strconv.NumError
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.As(err, &numErr):
		h.renderSettings(w, r, http.StatusNotFound, SettingsView{Error: "No such key in this project."})
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	if h.keys != nil {
		h.keys.ForgetID(id)
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

func (h *Handler) createProject(w http.ResponseWriter, r *http.Request) {
	if !sessionOf(r).isAdmin() {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only admins create projects."})
		return
	}
	_, err := h.store.CreateProject(r.Context(), strings.TrimSpace(r.PostFormValue("name")))
	switch {
	case errors.Is(err, store.ErrConflict):
		h.renderSettings(w, r, http.StatusConflict, SettingsView{Error: "A project with that name exists."})
		return
	case errors.Is(err, store.ErrInvalid):
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "Give the project a name of 1 to 200 characters."})
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	if !sessionOf(r).isAdmin() {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only admins add users."})
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	password, role := r.PostFormValue("password"), store.Role(r.PostFormValue("role"))
	if _, err := mail.ParseAddress(email); err != nil || len(password) < 8 || len(password) > 72 || !role.Valid() {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "Give a valid email, a password of 8 to 72 characters and a role."})
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err == nil {
		_, err = h.store.CreateUser(r.Context(), store.User{Email: email, PasswordHash: hash, InstanceAdmin: role == store.RoleAdmin})
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		h.renderSettings(w, r, http.StatusConflict, SettingsView{Error: "A user with that email exists."})
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

func (s *session) isAdmin() bool { return s.user.InstanceAdmin }

// instanceRole names what a user may do until memberships reach the UI:
// an instance admin manages everything, anyone else reads.
func instanceRole(u store.User) string {
	if u.InstanceAdmin {
		return string(store.RoleAdmin)
	}
	return string(store.RoleViewer)
}
