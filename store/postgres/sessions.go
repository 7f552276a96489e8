package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tracium/tracium/store"
)

// CreateSession stores a session of an enabled user.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if len(sess.IDHash) != store.SessionIDHashLen {
		return fmt.Errorf("create session: %w: id hash of %d bytes, want %d", store.ErrInvalid, len(sess.IDHash), store.SessionIDHashLen)
	}
	return s.execOne(ctx, "create session", `INSERT INTO sessions (id_hash, user_id, expires_at)
SELECT $1, id, $3 FROM users WHERE id = $2 AND NOT disabled`, sess.IDHash, sess.UserID, sess.ExpiresAt)
}

// GetSession returns a live session of an enabled user.
func (s *Store) GetSession(ctx context.Context, idHash []byte) (store.Session, error) {
	var sess store.Session
	err := s.pool.QueryRow(ctx, `SELECT s.id_hash, s.user_id, s.created_at, s.expires_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`, idHash, time.Now()).
		Scan(&sess.IDHash, &sess.UserID, &sess.CreatedAt, &sess.ExpiresAt)
	if err != nil {
		return store.Session{}, fmt.Errorf("get session: %w", mapError(err))
	}
	sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
	return sess, nil
}

// RevokeSession deletes the session, if there is one.
func (s *Store) RevokeSession(ctx context.Context, idHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("revoke session: %w", mapError(err))
	}
	return nil
}

// RevokeUserSessions deletes every session of the user.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("revoke sessions of user %d: %w", userID, mapError(err))
	}
	return nil
}

// DeleteExpiredSessions deletes the sessions expired at now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", mapError(err))
	}
	return tag.RowsAffected(), nil
}
