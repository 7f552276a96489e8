package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
)

// DefaultProject is the project a fresh server creates.
const DefaultProject = "default"

// Files the server keeps in its data directory.
const (
	apiKeyFile        = "api-key.txt"        // the generated first key, for zero-config use
	adminPasswordFile = "admin-password.txt" // the generated first user's password
	secretFile        = "session-secret"     // the generated session signing key
	generatedAdmin    = "admin@localhost"
)

// Bootstrap is what start-up ensured exists.
type Bootstrap struct {
	Project store.Project
	// NewAPIKey is the secret of a key generated at this start, shown once.
	NewAPIKey string
	// APIKeyFile holds the generated key, when one was generated at some
	// start and no TRACIUM_BOOTSTRAP_API_KEY was given.
	APIKeyFile string
	// SessionSecret signs web UI sessions.
	SessionSecret []byte
	// AdminEmail and NewAdminPassword are the web UI user generated at this
	// start, when none was configured and none existed: shown once.
	AdminEmail, NewAdminPassword string
	// AdminPasswordFile keeps that password for a zero-config user.
	AdminPasswordFile string
}

// bootstrap makes sure the default project, its key, the admin user and
// the session secret exist. Every step is idempotent across restarts and
// across several servers starting at once.
func bootstrap(ctx context.Context, st store.Store, cfg Config) (Bootstrap, error) {
	var b Bootstrap
	p, err := ensureProject(ctx, st, DefaultProject)
	if err != nil {
		return b, err
	}
	b.Project = p
	if cfg.BootstrapAPIKey != "" {
		err = ensureKey(ctx, st, auth.Record(p.ID, "bootstrap", cfg.BootstrapAPIKey))
	} else {
		err = ensureGeneratedKey(ctx, st, cfg.DataDir, &b)
	}
	if err != nil {
		return b, err
	}
	if cfg.AdminEmail != "" {
		if err := ensureAdmin(ctx, st, cfg.AdminEmail, cfg.AdminPassword); err != nil {
			return b, err
		}
	} else if err := ensureGeneratedAdmin(ctx, st, cfg.DataDir, &b); err != nil {
		return b, err
	}
	b.SessionSecret, err = sessionSecret(cfg)
	return b, err
}

func ensureProject(ctx context.Context, st store.Store, name string) (store.Project, error) {
	p, err := st.GetProjectByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		p, err = st.CreateProject(ctx, name)
		if errors.Is(err, store.ErrConflict) { // another server won the race
			p, err = st.GetProjectByName(ctx, name)
		}
	}
	return p, err
}

func ensureKey(ctx context.Context, st store.Store, rec store.APIKey) error {
	k, err := st.APIKeyByHash(ctx, rec.Hash)
	switch {
	case err == nil && k.ProjectID != rec.ProjectID:
		return errors.New("TRACIUM_BOOTSTRAP_API_KEY belongs to another project")
	case err == nil && k.Revoked():
		return errors.New("TRACIUM_BOOTSTRAP_API_KEY was revoked; set a new one")
	case err == nil:
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if _, err := st.CreateAPIKey(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("create bootstrap key: %w", err)
	}
	return nil
}

// ensureGeneratedKey gives a project without keys its first one, and
// keeps the secret in the data directory (mode 0600) so that a zero-config
// user can find it again: only its hash is in the database.
func ensureGeneratedKey(ctx context.Context, st store.Store, dataDir string, b *Bootstrap) error {
	keys, err := st.ListAPIKeys(ctx, b.Project.ID)
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, apiKeyFile)
	if len(keys) > 0 {
		if _, err := os.Stat(path); err == nil {
			b.APIKeyFile = path
		}
		return nil
	}
	secret, rec, err := auth.NewKey(b.Project.ID, "default")
	if err != nil {
		return err
	}
	if err := ensureDataDir(dataDir); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("keep generated key: %w", err)
	}
	if _, err := st.CreateAPIKey(ctx, rec); err != nil {
		return fmt.Errorf("create first key: %w", err)
	}
	b.NewAPIKey, b.APIKeyFile = secret, path
	return nil
}

func ensureAdmin(ctx context.Context, st store.Store, email, password string) error {
	_, err := st.GetUserByEmail(ctx, email)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash admin password: %w", err)
	}
	_, err = st.CreateUser(ctx, store.User{Email: email, PasswordHash: hash, InstanceAdmin: true})
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// sessionSecret is TRACIUM_SECRET, or a random key generated once and kept
// in the data directory so that sessions survive restarts.
func sessionSecret(cfg Config) ([]byte, error) {
	if cfg.Secret != "" {
		return []byte(cfg.Secret), nil
	}
	path := filepath.Join(cfg.DataDir, secretFile)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(raw)
	if err := ensureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keep session secret: %w", err)
	}
	return []byte(secret), nil
}

// ensureGeneratedAdmin gives a server with no users and no configured
// admin a first one, so that a zero-config user can sign in: the password
// is shown once and kept in the data directory (mode 0600).
func ensureGeneratedAdmin(ctx context.Context, st store.Store, dataDir string, b *Bootstrap) error {
	users, err := st.ListUsers(ctx)
	if err != nil || len(users) > 0 {
		if path := filepath.Join(dataDir, adminPasswordFile); err == nil {
			if _, statErr := os.Stat(path); statErr == nil {
				b.AdminEmail, b.AdminPasswordFile = generatedAdmin, path
			}
		}
		return err
	}
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	password := hex.EncodeToString(raw)
	path := filepath.Join(dataDir, adminPasswordFile)
	if err := ensureDataDir(dataDir); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("keep generated password: %w", err)
	}
	if err := ensureAdmin(ctx, st, generatedAdmin, password); err != nil {
		return err
	}
	b.AdminEmail, b.NewAdminPassword, b.AdminPasswordFile = generatedAdmin, password, path
	return nil
}

// ensureDataDir creates the data directory for the server's user alone
// (0700). One that exists is left as it is: its files are 0600 whatever
// the directory's mode, and server.New warns when others may list it.
func ensureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// dataDirOpen says what others may do in an existing data directory, or
// "" when nothing.
func dataDirOpen(dir string) string {
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return info.Mode().Perm().String()
}
