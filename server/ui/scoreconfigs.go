package ui

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/tracium/tracium/store"
)

// Score names, on the settings page: a project's admins say which names
// its scores use, with their type and range or labels; a score sent under
// a configured name must fit it.

// ScoreConfigRow is a line of the score names table.
type ScoreConfigRow struct{ Name, Type, Takes, Description string }

func (h *Handler) scoreConfigRows(r *http.Request, s *session) ([]ScoreConfigRow, error) {
	cs, err := h.store.ListScoreConfigs(r.Context(), s.project.ID)
	if err != nil {
		return nil, err
	}
	rows := make([]ScoreConfigRow, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, ScoreConfigRow{Name: c.Name, Type: string(c.Type), Takes: configHint(c), Description: c.Description})
	}
	return rows, nil
}

// putScoreConfig creates or replaces the configuration of a score name.
func (h *Handler) putScoreConfig(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleAdmin) {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only the project's admins configure score names."})
		return
	}
	c := store.ScoreConfig{ProjectID: s.project.ID, Name: strings.TrimSpace(r.PostFormValue("name")),
		Type: store.ScoreType(r.PostFormValue("type")), Description: strings.TrimSpace(r.PostFormValue("description"))}
	var bad []string
	bound := func(field string) *float64 {
		v := strings.TrimSpace(r.PostFormValue(field))
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			bad = append(bad, field)
			return nil
		}
		return &f
	}
	if c.Type == store.ScoreNumeric {
		c.Min, c.Max = bound("min"), bound("max")
	}
	if c.Type == store.ScoreCategorical {
		for _, l := range strings.Split(r.PostFormValue("labels"), ",") {
			if l = strings.TrimSpace(l); l != "" {
				c.Labels = append(c.Labels, l)
			}
		}
	}
	if len(bad) > 0 {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "The range's " + strings.Join(bad, " and ") + " must be a number."})
		return
	}
	_, err := h.store.PutScoreConfig(r.Context(), c)
	if errors.Is(err, store.ErrInvalid) {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: "The score name cannot be configured so: " + invalidReason(err) + "."})
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.configsChanged(s.project.ID)
	http.Redirect(w, r, "/settings#scores", http.StatusSeeOther)
}

// removeScoreConfig removes a score name's configuration; its scores stay.
func (h *Handler) removeScoreConfig(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleAdmin) {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only the project's admins configure score names."})
		return
	}
	err := h.store.DeleteScoreConfig(r.Context(), s.project.ID, r.PostFormValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		h.renderSettings(w, r, http.StatusNotFound, SettingsView{Error: "No such score name in this project."})
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.configsChanged(s.project.ID)
	http.Redirect(w, r, "/settings#scores", http.StatusSeeOther)
}
