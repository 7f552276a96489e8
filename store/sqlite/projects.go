package sqlite

import (
	"context"
	"fmt"

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

const projectColumns = `id, name, created_at, retention_days`

// CreateProject adds a project; ErrConflict when the name is taken.
func (s *Store) CreateProject(ctx context.Context, name string) (store.Project, error) {
	if err := validProjectName(name); err != nil {
		return store.Project{}, fmt.Errorf("create project: %w", err)
	}
	return oneProject(ctx, s.write, "create project",
		`INSERT INTO projects (name, created_at) VALUES (?, ?) RETURNING `+projectColumns, name, micros(now()))
}

// GetProject returns the project with id, or ErrNotFound.
func (s *Store) GetProject(ctx context.Context, id int64) (store.Project, error) {
	return oneProject(ctx, s.read, "get project", `SELECT `+projectColumns+` FROM projects WHERE id = ?`, id)
}

// GetProjectByName returns the project called name, or ErrNotFound.
func (s *Store) GetProjectByName(ctx context.Context, name string) (store.Project, error) {
	return oneProject(ctx, s.read, "get project", `SELECT `+projectColumns+` FROM projects WHERE name = ?`, name)
}

// RenameProject changes a project's name: ErrNotFound for an unknown id,
// ErrConflict when the name is taken.
func (s *Store) RenameProject(ctx context.Context, id int64, name string) (store.Project, error) {
	if err := validProjectName(name); err != nil {
		return store.Project{}, fmt.Errorf("rename project: %w", err)
	}
	return oneProject(ctx, s.write, "rename project",
		`UPDATE projects SET name = ? WHERE id = ? RETURNING `+projectColumns, name, id)
}

// ListProjects returns every project by id.
func (s *Store) ListProjects(ctx context.Context) ([]store.Project, error) {
	ps, err := queryAll(ctx, s.read, scanProject, `SELECT `+projectColumns+` FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", mapError(err))
	}
	return ps, nil
}

func oneProject(ctx context.Context, db queryer, op, query string, args ...any) (store.Project, error) {
	p, err := scanProject(db.QueryRowContext(ctx, query, args...))
	if err != nil {
		return store.Project{}, fmt.Errorf("%s: %w", op, mapError(err))
	}
	return p, nil
}

func scanProject(row scanner) (store.Project, error) {
	var p store.Project
	var created int64
	err := row.Scan(&p.ID, &p.Name, &created, &p.RetentionDays)
	p.CreatedAt = fromMicros(created)
	return p, err
}
