package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
)

// SettingsView is the settings page: the current project's API keys and
// members, the user's projects, and for instance admins every user.
type SettingsView struct {
	Frame
	// Role is the user's role in the current project.
	Role                            string
	CanManageKeys, CanManageMembers bool
	Projects                        []ProjectRow
	Keys                            []KeyRow
	Members                         []MemberRow
	Users                           []UserRow
	Retention                       RetentionView
	// ScoreConfigs are the project's score names; admins change them.
	ScoreConfigs    []ScoreConfigRow
	CanManageScores bool
	// Prices names the price table costs come from.
	Prices        string
	NewSecret     string // a key just created: shown this once
	Notice, Error string
}

// ProjectRow is a line of the projects table.
type ProjectRow struct{ ID, Name, Created, Role string }

// KeyRow is a line of the API keys table.
type KeyRow struct {
	ID, Name, Prefix, Created, LastUsed, Revoked string
	Active                                       bool
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request) {
	h.renderSettings(w, r, http.StatusOK, SettingsView{})
}

// renderSettings fills the tables around what an action has to say.
func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, status int, v SettingsView) {
	s := sessionOf(r)
	ctx := r.Context()
	v.Frame = s.frame("Settings", "settings")
	v.Role, v.CanManageKeys, v.CanManageMembers = string(s.role), s.can(store.RoleMember), s.can(store.RoleAdmin)
	v.CanManageScores = s.can(store.RoleAdmin)
	for _, p := range s.projects {
		v.Projects = append(v.Projects, ProjectRow{ID: idString(p.Project.ID), Name: p.Project.Name,
			Created: formatTime(p.Project.CreatedAt), Role: string(p.Role)})
	}
	keys, err := h.store.ListAPIKeys(ctx, s.project.ID)
	if err != nil {
		h.storeError(w, r, err)
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
	if v.Members, err = h.memberRows(r, s); err == nil && s.user.InstanceAdmin {
		v.Users, err = h.userRows(r)
	}
	if err == nil {
		v.ScoreConfigs, err = h.scoreConfigRows(r, s)
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	v.Retention = h.retentionView(r, s)
	if h.prices != nil {
		v.Prices = h.prices.Source() + " · prices as of " + h.prices.AsOf() + " · " + formatCount(int64(h.prices.Len())) + " models"
	}
	h.render(w, r, status, SettingsPage(v))
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleMember) {
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
		h.storeError(w, r, err)
		return
	}
	// Rendered, not redirected: the secret must not land in a URL or history.
	h.renderSettings(w, r, http.StatusOK, SettingsView{NewSecret: secret,
		Notice: "Key created. Copy it now: it is shown once and only its hash is kept."})
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleMember) {
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
		h.storeError(w, r, err)
		return
	}
	if h.keys != nil {
		h.keys.ForgetID(id)
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

func (h *Handler) createProject(w http.ResponseWriter, r *http.Request) {
	if !sessionOf(r).user.InstanceAdmin {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only instance admins create projects."})
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
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}
