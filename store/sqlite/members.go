package sqlite

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

// AddMember gives the user role in the project, replacing any role they
// had there.
func (s *Store) AddMember(ctx context.Context, projectID, userID int64, role store.Role) error {
	if !role.Valid() {
		return fmt.Errorf("add member: %w: role %q", store.ErrInvalid, role)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO memberships (project_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`, projectID, userID, string(role), micros(now()))
	if err != nil {
		return fmt.Errorf("add member: %w", mapError(err))
	}
	return nil
}

// RemoveMember ends a membership.
func (s *Store) RemoveMember(ctx context.Context, projectID, userID int64) error {
	if err := execOne(ctx, s.write, `DELETE FROM memberships WHERE project_id = ? AND user_id = ?`, projectID, userID); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return nil
}

// ListMembers returns the project's members by email.
func (s *Store) ListMembers(ctx context.Context, projectID int64) ([]store.Member, error) {
	ms, err := queryAll(ctx, s.read, func(row scanner) (store.Member, error) {
		var m store.Member
		var created int64
		err := row.Scan(&m.ProjectID, &m.UserID, &m.Email, &m.Role, &created)
		m.CreatedAt = fromMicros(created)
		return m, err
	}, `SELECT m.project_id, m.user_id, u.email, m.role, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.project_id = ? ORDER BY lower(u.email), u.id`, projectID)
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
WHERE u.id = ? AND NOT u.disabled AND (u.instance_admin OR m.role IS NOT NULL)`

func scanProjectRole(row scanner) (store.ProjectRole, error) {
	var pr store.ProjectRole
	var created int64
	err := row.Scan(&pr.Project.ID, &pr.Project.Name, &created, &pr.Project.RetentionDays, &pr.Role)
	pr.Project.CreatedAt = fromMicros(created)
	return pr, err
}

// ListUserProjects returns the projects the user may open, by id.
func (s *Store) ListUserProjects(ctx context.Context, userID int64) ([]store.ProjectRole, error) {
	prs, err := queryAll(ctx, s.read, scanProjectRole, userProjects+` ORDER BY p.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list user projects: %w", mapError(err))
	}
	return prs, nil
}

// GetMembership returns the user's role in the project.
func (s *Store) GetMembership(ctx context.Context, userID, projectID int64) (store.Role, error) {
	pr, err := scanProjectRole(s.read.QueryRowContext(ctx, userProjects+` AND p.id = ?`, userID, projectID))
	if err != nil {
		return "", fmt.Errorf("get membership: %w", mapError(err))
	}
	return pr.Role, nil
}
