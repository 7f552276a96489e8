package storetest

import (
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// newUser creates a user of its own for a test.
func newUser(t *testing.T, s store.Store, instanceAdmin bool) store.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), store.User{Email: "u-" + randomHex(8) + "@example.com", PasswordHash: []byte("x"), InstanceAdmin: instanceAdmin})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

// projectRoles maps the ids of prs to their roles.
func projectRoles(prs []store.ProjectRole) map[int64]store.Role {
	m := map[int64]store.Role{}
	for _, pr := range prs {
		m[pr.Project.ID] = pr.Role
	}
	return m
}

func testMembers(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	s, ctx := b.store, b.ctx
	other, err := s.CreateProject(ctx, "p-"+randomHex(8))
	if err != nil {
		t.Fatal(err)
	}
	viewer, member := newUser(t, s, false), newUser(t, s, false)
	if err := s.AddMember(ctx, b.project.ID, viewer.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, b.project.ID, member.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, b.project.ID, member.ID, store.RoleMember); err != nil { // an upsert
		t.Fatalf("AddMember again: %v", err)
	}
	for _, tt := range []struct {
		name      string
		err       error
		wantValue error
	}{
		{"bad role", s.AddMember(ctx, b.project.ID, viewer.ID, "owner"), store.ErrInvalid},
		{"unknown user", s.AddMember(ctx, b.project.ID, -1, store.RoleViewer), store.ErrNotFound},
		{"unknown project", s.AddMember(ctx, -1, viewer.ID, store.RoleViewer), store.ErrNotFound},
	} {
		if !errors.Is(tt.err, tt.wantValue) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.wantValue)
		}
	}

	members, err := s.ListMembers(ctx, b.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]store.Role{}
	for _, m := range members {
		got[m.UserID] = m.Role
		if m.ProjectID != b.project.ID || m.Email == "" || m.CreatedAt.IsZero() {
			t.Errorf("member %+v", m)
		}
	}
	if len(got) != 2 || got[viewer.ID] != store.RoleViewer || got[member.ID] != store.RoleMember {
		t.Errorf("ListMembers = %+v", members)
	}
	if ms, _ := s.ListMembers(ctx, other.ID); len(ms) != 0 {
		t.Errorf("the other project has members %+v", ms)
	}

	if role, err := s.GetMembership(ctx, member.ID, b.project.ID); err != nil || role != store.RoleMember {
		t.Errorf("GetMembership = %q, %v; want member", role, err)
	}
	if _, err := s.GetMembership(ctx, member.ID, other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetMembership of another project: err = %v, want ErrNotFound", err)
	}
	prs, err := s.ListUserProjects(ctx, viewer.ID)
	if err != nil || !maps(projectRoles(prs), map[int64]store.Role{b.project.ID: store.RoleViewer}) {
		t.Errorf("ListUserProjects(viewer) = %+v, %v; want only this project, as viewer", prs, err)
	}

	admin := newUser(t, s, true)
	prs, err = s.ListUserProjects(ctx, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	roles := projectRoles(prs)
	if roles[b.project.ID] != store.RoleAdmin || roles[other.ID] != store.RoleAdmin {
		t.Errorf("an instance admin's projects = %+v; want every project as admin", prs)
	}
	if !slices.IsSortedFunc(prs, func(a, b store.ProjectRole) int { return int(a.Project.ID - b.Project.ID) }) {
		t.Errorf("ListUserProjects not by id")
	}
	if role, err := s.GetMembership(ctx, admin.ID, other.ID); err != nil || role != store.RoleAdmin {
		t.Errorf("an instance admin's role = %q, %v; want admin", role, err)
	}
	if _, err := s.GetMembership(ctx, admin.ID, -1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an instance admin in a missing project: err = %v, want ErrNotFound", err)
	}

	viewer.Disabled = true
	if _, err := s.UpdateUser(ctx, viewer); err != nil {
		t.Fatal(err)
	}
	if prs, err := s.ListUserProjects(ctx, viewer.ID); err != nil || len(prs) != 0 {
		t.Errorf("a disabled user's projects = %+v, %v; want none", prs, err)
	}
	if _, err := s.GetMembership(ctx, viewer.ID, b.project.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a disabled user's membership: err = %v, want ErrNotFound", err)
	}

	if err := s.RemoveMember(ctx, b.project.ID, member.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, b.project.ID, member.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RemoveMember twice: err = %v, want ErrNotFound", err)
	}
	if prs, _ := s.ListUserProjects(ctx, member.ID); len(prs) != 0 {
		t.Errorf("a removed member still sees %+v", prs)
	}
	if err := s.DeleteUser(ctx, viewer.ID); err != nil {
		t.Fatal(err)
	}
	if ms, _ := s.ListMembers(ctx, b.project.ID); len(ms) != 0 {
		t.Errorf("members after removing one and deleting the other: %+v", ms)
	}
}

func maps(a, b map[int64]store.Role) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sessionHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

func testSessions(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	u, v := newUser(t, s, false), newUser(t, s, false)
	live := store.Session{UserID: u.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)}
	if err := s.CreateSession(ctx, live); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, live.IDHash)
	if err != nil || got.UserID != u.ID || !got.ExpiresAt.Equal(live.ExpiresAt) || string(got.IDHash) != string(live.IDHash) || got.CreatedAt.IsZero() {
		t.Errorf("GetSession = %+v, %v; want %+v", got, err, live)
	}
	if err := s.CreateSession(ctx, live); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same hash twice: err = %v, want ErrConflict", err)
	}
	for _, tt := range []struct {
		name string
		s    store.Session
		want error
	}{
		{"short hash", store.Session{UserID: u.ID, IDHash: []byte("short"), ExpiresAt: live.ExpiresAt}, store.ErrInvalid},
		{"unknown user", store.Session{UserID: -1, IDHash: sessionHash(randomHex(32)), ExpiresAt: live.ExpiresAt}, store.ErrNotFound},
	} {
		if err := s.CreateSession(ctx, tt.s); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	expired := store.Session{UserID: u.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: time.Now().Add(-time.Minute)}
	if err := s.CreateSession(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, expired.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired session: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetSession(ctx, sessionHash("never created")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing session: err = %v, want ErrNotFound", err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, time.Now()); err != nil || n < 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want at least the expired one", n, err)
	}
	if _, err := s.GetSession(ctx, live.IDHash); err != nil {
		t.Errorf("cleanup removed a live session: %v", err)
	}

	// Sign-out ends one session; revoking a user ends all of theirs and
	// none of another's.
	second := store.Session{UserID: u.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: live.ExpiresAt}
	others := store.Session{UserID: v.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: live.ExpiresAt}
	for _, x := range []store.Session{second, others} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeSession(ctx, live.IDHash); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, live.IDHash); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if _, err := s.GetSession(ctx, live.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a revoked session: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetSession(ctx, second.IDHash); err != nil {
		t.Errorf("revoking one session ended another of the user: %v", err)
	}
	if err := s.RevokeUserSessions(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, second.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after RevokeUserSessions: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetSession(ctx, others.IDHash); err != nil {
		t.Errorf("revoking one user's sessions ended another user's: %v", err)
	}

	// Disabling and deleting a user end their sessions.
	third := store.Session{UserID: v.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: live.ExpiresAt}
	if err := s.CreateSession(ctx, third); err != nil {
		t.Fatal(err)
	}
	v.Disabled = true
	if _, err := s.UpdateUser(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, others.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a disabled user's session: err = %v, want ErrNotFound", err)
	}
	if err := s.CreateSession(ctx, store.Session{UserID: v.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: live.ExpiresAt}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session for a disabled user: err = %v, want ErrNotFound", err)
	}
	v.Disabled = false
	if _, err := s.UpdateUser(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, third.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("enabling a user again revived a session: err = %v", err)
	}
	fourth := store.Session{UserID: v.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: live.ExpiresAt}
	if err := s.CreateSession(ctx, fourth); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, fourth.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted user's session: err = %v, want ErrNotFound", err)
	}
}
