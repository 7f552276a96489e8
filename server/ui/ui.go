// Package ui is the web interface: server-rendered pages (a-h/templ) for
// browsing traces, the usage dashboard and settings. Every page reads
// without JavaScript. Sessions are signed cookies; every form carries a
// CSRF token.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/respond"
	"github.com/tracium/tracium/server/ui/chart"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/web"
)

// Store is what the pages read and change.
type Store interface {
	store.TraceReader
	store.ProjectStore
	store.APIKeyStore
	store.UserStore
	store.MemberStore
	store.SessionStore
	SetProjectRetention(ctx context.Context, projectID int64, days int) (store.Project, error)
	LastRetentionRun(ctx context.Context) (store.RetentionRun, error)
	store.ScoreStore
}

// Prices says which price table the collector bills with, for settings.
type Prices interface {
	AsOf() string
	Source() string
	Len() int
}

// Reader is what the trace pages and the dashboard read.
type Reader interface {
	store.TraceReader
	ScoreMetrics(ctx context.Context, projectID int64, q store.ScoreQuery) ([]store.ScoreRow, error)
}

// Config is what the UI needs.
type Config struct {
	Store Store
	// Traces, when set, is where the trace pages and the dashboard read
	// (a read replica); Store otherwise. Sign-in, sessions, memberships,
	// settings and the scores a person edits (read back at once) always
	// use Store.
	Traces Reader
	// RetentionDays is the server-wide retention settings shows.
	RetentionDays int
	// TreeSpans bounds the spans a trace page lays out (store.TreeLimit:
	// store.MaxTreeSpans when zero); a trace with more shows its first.
	TreeSpans int
	Secret    []byte // signs sessions
	// Keys is told about revoked keys, so that they stop working at once
	// in this process.
	Keys *auth.Authenticator
	// Prices is the table costs come from; nil shows none.
	Prices Prices
	// ScoreConfigsChanged is told the project whose score names changed,
	// so that ingest checks scores against the new ones at once; nil
	// tells no one.
	ScoreConfigsChanged func(projectID int64)
	Logger              *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	store       Store
	traces      Reader
	retention   int
	treeSpans   int
	sessions    *sessions
	keys        *auth.Authenticator
	log         *slog.Logger
	throttle    *loginThrottle
	bcryptSlots chan struct{}
	prices      Prices
	// configsChanged is told the project whose score names changed.
	configsChanged func(projectID int64)
}

// New returns the UI.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Traces == nil {
		cfg.Traces = cfg.Store
	}
	changed := cfg.ScoreConfigsChanged
	if changed == nil {
		changed = func(int64) {}
	}
	return &Handler{store: cfg.Store, traces: cfg.Traces, retention: cfg.RetentionDays, treeSpans: store.TreeLimit(cfg.TreeSpans), sessions: &sessions{secret: cfg.Secret, now: time.Now, store: cfg.Store}, keys: cfg.Keys, log: cfg.Logger, prices: cfg.Prices,
		throttle: newLoginThrottle(time.Now), bcryptSlots: make(chan struct{}, max(2, runtime.NumCPU()/2)), configsChanged: changed}
}

// Routes mounts the pages on r: one line per page. Pages, stylesheets and
// icons are gzip-compressed for clients that accept it: a big trace's page
// is mostly repeated markup.
func (h *Handler) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(middleware.Compress(5, "text/html", "text/css", "image/svg+xml"))
		h.routes(r)
	})
}

func (h *Handler) routes(r chi.Router) {
	r.Get("/static/chart.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write([]byte(chart.CSS))
	})
	r.Handle("/static/*", http.StripPrefix("/static/", web.Static()))
	r.Get("/login", h.loginPage)
	r.Post("/login", h.login)
	r.Group(func(r chi.Router) {
		r.Use(h.requireSession)
		r.Get("/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/traces", http.StatusSeeOther) })
		r.Post("/logout", h.logout)
		r.Post("/project", h.switchProject)
		r.Get("/traces", h.tracesPage)
		r.Get("/traces/{traceID}", h.tracePage)
		r.Get("/sessions", h.conversationsPage)
		r.Get("/sessions/{sessionID}", h.conversationPage)
		r.Get("/users", h.endUsersPage)
		r.Post("/traces/{traceID}/scores", h.addScore)
		r.Post("/traces/{traceID}/scores/{scoreID}", h.editScore)
		r.Post("/traces/{traceID}/scores/{scoreID}/delete", h.deleteScore)
		r.Get("/dashboard", h.dashboardPage)
		r.Get("/settings", h.settingsPage)
		r.Post("/settings/projects", h.createProject)
		r.Post("/settings/retention", h.setRetention)
		r.Post("/settings/keys", h.createKey)
		r.Post("/settings/keys/{keyID}/revoke", h.revokeKey)
		r.Post("/settings/scores", h.putScoreConfig)
		r.Post("/settings/scores/remove", h.removeScoreConfig)
		r.Post("/settings/members", h.addMember)
		r.Post("/settings/members/{userID}/remove", h.removeMember)
		r.Post("/settings/users", h.createUser)
		r.Post("/settings/users/{userID}/{action}", h.changeUser)
	})
}

// CallerOfSession resolves a request's session to its user and the
// project they are looking at, for the REST API: only a live session of a
// user who is a member of that project gets it, with their role there. A
// request that changes anything (any method but GET and HEAD) must also
// carry, in an X-CSRF-Token header, the session's CSRF token: the one the
// pages' forms carry.
func (h *Handler) CallerOfSession(r *http.Request) (auth.Caller, error) {
	c, err := h.sessions.read(r)
	if errors.Is(err, errNoSession) {
		return auth.Caller{}, auth.ErrUnauthorized
	}
	if err != nil {
		return auth.Caller{}, err
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return auth.Caller{}, auth.ErrUnauthorized
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !h.sessions.checkCSRFHeader(r, c) {
		return auth.Caller{}, respond.NewProblem(respond.ErrForbidden, "csrf",
			"a signed-in request that changes data must carry the page's CSRF token in X-CSRF-Token")
	}
	role, err := h.store.GetMembership(r.Context(), uid, c.ProjectID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return auth.Caller{}, auth.ErrUnauthorized
		}
		return auth.Caller{}, err
	}
	return auth.Caller{ProjectID: c.ProjectID, UserID: uid, Role: role}, nil
}

type sessionKey struct{}

// session is the signed-in user, the project they look at with their role
// in it, and what every page's frame shows.
type session struct {
	claims   claims
	user     store.User
	project  store.Project
	role     store.Role
	projects []store.ProjectRole
	csrf     string
}

// errNoProject: the user belongs to no project.
var errNoProject = errors.New("no project")

func (h *Handler) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := h.sessions.read(r)
		if errors.Is(err, errNoSession) {
			h.sessions.clear(w, r)
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		s, err := h.loadSession(r.Context(), c)
		switch {
		case errors.Is(err, store.ErrNotFound): // the user is gone
			_ = h.sessions.end(w, r)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		case errors.Is(err, errNoProject):
			h.errorPage(w, r, http.StatusForbidden, "Your account belongs to no project yet. Ask an admin to add you to one.")
			return
		case err != nil:
			h.storeError(w, r, err)
			return
		}
		if r.Method == http.MethodPost && !h.sessions.checkCSRF(r, c) {
			h.errorPage(w, r, http.StatusForbidden, "This form has expired. Go back, reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	})
}

func (h *Handler) loadSession(ctx context.Context, c claims) (*session, error) {
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return nil, store.ErrNotFound
	}
	u, err := h.store.GetUser(ctx, uid)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, store.ErrNotFound
	}
	ps, err := h.store.ListUserProjects(ctx, uid)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, errNoProject
	}
	// The project the session names, while the user still belongs to it;
	// else their first.
	cur := ps[0]
	for _, p := range ps {
		if p.Project.ID == c.ProjectID {
			cur = p
		}
	}
	c.ProjectID = cur.Project.ID
	return &session{claims: c, user: u, project: cur.Project, role: cur.Role, projects: ps, csrf: h.sessions.csrfToken(c)}, nil
}

// can reports whether the session's role in its project is at least r.
func (s *session) can(r store.Role) bool { return roleRank[s.role] >= roleRank[r] }

var roleRank = map[store.Role]int{store.RoleViewer: 1, store.RoleMember: 2, store.RoleAdmin: 3}

func sessionOf(r *http.Request) *session { return r.Context().Value(sessionKey{}).(*session) }

// frame is what the layout needs of the session, for page view models.
func (s *session) frame(title, nav string) Frame {
	f := Frame{Title: title, Nav: nav, UserEmail: s.user.Email, IsAdmin: s.user.InstanceAdmin,
		ProjectID: s.project.ID, ProjectName: s.project.Name, CSRF: s.csrf}
	for _, p := range s.projects {
		f.Projects = append(f.Projects, ProjectOption{ID: p.Project.ID, Name: p.Project.Name})
	}
	return f
}

// render writes a page; the one place HTML responses are written.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	// Pages show a project's data: no cache keeps them after sign-out.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		h.log.Warn("render", "path", r.URL.Path, "err", err)
	}
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	h.render(w, r, status, ErrorPage(status, http.StatusText(status), message))
}

// storeError answers a failed read: 503 with Retry-After while the
// database cannot be reached, 400 for what the store refuses as invalid,
// else a server error.
func (h *Handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrUnavailable):
		h.log.Warn("ui: store unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
		h.errorPage(w, r, http.StatusServiceUnavailable, "The database cannot be reached right now. Try again in a moment.")
	case errors.Is(err, store.ErrInvalid):
		h.errorPage(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "))
	default:
		h.serverError(w, r, err)
	}
}

// serverError logs the detail and shows the user only that it failed.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("ui: internal error", "path", r.URL.Path, "err", err)
	h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. It has been logged.")
}
