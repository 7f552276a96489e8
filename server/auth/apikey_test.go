package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/sqlite"
)

func TestNewKey(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		secret, rec, err := auth.NewKey(7, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "sk_live_") || len(secret) != len("sk_live_")+43 || !auth.WellFormed(secret) {
			t.Fatalf("key %q is not sk_live_ and 43 base62 characters", secret)
		}
		if seen[secret] {
			t.Fatal("the same key twice")
		}
		seen[secret] = true
		if rec.ProjectID != 7 || !strings.HasPrefix(secret, rec.Prefix) || len(rec.Prefix) >= len(secret)/2 {
			t.Errorf("record %+v shows too much or the wrong prefix", rec)
		}
		if string(rec.Hash) != string(auth.Hash(secret)) || strings.Contains(string(rec.Hash), secret[8:]) {
			t.Errorf("record does not hold the SHA-256 of the secret")
		}
	}
}

func TestWellFormed(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"sk_live_" + strings.Repeat("a", 43):       true,
		"sk_live_" + strings.Repeat("a", 31):       false,
		"sk_test_" + strings.Repeat("a", 43):       false,
		"sk_live_" + strings.Repeat("a", 42) + "!": false,
		"":                                    false,
		"Bearer sk_live_abc":                  false,
		"sk_live_" + strings.Repeat("Z9", 70): false,
	} {
		if got := auth.WellFormed(s); got != want {
			t.Errorf("WellFormed(%q) = %v, want %v", s, got, want)
		}
	}
}

// flakyStore fails lookups while down, as a database that went away.
type flakyStore struct {
	store.Store
	down    atomic.Bool
	lookups atomic.Int64
}

func (f *flakyStore) APIKeyByHash(ctx context.Context, h []byte) (store.APIKey, error) {
	f.lookups.Add(1)
	if f.down.Load() {
		return store.APIKey{}, errors.New("connection refused")
	}
	return f.Store.APIKeyByHash(ctx, h)
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.CreateProject(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	secret, rec, _ := auth.NewKey(p.ID, "k")
	k, err := st.CreateAPIKey(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	fs := &flakyStore{Store: st}
	a := auth.NewAuthenticator(fs)

	got, err := a.Authenticate(ctx, secret)
	if err != nil || got.ID != k.ID || got.ProjectID != p.ID {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "sk_live_nope", secret + "x", strings.Replace(secret, secret[10:11], "0", 1)} {
		if bad == secret {
			continue
		}
		if _, err := a.Authenticate(ctx, bad); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("Authenticate(%q) err = %v, want ErrUnauthorized", bad, err)
		}
	}
	before := fs.lookups.Load()
	a.Authenticate(ctx, secret)
	if fs.lookups.Load() != before {
		t.Error("a second use of the key asked the store again; want it cached")
	}

	fs.down.Store(true)
	if _, err := a.Authenticate(ctx, secret); err != nil {
		t.Errorf("known key while the store is down: %v; want it still accepted", err)
	}
	unknown, _, _ := auth.NewKey(p.ID, "unknown")
	if _, err := a.Authenticate(ctx, unknown); err == nil || errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("unknown key while the store is down: err = %v; want a store error, not a verdict", err)
	}
	fs.down.Store(false)

	if err := st.RevokeAPIKey(ctx, p.ID, k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	a.Forget(rec.Hash)
	if _, err := a.Authenticate(ctx, secret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("revoked key: err = %v, want ErrUnauthorized", err)
	}
}
