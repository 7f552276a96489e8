package store

import "time"

// Project owns traces and API keys. Every read and write of trace data is
// scoped by a project id.
type Project struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// RetentionDays is how long the project keeps its traces; 0 keeps
	// them as long as the server-wide retention allows.
	RetentionDays int `json:"retention_days"`
}

// APIKey lets an SDK write to, and read from, one project. The secret itself
// is never stored: Hash is its SHA-256, Prefix the first characters shown in
// the UI so that a user can tell keys apart.
type APIKey struct {
	ID         int64      `json:"id"`
	ProjectID  int64      `json:"project_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Hash       []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return k.RevokedAt != nil }

// Role is what a web UI user may do in one project.
type Role string

// In a project, viewers read traces; members also create and revoke its
// API keys and score its traces; admins also manage its members and its
// score names.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleMember || r == RoleViewer }

// User signs in to the web UI. PasswordHash is a bcrypt hash.
//
// A user sees the projects they are a member of, with the role each
// membership gives. An instance admin also manages users and memberships
// and is admin of every project, member or not. A disabled user has no
// sessions and no projects until enabled again.
type User struct {
	ID            int64     `json:"id"`
	Email         string    `json:"email"`
	PasswordHash  []byte    `json:"-"`
	InstanceAdmin bool      `json:"instance_admin"`
	Disabled      bool      `json:"disabled"`
	CreatedAt     time.Time `json:"created_at"`
}

// Member is a user's membership of a project.
type Member struct {
	ProjectID int64     `json:"project_id"`
	UserID    int64     `json:"user_id"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// ProjectRole is a project a user may open, with their role in it.
type ProjectRole struct {
	Project Project `json:"project"`
	Role    Role    `json:"role"`
}

// Session is a signed-in browser, kept on the server so that it can be
// ended: IDHash is the SHA-256 of the random session id the cookie holds
// (the id itself is never stored).
type Session struct {
	IDHash    []byte    `json:"-"`
	UserID    int64     `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SessionIDHashLen is the length of Session.IDHash: a SHA-256.
const SessionIDHashLen = 32
