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

// group is one row of a grouped read, before it becomes a session or a
// user.
type group struct {
	key, other string
	first      store.Trace // StartTime and EndTime only
	traces     int64
	others     int64
	errors     int64
	usage      store.Usage
	cost       float64
}

func scanGroup(row pgx.CollectableRow) (group, error) {
	var g group
	err := row.Scan(&g.key, &g.first.StartTime, &g.first.EndTime, &g.traces, &g.others, &g.other, &g.errors,
		&g.usage.InputTokens, &g.usage.OutputTokens, &g.usage.CachedTokens, &g.usage.CacheCreationTokens,
		&g.usage.ReasoningTokens, &g.usage.TotalTokens, &g.cost)
	g.first.StartTime, g.first.EndTime = g.first.StartTime.UTC(), g.first.EndTime.UTC()
	return g, err
}

func (g group) session() store.SessionSummary {
	return store.SessionSummary{SessionID: g.key, FirstTime: g.first.StartTime, LastTime: g.first.EndTime,
		TraceCount: g.traces, UserCount: g.others, UserID: g.other, ErrorCount: g.errors, Usage: g.usage, CostUSD: g.cost}
}

func (g group) user() store.UserSummary {
	return store.UserSummary{UserID: g.key, FirstSeen: g.first.StartTime, LastSeen: g.first.EndTime,
		TraceCount: g.traces, SessionCount: g.others, ErrorCount: g.errors, ErrorRate: store.ErrorRate(g.errors, g.traces),
		Usage: g.usage, CostUSD: g.cost}
}

// listGroups reads one page of the groups of the traces f selects, by
// key column, most recently active first.
func (s *Store) listGroups(ctx context.Context, projectID int64, key, other string, f store.TraceFilter, page store.Page) ([]group, string, error) {
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
	next := ""
	if len(groups) > limit {
		groups = groups[:limit]
		last := groups[limit-1]
		next = store.SummaryCursor{Time: last.first.EndTime, ID: last.key}.Encode()
	}
	return groups, next, nil
}

// getGroup sums up the traces whose key column is id.
func (s *Store) getGroup(ctx context.Context, projectID int64, key, other, id string) (group, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+key+`, `+groupColumns(other)+` FROM traces
WHERE project_id = $1 AND `+key+` = $2 GROUP BY `+key, projectID, id)
	if err != nil {
		return group{}, mapError(err)
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
	list := store.SessionSummaryList{Sessions: make([]store.SessionSummary, len(groups)), NextCursor: next}
	for i, g := range groups {
		list.Sessions[i] = g.session()
	}
	return list, nil
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
	return g.session(), nil
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
	list := store.UserSummaryList{Users: make([]store.UserSummary, len(groups)), NextCursor: next}
	for i, g := range groups {
		list.Users[i] = g.user()
	}
	return list, nil
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
	return g.user(), nil
}
