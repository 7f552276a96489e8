package sqlite

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
	err := execOne(ctx, s.write, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at)
SELECT ?, id, ?, ? FROM users WHERE id = ? AND NOT disabled`, sess.IDHash, micros(now()), micros(sess.ExpiresAt), sess.UserID)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns a live session of an enabled user.
func (s *Store) GetSession(ctx context.Context, idHash []byte) (store.Session, error) {
	var sess store.Session
	var created, expires int64
	err := s.read.QueryRowContext(ctx, `SELECT s.id_hash, s.user_id, s.created_at, s.expires_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = ? AND s.expires_at > ? AND NOT u.disabled`, idHash, micros(time.Now())).
		Scan(&sess.IDHash, &sess.UserID, &created, &expires)
	if err != nil {
		return store.Session{}, fmt.Errorf("get session: %w", mapError(err))
	}
	sess.CreatedAt, sess.ExpiresAt = fromMicros(created), fromMicros(expires)
	return sess, nil
}

// RevokeSession deletes the session, if there is one.
func (s *Store) RevokeSession(ctx context.Context, idHash []byte) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("revoke session: %w", mapError(err))
	}
	return nil
}

// RevokeUserSessions deletes every session of the user.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("revoke sessions of user %d: %w", userID, mapError(err))
	}
	return nil
}

// DeleteExpiredSessions deletes the sessions expired at now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, micros(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", mapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", mapError(err))
	}
	return n, nil
}
