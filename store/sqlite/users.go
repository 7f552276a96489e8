package sqlite

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

const userColumns = `id, email, password_hash, instance_admin, disabled, created_at`

// CreateUser adds a web UI user: ErrConflict when the email is taken in
// any case.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	return oneUser(ctx, s.write, "create user", `INSERT INTO users (email, password_hash, instance_admin, disabled, created_at)
VALUES (?, ?, ?, ?, ?) RETURNING `+userColumns, u.Email, u.PasswordHash, u.InstanceAdmin, u.Disabled, micros(now()))
}

// GetUser returns the user with id, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id int64) (store.User, error) {
	return oneUser(ctx, s.read, "get user", `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
}

// GetUserByEmail finds a user, ignoring the case of the email.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	// lower(email) is what the users_email index holds.
	return oneUser(ctx, s.read, "get user", `SELECT `+userColumns+` FROM users WHERE lower(email) = lower(?)`, email)
}

// UpdateUser changes a user's email, password hash, instance admin and
// disabled flags: ErrNotFound for an unknown id, ErrConflict when the email
// is another user's. Disabling a user ends their sessions.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.User{}, fmt.Errorf("update user: %w", mapError(err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	got, err := oneUser(ctx, tx, "update user", `UPDATE users SET email = ?, password_hash = ?, instance_admin = ?, disabled = ?
WHERE id = ? RETURNING `+userColumns, u.Email, u.PasswordHash, u.InstanceAdmin, u.Disabled, u.ID)
	if err != nil {
		return store.User{}, err
	}
	if got.Disabled {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return store.User{}, fmt.Errorf("update user: end sessions: %w", mapError(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return store.User{}, fmt.Errorf("update user: %w", mapError(err))
	}
	return got, nil
}

// DeleteUser removes a user; their memberships and sessions go with them
// (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	if err := execOne(ctx, s.write, `DELETE FROM users WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	return nil
}

// ListUsers returns every user by id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	us, err := queryAll(ctx, s.read, scanUser, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", mapError(err))
	}
	return us, nil
}

func oneUser(ctx context.Context, db queryer, op, query string, args ...any) (store.User, error) {
	u, err := scanUser(db.QueryRowContext(ctx, query, args...))
	if err != nil {
		return store.User{}, fmt.Errorf("%s: %w", op, mapError(err))
	}
	return u, nil
}

func scanUser(row scanner) (store.User, error) {
	var u store.User
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.InstanceAdmin, &u.Disabled, &created)
	u.CreatedAt = fromMicros(created)
	return u, err
}
