package ui_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/store"
)

// as signs in a new user with the given role in project "default" (none
// when role is empty) and returns a client for them.
func (b *testBundle) as(t *testing.T, email string, role store.Role) *testBundle {
	t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	u, err := b.store.CreateUser(context.Background(), store.User{Email: email, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		if err := b.store.AddMember(context.Background(), b.project.ID, u.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	other := *b
	jar, _ := cookiejar.New(nil)
	other.client = &http.Client{Jar: jar, CheckRedirect: b.client.CheckRedirect}
	doc, _ := other.page(t, "/login")
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	resp := other.post(t, "/login", url.Values{"email": {email}, "password": {password}, "csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %d", email, resp.StatusCode)
	}
	return &other
}

// TestViewerSeesOnlyTheirProject: a viewer of project "default" sees its
// traces, not project "other"'s — in pages, the switcher and the REST API
// with the session — and cannot create keys.
func TestViewerSeesOnlyTheirProject(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.as(t, "viewer@example.com", store.RoleViewer)

	doc, code := v.page(t, "/traces")
	if code != 200 || doc.Find("table.traces tbody tr").Length() == 0 {
		t.Fatalf("the viewer's traces: %d, %d rows", code, doc.Find("table.traces tbody tr").Length())
	}
	if opts := doc.Find("#project option"); opts.Length() != 1 || strings.TrimSpace(opts.Text()) != "default" {
		t.Errorf("the switcher offers %q, want only default", opts.Text())
	}
	if _, code := v.page(t, "/traces/"+b.otherID); code != http.StatusNotFound {
		t.Errorf("another project's trace page: %d, want 404", code)
	}
	csrf := v.csrf(t)
	resp := v.post(t, "/project", url.Values{"project": {idString(b.other.ID)}, "csrf": {csrf}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("switching to a project of which the viewer is not a member: %d, want 400", resp.StatusCode)
	}
	for _, path := range []string{"/api/v1/traces/" + b.otherID} {
		resp, err := v.client.Get(v.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("REST %s with the viewer's session: %d, want 404", path, resp.StatusCode)
		}
	}
	resp, _ = v.client.Get(v.url + "/api/v1/traces")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("REST list with the viewer's session: %d", resp.StatusCode)
	}
	if resp := v.post(t, "/settings/keys", url.Values{"name": {"mine"}, "csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer creating a key: %d, want 403", resp.StatusCode)
	}
	if resp := v.post(t, "/settings/members", url.Values{"email": {"ada@example.com"}, "role": {"viewer"}, "csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer managing members: %d, want 403", resp.StatusCode)
	}
}

// TestMemberAndProjectAdmin: a member manages keys but not members; a
// project admin adds and removes members; a user with no project is told
// so; removing a member takes the project away from them at once.
func TestMemberAndProjectAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	m := b.as(t, "member@example.com", store.RoleMember)
	if resp := m.post(t, "/settings/keys", url.Values{"name": {"ci"}, "csrf": {m.csrf(t)}}); resp.StatusCode != http.StatusOK {
		t.Errorf("a member creating a key: %d, want 200", resp.StatusCode)
	}
	if resp := m.post(t, "/settings/members", url.Values{"email": {"ada@example.com"}, "role": {"viewer"}, "csrf": {m.csrf(t)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member managing members: %d, want 403", resp.StatusCode)
	}
	nobody := b.as(t, "nobody@example.com", "")
	if _, code := nobody.page(t, "/traces"); code != http.StatusForbidden {
		t.Errorf("a user of no project: %d, want 403", code)
	}
	a := b.as(t, "padmin@example.com", store.RoleAdmin)
	if resp := a.post(t, "/settings/members", url.Values{"email": {"nobody@example.com"}, "role": {"viewer"}, "csrf": {a.csrf(t)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a project admin adding a member: %d", resp.StatusCode)
	}
	if _, code := nobody.page(t, "/traces"); code != http.StatusOK {
		t.Errorf("after being added: %d, want 200", code)
	}
	u, _ := b.store.GetUserByEmail(context.Background(), "member@example.com")
	if resp := a.post(t, "/settings/members/"+idString(u.ID)+"/remove", url.Values{"csrf": {a.csrf(t)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing a member: %d", resp.StatusCode)
	}
	if _, code := m.page(t, "/traces"); code != http.StatusForbidden {
		t.Errorf("a removed member: %d, want 403", code)
	}
	resp, _ := m.client.Get(m.url + "/api/v1/traces")
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a removed member's session on the REST API: %d, want 401", resp.StatusCode)
	}
}

// TestSessionsEndOnSignOutAndRemoval: the session cookie is worthless
// after sign-out, and after its user is disabled or removed.
func TestSessionsEndOnSignOutAndRemoval(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	v := b.as(t, "leaver@example.com", store.RoleViewer)
	u, _ := b.store.GetUserByEmail(context.Background(), "leaver@example.com")

	// Keep the cookie, sign out, replay it.
	base, _ := url.Parse(v.url)
	cookies := v.client.Jar.Cookies(base)
	if resp := v.post(t, "/logout", url.Values{"csrf": {v.csrf(t)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	v.client.Jar.SetCookies(base, cookies)
	if _, code := v.page(t, "/traces"); code != http.StatusSeeOther {
		t.Errorf("a signed-out cookie replayed: %d, want a redirect to sign-in", code)
	}

	v = b.as(t, "leaver2@example.com", store.RoleViewer)
	u2, _ := b.store.GetUserByEmail(context.Background(), "leaver2@example.com")
	if resp := b.post(t, "/settings/users/"+idString(u2.ID)+"/disable", url.Values{"csrf": {b.csrf(t)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if _, code := v.page(t, "/traces"); code != http.StatusSeeOther {
		t.Errorf("a disabled user's session: %d, want a redirect to sign-in", code)
	}
	if resp := b.post(t, "/settings/users/"+idString(u.ID)+"/remove", url.Values{"csrf": {b.csrf(t)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if _, err := b.store.GetUser(context.Background(), u.ID); err == nil {
		t.Errorf("the removed user is still stored")
	}
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }
