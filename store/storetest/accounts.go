package storetest

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

func runAccounts(t *testing.T, newStore NewStore) {
	t.Run("Projects", func(t *testing.T) { t.Parallel(); testProjects(t, newStore) })
	t.Run("APIKeys", func(t *testing.T) { t.Parallel(); testAPIKeys(t, newStore) })
	t.Run("Users", func(t *testing.T) { t.Parallel(); testUsers(t, newStore) })
	t.Run("Members", func(t *testing.T) { t.Parallel(); testMembers(t, newStore) })
	t.Run("Sessions", func(t *testing.T) { t.Parallel(); testSessions(t, newStore) })
}

func testProjects(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	name := "proj-" + randomHex(8)
	p, err := s.CreateProject(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.Name != name || time.Since(p.CreatedAt) > time.Hour {
		t.Errorf("created %+v", p)
	}
	if _, err := s.CreateProject(ctx, name); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate name: err = %v, want ErrConflict", err)
	}
	if _, err := s.CreateProject(ctx, ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty name: err = %v, want ErrInvalid", err)
	}
	got, err := s.GetProjectByName(ctx, name)
	if err != nil || got != p {
		t.Errorf("GetProjectByName = %+v, %v; want %+v", got, err, p)
	}
	renamed, err := s.RenameProject(ctx, p.ID, name+"-new")
	if err != nil || renamed.Name != name+"-new" {
		t.Errorf("RenameProject = %+v, %v", renamed, err)
	}
	if got, err := s.GetProject(ctx, p.ID); err != nil || got.Name != name+"-new" {
		t.Errorf("GetProject after rename = %+v, %v", got, err)
	}
	if _, err := s.GetProject(ctx, -1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetProject(-1): err = %v, want ErrNotFound", err)
	}
	if _, err := s.RenameProject(ctx, -1, "x"+randomHex(4)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RenameProject(-1): err = %v, want ErrNotFound", err)
	}
	all, err := s.ListProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i, q := range all {
		found = found || q.ID == p.ID
		if i > 0 && all[i-1].ID >= q.ID {
			t.Errorf("ListProjects not ordered by id")
		}
	}
	if !found {
		t.Errorf("ListProjects misses %d", p.ID)
	}
}

func newKey(projectID int64, secret string) store.APIKey {
	h := sha256.Sum256([]byte(secret))
	return store.APIKey{ProjectID: projectID, Name: "ci", Prefix: secret[:12], Hash: h[:]}
}

func testAPIKeys(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	s, ctx := b.store, b.ctx
	secret := "sk_live_" + randomHex(40)
	k, err := s.CreateAPIKey(ctx, newKey(b.project.ID, secret))
	if err != nil {
		t.Fatal(err)
	}
	if k.ID == 0 || k.CreatedAt.IsZero() || k.LastUsedAt != nil || k.Revoked() {
		t.Errorf("created %+v", k)
	}
	if _, err := s.CreateAPIKey(ctx, newKey(b.project.ID, secret)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate hash: err = %v, want ErrConflict", err)
	}
	if _, err := s.CreateAPIKey(ctx, newKey(-1, "sk_live_"+randomHex(40))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("key for a missing project: err = %v, want ErrNotFound", err)
	}
	h := sha256.Sum256([]byte(secret))
	got, err := s.APIKeyByHash(ctx, h[:])
	if err != nil || got.ID != k.ID || got.ProjectID != b.project.ID || string(got.Hash) != string(h[:]) || got.Prefix != secret[:12] {
		t.Errorf("APIKeyByHash = %+v, %v", got, err)
	}
	other := sha256.Sum256([]byte("sk_live_unknown"))
	if _, err := s.APIKeyByHash(ctx, other[:]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: err = %v, want ErrNotFound", err)
	}
	used := base.Add(time.Minute)
	if err := s.TouchAPIKey(ctx, b.project.ID, k.ID, used); err != nil {
		t.Fatal(err)
	}
	revoked := base.Add(time.Hour)
	if err := s.RevokeAPIKey(ctx, b.project.ID, k.ID, revoked); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx, b.project.ID, k.ID, revoked.Add(time.Hour)); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	keys, err := s.ListAPIKeys(ctx, b.project.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ListAPIKeys = %+v, %v", keys, err)
	}
	if keys[0].LastUsedAt == nil || !keys[0].LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v, want %v", keys[0].LastUsedAt, used)
	}
	if keys[0].RevokedAt == nil || !keys[0].RevokedAt.Equal(revoked) {
		t.Errorf("RevokedAt = %v, want the first revocation %v", keys[0].RevokedAt, revoked)
	}
	if got, _ := s.APIKeyByHash(ctx, h[:]); !got.Revoked() {
		t.Errorf("APIKeyByHash of a revoked key says not revoked")
	}
	for _, err := range []error{
		s.TouchAPIKey(ctx, b.project.ID, -1, used),
		s.RevokeAPIKey(ctx, b.project.ID, -1, used),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown key id: err = %v, want ErrNotFound", err)
		}
	}
}

func testUsers(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	email := "Ada." + randomHex(6) + "@Example.com"
	u, err := s.CreateUser(ctx, store.User{Email: email, PasswordHash: []byte("$2a$10$hash"), InstanceAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.CreatedAt.IsZero() || !u.InstanceAdmin || u.Disabled {
		t.Errorf("created %+v", u)
	}
	dup := store.User{Email: "ada." + email[4:], PasswordHash: []byte("x")}
	if _, err := s.CreateUser(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("same email in another case: err = %v, want ErrConflict", err)
	}
	got, err := s.GetUserByEmail(ctx, "ADA."+email[4:])
	if err != nil || got.ID != u.ID || string(got.PasswordHash) != "$2a$10$hash" || !got.InstanceAdmin {
		t.Errorf("GetUserByEmail = %+v, %v", got, err)
	}
	u.InstanceAdmin = false
	u.Disabled = true
	u.PasswordHash = []byte("$2a$10$new")
	if _, err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetUser(ctx, u.ID)
	if err != nil || got.InstanceAdmin || !got.Disabled || string(got.PasswordHash) != "$2a$10$new" {
		t.Errorf("after update GetUser = %+v, %v", got, err)
	}
	if _, err := s.GetUserByEmail(ctx, "nobody-"+randomHex(6)+"@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown email: err = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateUser(ctx, store.User{ID: -1, Email: "x@y.z", PasswordHash: []byte("x")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser(-1): err = %v, want ErrNotFound", err)
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range users {
		found = found || x.ID == u.ID
	}
	if !found {
		t.Errorf("ListUsers misses %d", u.ID)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser after DeleteUser: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteUser twice: err = %v, want ErrNotFound", err)
	}
}
