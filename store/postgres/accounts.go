package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// maxProjectName bounds project names; the UI shows them in a menu.
const maxProjectName = 200

func validProjectName(name string) error {
	if name == "" || len(name) > maxProjectName {
		return fmt.Errorf("%w: project name must have 1 to %d bytes", store.ErrInvalid, maxProjectName)
	}
	return nil
}

// projectColumns are the columns scanProject reads, in its order.
const projectColumns = `id, name, created_at, retention_days`

// CreateProject adds a project.
func (s *Store) CreateProject(ctx context.Context, name string) (store.Project, error) {
	if err := validProjectName(name); err != nil {
		return store.Project{}, err
	}
	return s.oneProject(ctx, "create project",
		`INSERT INTO projects (name) VALUES ($1) RETURNING `+projectColumns, name)
}

// GetProject returns the project with id.
func (s *Store) GetProject(ctx context.Context, id int64) (store.Project, error) {
	return s.oneProject(ctx, "get project", `SELECT `+projectColumns+` FROM projects WHERE id = $1`, id)
}

// GetProjectByName returns the project called name.
func (s *Store) GetProjectByName(ctx context.Context, name string) (store.Project, error) {
	return s.oneProject(ctx, "get project", `SELECT `+projectColumns+` FROM projects WHERE name = $1`, name)
}

// RenameProject changes a project's name.
func (s *Store) RenameProject(ctx context.Context, id int64, name string) (store.Project, error) {
	if err := validProjectName(name); err != nil {
		return store.Project{}, err
	}
	return s.oneProject(ctx, "rename project",
		`UPDATE projects SET name = $2 WHERE id = $1 RETURNING `+projectColumns, id, name)
}

// ListProjects returns every project by id.
func (s *Store) ListProjects(ctx context.Context) ([]store.Project, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+projectColumns+` FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", mapError(err))
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Project, error) { return scanProject(r) })
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", mapError(err))
	}
	return ps, nil
}

func (s *Store) oneProject(ctx context.Context, op, sql string, args ...any) (store.Project, error) {
	p, err := scanProject(s.pool.QueryRow(ctx, sql, args...))
	if err != nil {
		return p, fmt.Errorf("%s: %w", op, mapError(err))
	}
	return p, nil
}

func scanProject(row pgx.Row) (store.Project, error) {
	var p store.Project
	err := row.Scan(&p.ID, &p.Name, &p.CreatedAt, &p.RetentionDays)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

const apiKeyColumns = `id, project_id, name, prefix, hash, created_at, last_used_at, revoked_at`

// CreateAPIKey stores a key's hash.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	row := s.pool.QueryRow(ctx, `INSERT INTO api_keys (project_id, name, prefix, hash) VALUES ($1, $2, $3, $4)
RETURNING `+apiKeyColumns, k.ProjectID, k.Name, k.Prefix, k.Hash)
	k, err := scanAPIKey(row)
	if err != nil {
		return k, fmt.Errorf("create api key: %w", mapError(err))
	}
	return k, nil
}

// APIKeyByHash finds a key by the SHA-256 of its secret.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if err != nil {
		return k, fmt.Errorf("find api key: %w", mapError(err))
	}
	return k, nil
}

// ListAPIKeys returns the project's keys by id, revoked ones included.
func (s *Store) ListAPIKeys(ctx context.Context, projectID int64) ([]store.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE project_id = $1 ORDER BY id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", mapError(err))
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", mapError(err))
	}
	return keys, nil
}

// TouchAPIKey records that the key was used at at.
func (s *Store) TouchAPIKey(ctx context.Context, projectID, keyID int64, at time.Time) error {
	return s.execOne(ctx, "touch api key",
		`UPDATE api_keys SET last_used_at = greatest(last_used_at, $3) WHERE project_id = $1 AND id = $2`, projectID, keyID, at)
}

// RevokeAPIKey marks the key revoked; a second revocation keeps the first
// time.
func (s *Store) RevokeAPIKey(ctx context.Context, projectID, keyID int64, at time.Time) error {
	return s.execOne(ctx, "revoke api key",
		`UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) WHERE project_id = $1 AND id = $2`, projectID, keyID, at)
}

func (s *Store) execOne(ctx context.Context, op, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

func scanAPIKey(row pgx.Row) (store.APIKey, error) {
	var k store.APIKey
	err := row.Scan(&k.ID, &k.ProjectID, &k.Name, &k.Prefix, &k.Hash, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt, k.RevokedAt = utcPtr(k.LastUsedAt), utcPtr(k.RevokedAt)
	return k, err
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
