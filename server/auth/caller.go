package auth

import "github.com/tracium/tracium/store"

// Caller is who makes a request and the project it acts in: an API key
// of the project, or a signed-in user with their role in it.
type Caller struct {
	ProjectID int64
	// KeyID is the API key's id; zero for a user.
	KeyID int64
	// UserID and Role are the user's; zero and empty for a key.
	UserID int64
	Role   store.Role
}

// FromKey is the caller an API key makes.
func FromKey(k store.APIKey) Caller { return Caller{ProjectID: k.ProjectID, KeyID: k.ID} }

// CanWrite reports whether the caller may change the project's data
// (scores): any live key, and users of role member or admin.
func (c Caller) CanWrite() bool {
	return c.KeyID != 0 || c.Role == store.RoleMember || c.Role == store.RoleAdmin
}
