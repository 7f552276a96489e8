package ui

import (
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/go-chi/chi/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/store"
)

// People: a project's admins manage its members; instance admins manage
// users (create, disable, remove) and may manage any project's members.

// MemberRow is a line of the members table.
type MemberRow struct {
	UserID, Email, Role string
	You                 bool
}

// UserRow is a line of the users table (instance admins only).
type UserRow struct {
	ID, Email, Created string
	InstanceAdmin      bool
	Disabled, You      bool
}

func (h *Handler) memberRows(r *http.Request, s *session) ([]MemberRow, error) {
	ms, err := h.store.ListMembers(r.Context(), s.project.ID)
	if err != nil {
		return nil, err
	}
	rows := make([]MemberRow, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, MemberRow{UserID: idString(m.UserID), Email: m.Email, Role: string(m.Role), You: m.UserID == s.user.ID})
	}
	return rows, nil
}

func (h *Handler) userRows(r *http.Request) ([]UserRow, error) {
	us, err := h.store.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	me := sessionOf(r).user.ID
	rows := make([]UserRow, 0, len(us))
	for _, u := range us {
		rows = append(rows, UserRow{ID: idString(u.ID), Email: u.Email, Created: formatTime(u.CreatedAt),
			InstanceAdmin: u.InstanceAdmin, Disabled: u.Disabled, You: u.ID == me})
	}
	return rows, nil
}

// addMember gives a user, named by email, a role in the current project
// (or changes the role they have).
func (h *Handler) addMember(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleAdmin) {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only the project's admins manage its members."})
		return
	}
	role := store.Role(r.PostFormValue("role"))
	u, err := h.store.GetUserByEmail(r.Context(), strings.TrimSpace(r.PostFormValue("email")))
	switch {
	case !role.Valid():
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "Pick a role: viewer, member or admin."})
		return
	case errors.Is(err, store.ErrNotFound):
		h.renderSettings(w, r, http.StatusNotFound, SettingsView{Error: "No user has that email. An instance admin adds users."})
		return
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	if err := h.store.AddMember(r.Context(), s.project.ID, u.ID, role); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleAdmin) {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only the project's admins manage its members."})
		return
	}
	id, err := parseID(chi.URLParam(r, "userID"))
	if err != nil || id == s.user.ID {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "You cannot remove yourself; another admin can."})
		return
	}
	switch err := h.store.RemoveMember(r.Context(), s.project.ID, id); {
	case errors.Is(err, store.ErrNotFound):
		h.renderSettings(w, r, http.StatusNotFound, SettingsView{Error: "No such member of this project."})
		return
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

// createUser adds a user, optionally an instance admin, and a member of
// the current project with the role asked for ("none": no membership).
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.user.InstanceAdmin {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only instance admins add users."})
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	password, role := r.PostFormValue("password"), store.Role(r.PostFormValue("role"))
	if _, err := mail.ParseAddress(email); err != nil || len(password) < 8 || len(password) > 72 || (role != "none" && !role.Valid()) {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "Give a valid email, a password of 8 to 72 characters and a role."})
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	var u store.User
	if err == nil {
		u, err = h.store.CreateUser(r.Context(), store.User{Email: email, PasswordHash: hash, InstanceAdmin: r.PostFormValue("instance_admin") != ""})
	}
	if err == nil && role != "none" {
		err = h.store.AddMember(r.Context(), s.project.ID, u.ID, role)
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		h.renderSettings(w, r, http.StatusConflict, SettingsView{Error: "A user with that email exists."})
		return
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}

// changeUser disables, enables or removes a user. Disabling and removing
// end the user's sessions at once (the store revokes them).
func (h *Handler) changeUser(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.user.InstanceAdmin {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only instance admins manage users."})
		return
	}
	id, err := parseID(chi.URLParam(r, "userID"))
	if err != nil || id == s.user.ID {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "You cannot change your own account here."})
		return
	}
	switch action := chi.URLParam(r, "action"); action {
	case "remove":
		err = h.store.DeleteUser(r.Context(), id)
	case "disable", "enable":
		var u store.User
		if u, err = h.store.GetUser(r.Context(), id); err == nil {
			u.Disabled = action == "disable"
			_, err = h.store.UpdateUser(r.Context(), u)
		}
	default:
		h.errorPage(w, r, http.StatusNotFound, "No such action.")
		return
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.renderSettings(w, r, http.StatusNotFound, SettingsView{Error: "No such user."})
		return
	case err != nil:
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}
