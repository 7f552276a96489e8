package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

const userColumns = `id, email, password_hash, instance_admin, disabled, created_at`

// CreateUser adds a web UI user.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	return s.oneUser(ctx, s.pool, "create user", `INSERT INTO users (email, password_hash, instance_admin, disabled)
VALUES ($1, $2, $3, $4) RETURNING `+userColumns, u.Email, u.PasswordHash, u.InstanceAdmin, u.Disabled)
}

// GetUser returns the user with id.
func (s *Store) GetUser(ctx context.Context, id int64) (store.User, error) {
	return s.oneUser(ctx, s.pool, "get user", `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
}

// GetUserByEmail finds a user, ignoring the case of the email.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	return s.oneUser(ctx, s.pool, "get user", `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, email)
}

// UpdateUser changes a user's email, password hash, instance admin and
// disabled flags; disabling a user ends their sessions.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	var got store.User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		got, err = s.oneUser(ctx, tx, "update user", `UPDATE users SET email = $2, password_hash = $3, instance_admin = $4, disabled = $5
WHERE id = $1 RETURNING `+userColumns, u.ID, u.Email, u.PasswordHash, u.InstanceAdmin, u.Disabled)
		if err != nil || !got.Disabled {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
			return fmt.Errorf("update user: end sessions: %w", mapError(err))
		}
		return nil
	})
	if err != nil {
		return store.User{}, mapError(err)
	}
	return got, nil
}

// DeleteUser removes a user; their memberships and sessions go with them
// (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.execOne(ctx, "delete user", `DELETE FROM users WHERE id = $1`, id)
}

// ListUsers returns every user by id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", mapError(err))
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", mapError(err))
	}
	return us, nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) oneUser(ctx context.Context, db querier, op, sql string, args ...any) (store.User, error) {
	u, err := scanUser(db.QueryRow(ctx, sql, args...))
	if err != nil {
		return u, fmt.Errorf("%s: %w", op, mapError(err))
	}
	return u, nil
}

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.InstanceAdmin, &u.Disabled, &u.CreatedAt)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, err
}
