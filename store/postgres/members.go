package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// AddMember gives the user role in the project, replacing any role they
// had there.
func (s *Store) AddMember(ctx context.Context, projectID, userID int64, role store.Role) error {
	if !role.Valid() {
		return fmt.Errorf("add member: %w: role %q", store.ErrInvalid, role)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3)
ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`, projectID, userID, string(role))
	if err != nil {
		return fmt.Errorf("add member: %w", mapError(err))
	}
	return nil
}

// RemoveMember ends a membership.
func (s *Store) RemoveMember(ctx context.Context, projectID, userID int64) error {
	return s.execOne(ctx, "remove member", `DELETE FROM memberships WHERE project_id = $1 AND user_id = $2`, projectID, userID)
}

// ListMembers returns the project's members by email.
func (s *Store) ListMembers(ctx context.Context, projectID int64) ([]store.Member, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.project_id, m.user_id, u.email, m.role, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.project_id = $1 ORDER BY lower(u.email) COLLATE "C", u.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", mapError(err))
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Member, error) {
		var m store.Member
		err := r.Scan(&m.ProjectID, &m.UserID, &m.Email, &m.Role, &m.CreatedAt)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", mapError(err))
	}
	return ms, nil
}

// userProjects selects the projects a user may open, with their role: all
// of them, as admin, for an instance admin; their memberships otherwise;
// none when they are disabled.
const userProjects = `SELECT p.id, p.name, p.created_at, p.retention_days, CASE WHEN u.instance_admin THEN 'admin' ELSE m.role END
FROM users u CROSS JOIN projects p
LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = u.id
WHERE u.id = $1 AND NOT u.disabled AND (u.instance_admin OR m.role IS NOT NULL)`

func scanProjectRole(row pgx.CollectableRow) (store.ProjectRole, error) {
	var pr store.ProjectRole
	err := row.Scan(&pr.Project.ID, &pr.Project.Name, &pr.Project.CreatedAt, &pr.Project.RetentionDays, &pr.Role)
	pr.Project.CreatedAt = pr.Project.CreatedAt.UTC()
	return pr, err
}

// ListUserProjects returns the projects the user may open, by id.
func (s *Store) ListUserProjects(ctx context.Context, userID int64) ([]store.ProjectRole, error) {
	rows, err := s.pool.Query(ctx, userProjects+` ORDER BY p.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list user projects: %w", mapError(err))
	}
	prs, err := pgx.CollectRows(rows, scanProjectRole)
	if err != nil {
		return nil, fmt.Errorf("list user projects: %w", mapError(err))
	}
	return prs, nil
}

// GetMembership returns the user's role in the project.
func (s *Store) GetMembership(ctx context.Context, userID, projectID int64) (store.Role, error) {
	rows, err := s.pool.Query(ctx, userProjects+` AND p.id = $2`, userID, projectID)
	if err != nil {
		return "", fmt.Errorf("get membership: %w", mapError(err))
	}
	pr, err := pgx.CollectExactlyOneRow(rows, scanProjectRole)
	if err != nil {
		return "", fmt.Errorf("get membership: %w", mapError(err))
	}
	return pr.Role, nil
}
