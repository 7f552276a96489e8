package sqlite

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

const userColumns = `id, email, password_hash, role, created_at`

// CreateUser adds a web UI user: ErrInvalid for an unknown role,
// ErrConflict when the email is taken in any case.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if !u.Role.Valid() {
		return store.User{}, fmt.Errorf("create user: %w: role %q", store.ErrInvalid, u.Role)
	}
	return oneUser(ctx, s.write, "create user", `INSERT INTO users (email, password_hash, role, created_at)
VALUES (?, ?, ?, ?) RETURNING `+userColumns, u.Email, u.PasswordHash, string(u.Role), micros(now()))
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

// UpdateUser changes a user's email, password hash and role: ErrNotFound
// for an unknown id, ErrConflict when the email is another user's.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	if !u.Role.Valid() {
		return store.User{}, fmt.Errorf("update user: %w: role %q", store.ErrInvalid, u.Role)
	}
	return oneUser(ctx, s.write, "update user", `UPDATE users SET email = ?, password_hash = ?, role = ?
WHERE id = ? RETURNING `+userColumns, u.Email, u.PasswordHash, string(u.Role), u.ID)
}

// ListUsers returns every user by id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	us, err := queryAll(ctx, s.read, scanUser, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
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
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &created)
	u.CreatedAt = fromMicros(created)
	return u, err
}
