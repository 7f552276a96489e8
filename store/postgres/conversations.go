package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// Conversation sessions and end users are the traces grouped by session
// id or user id (store.ConversationReader), read through the partial
// traces_session and traces_user indexes. Login sessions are
// sessions.go's. Ids compare byte by byte (COLLATE "C"), as SQLite's do,
// so that both backends order and page them alike.

// groupColumns are a group's figures after its key: first and last time,
// traces, the distinct other ids and the smallest of them, failed traces,
// usage (saturating) and cost.
func groupColumns(other string) string {
	return `min(start_time), max(end_time), count(*), count(DISTINCT nullif(` + other + `, '')),
    coalesce(min(nullif(` + other + `, '') COLLATE "C"), ''), count(*) FILTER (WHERE error_count > 0),
    ` + clampedSum("input_tokens") + `, ` + clampedSum("output_tokens") + `, ` + clampedSum("cached_tokens") + `,
    ` + clampedSum("cache_creation_tokens") + `, ` + clampedSum("reasoning_tokens") + `, ` + clampedSum("total_tokens") + `,
    coalesce(sum(cost_usd), 0)`
}

// scanGroup reads a row of the key and groupColumns.
func scanGroup(row pgx.CollectableRow) (store.ConversationGroup, error) {
	var g store.ConversationGroup
	err := row.Scan(&g.Key, &g.First, &g.Last, &g.Traces, &g.Others, &g.Other, &g.Errors,
		&g.Usage.InputTokens, &g.Usage.OutputTokens, &g.Usage.CachedTokens, &g.Usage.CacheCreationTokens,
		&g.Usage.ReasoningTokens, &g.Usage.TotalTokens, &g.CostUSD)
	g.First, g.Last = g.First.UTC(), g.Last.UTC()
	return g, err
}

// listGroups reads one page of the groups of the traces f selects, by
// key column, most recently active first.
func (s *Store) listGroups(ctx context.Context, projectID int64, key, other string, f store.TraceFilter, page store.Page) ([]store.ConversationGroup, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	limit, cursor, err := page.BoundedSummary()
	if err != nil {
		return nil, "", err
	}
	q := newQuery(projectID)
	q.filter(f)
	q.where(key + " <> ''")
	having := ""
	if cursor.ID != "" {
		n := len(q.args)
		q.args = append(q.args, cursor.Time, cursor.ID)
		having = fmt.Sprintf(` HAVING (max(end_time), %s COLLATE "C") < ($%d, $%d COLLATE "C")`, key, n+1, n+2)
	}
	sql := `SELECT ` + key + `, ` + groupColumns(other) + ` FROM traces WHERE ` + q.conds() +
		` GROUP BY ` + key + having + ` ORDER BY 3 DESC, ` + key + ` COLLATE "C" DESC LIMIT ` + strconv.Itoa(limit+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, "", mapError(err)
	}
	groups, err := pgx.CollectRows(rows, scanGroup)
	if err != nil {
		return nil, "", mapError(err)
	}
	groups, next := store.GroupPage(groups, limit)
	return groups, next, nil
}

// getGroup sums up the traces whose key column is id.
func (s *Store) getGroup(ctx context.Context, projectID int64, key, other, id string) (store.ConversationGroup, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+key+`, `+groupColumns(other)+` FROM traces
WHERE project_id = $1 AND `+key+` = $2 GROUP BY `+key, projectID, id)
	if err != nil {
		return store.ConversationGroup{}, mapError(err)
	}
	g, err := pgx.CollectExactlyOneRow(rows, scanGroup)
	return g, mapError(err)
}

// ListSessionSummaries pages through the project's conversation sessions.
func (s *Store) ListSessionSummaries(ctx context.Context, projectID int64, f store.TraceFilter, page store.Page) (store.SessionSummaryList, error) {
	groups, next, err := s.listGroups(ctx, projectID, "session_id", "user_id", f, page)
	if err != nil {
		return store.SessionSummaryList{}, fmt.Errorf("list sessions: %w", err)
	}
	return store.SessionList(groups, next), nil
}

// GetSessionSummary sums up one conversation session.
func (s *Store) GetSessionSummary(ctx context.Context, projectID int64, sessionID string) (store.SessionSummary, error) {
	if err := store.CheckGroupID("session_id", sessionID); err != nil {
		return store.SessionSummary{}, fmt.Errorf("get session: %w", err)
	}
	g, err := s.getGroup(ctx, projectID, "session_id", "user_id", sessionID)
	if err != nil {
		return store.SessionSummary{}, fmt.Errorf("get session %q: %w", sessionID, err)
	}
	return g.Session(), nil
}

// ListSessionTraces pages through a session's traces oldest first, with
// their input and output, on the traces_session index.
func (s *Store) ListSessionTraces(ctx context.Context, projectID int64, sessionID string, page store.Page) (store.TraceList, error) {
	if err := store.CheckGroupID("session_id", sessionID); err != nil {
		return store.TraceList{}, fmt.Errorf("list session traces: %w", err)
	}
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list session traces: %w", err)
	}
	q := newQuery(projectID)
	q.where("session_id = %s", sessionID)
	if cursor.TraceID != "" {
		q.where("(start_time, trace_id) > (%s, %s)", cursor.StartTime, cursor.TraceID)
	}
	rows, err := s.pool.Query(ctx, "SELECT "+traceSummaryColumns+", input, output FROM traces WHERE "+q.conds()+
		" ORDER BY start_time, trace_id LIMIT "+strconv.Itoa(limit+1), q.args...)
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list session traces: %w", mapError(err))
	}
	traces, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Trace, error) {
		var input, output []byte
		t, err := scanTrace(r, &input, &output)
		t.Input, t.Output = input, output
		return t, err
	})
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list session traces: %w", mapError(err))
	}
	list := store.TraceList{Traces: traces}
	if len(traces) > limit {
		list.Traces = traces[:limit]
		last := list.Traces[limit-1]
		list.NextCursor = store.Cursor{StartTime: last.StartTime, TraceID: last.TraceID}.Encode()
	}
	return list, nil
}

// ListUserSummaries pages through the project's end users.
func (s *Store) ListUserSummaries(ctx context.Context, projectID int64, f store.TraceFilter, page store.Page) (store.UserSummaryList, error) {
	groups, next, err := s.listGroups(ctx, projectID, "user_id", "session_id", f, page)
	if err != nil {
		return store.UserSummaryList{}, fmt.Errorf("list users: %w", err)
	}
	return store.UserList(groups, next), nil
}

// GetUserSummary sums up one end user.
func (s *Store) GetUserSummary(ctx context.Context, projectID int64, userID string) (store.UserSummary, error) {
	if err := store.CheckGroupID("user_id", userID); err != nil {
		return store.UserSummary{}, fmt.Errorf("get user: %w", err)
	}
	g, err := s.getGroup(ctx, projectID, "user_id", "session_id", userID)
	if err != nil {
		return store.UserSummary{}, fmt.Errorf("get user %q: %w", userID, err)
	}
	return g.User(), nil
}
