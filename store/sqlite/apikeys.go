package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tracium/tracium/store"
)

const apiKeyColumns = `id, project_id, name, prefix, hash, created_at, last_used_at, revoked_at`

// CreateAPIKey stores a key's hash: ErrNotFound when the project does not
// exist, ErrConflict when the hash is taken.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	k, err := scanAPIKey(s.write.QueryRowContext(ctx, `INSERT INTO api_keys (project_id, name, prefix, hash, created_at)
VALUES (?, ?, ?, ?, ?) RETURNING `+apiKeyColumns, k.ProjectID, k.Name, k.Prefix, k.Hash, micros(now())))
	if err != nil {
		return store.APIKey{}, fmt.Errorf("create api key: %w", mapError(err))
	}
	return k, nil
}

// APIKeyByHash finds a key, revoked or not, by the SHA-256 of its secret.
// It is the one lookup not scoped by project.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error) {
	k, err := scanAPIKey(s.read.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if err != nil {
		return store.APIKey{}, fmt.Errorf("find api key: %w", mapError(err))
	}
	return k, nil
}

// ListAPIKeys returns the project's keys by id, revoked ones included.
func (s *Store) ListAPIKeys(ctx context.Context, projectID int64) ([]store.APIKey, error) {
	keys, err := queryAll(ctx, s.read, scanAPIKey,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE project_id = ? ORDER BY id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", mapError(err))
	}
	return keys, nil
}

// TouchAPIKey records that the key was used at at. Last use only moves
// forward, whatever order concurrent requests report in.
func (s *Store) TouchAPIKey(ctx context.Context, projectID, keyID int64, at time.Time) error {
	err := execOne(ctx, s.write, `UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, ?1), ?1)
WHERE project_id = ?2 AND id = ?3`, micros(at), projectID, keyID)
	if err != nil {
		return fmt.Errorf("touch api key %d: %w", keyID, err)
	}
	return nil
}

// RevokeAPIKey marks the key revoked; a second revocation keeps the first
// time.
func (s *Store) RevokeAPIKey(ctx context.Context, projectID, keyID int64, at time.Time) error {
	err := execOne(ctx, s.write, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?1)
WHERE project_id = ?2 AND id = ?3`, micros(at), projectID, keyID)
	if err != nil {
		return fmt.Errorf("revoke api key %d: %w", keyID, err)
	}
	return nil
}

func scanAPIKey(row scanner) (store.APIKey, error) {
	var k store.APIKey
	var created int64
	var used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.ProjectID, &k.Name, &k.Prefix, &k.Hash, &created, &used, &revoked)
	k.CreatedAt = fromMicros(created)
	k.LastUsedAt, k.RevokedAt = nullMicros(used), nullMicros(revoked)
	return k, err
}
