package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tracium/tracium/store"
)

// RetentionView is the settings page's retention section: how long the
// server and the project keep traces, and what the last pass of the
// retention job (whichever collector ran it) removed.
type RetentionView struct {
	// Server is the server-wide retention, in words.
	Server string
	// ProjectDays is the project's own retention; 0 for none.
	ProjectDays int
	// CanChange: the user is an admin of the project.
	CanChange bool
	// LastRun says when the last pass ran and what it removed; Failure
	// why it stopped, when it did.
	LastRun, Failure string
}

func (h *Handler) retentionView(r *http.Request, s *session) RetentionView {
	v := RetentionView{Server: "none (traces are kept until a project's own retention removes them)",
		ProjectDays: s.project.RetentionDays, CanChange: s.can(store.RoleAdmin), LastRun: "not yet"}
	if h.retention > 0 {
		v.Server = days(h.retention) + " (whole days: set by TRACIUM_RETENTION_DAYS)"
	}
	run, err := h.store.LastRetentionRun(r.Context())
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		h.log.Warn("settings: last retention run", "err", err)
		v.LastRun = "unknown (the database did not answer)"
	default:
		v.LastRun = fmt.Sprintf("%s UTC: removed %s traces (%s spans, %s scores)", formatTime(run.FinishedAt),
			formatCount(run.Traces), formatCount(run.Spans), formatCount(run.Scores))
		if run.Partitions > 0 {
			v.LastRun += fmt.Sprintf(", %s day partitions", formatCount(run.Partitions))
		}
		v.Failure = run.Failure
	}
	return v
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// setRetention sets the current project's own retention (project admins).
func (h *Handler) setRetention(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.can(store.RoleAdmin) {
		h.renderSettings(w, r, http.StatusForbidden, SettingsView{Error: "Only the project's admins change its retention."})
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err == nil {
		err = store.ValidRetentionDays(n)
	}
	if err != nil {
		h.renderSettings(w, r, http.StatusBadRequest, SettingsView{Error: fmt.Sprintf("Give the retention as a whole number of days from 0 (keep everything) to %d.", store.MaxRetentionDays)})
		return
	}
	if _, err := h.store.SetProjectRetention(r.Context(), s.project.ID, n); err != nil {
		h.storeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}
