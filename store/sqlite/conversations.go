package sqlite

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

// Conversation sessions and end users are the traces grouped by session
// id or user id (store.ConversationReader); the traces_session and
// traces_user indexes hold each group's traces together. Login sessions
// are sessions.go's.

// groupSum is the SQL of a saturating sum of an integer column over a
// group: SQLite's sum raises an error past the largest integer, total
// does not (it is a float, exact to 2^53), so it is clamped and cast.
func groupSum(column string) string {
	return "CAST(min(total(" + column + "), 9223372036854775807.0) AS INTEGER)"
}

// groupColumns are a group's figures after its key: first and last time,
// traces, the distinct other ids and the smallest of them, failed traces,
// usage and cost.
func groupColumns(other string) string {
	return `min(start_time), max(end_time), count(*), count(DISTINCT nullif(` + other + `, '')),
    coalesce(min(nullif(` + other + `, '')), ''), sum(error_count > 0), ` +
		groupSum("input_tokens") + `, ` + groupSum("output_tokens") + `, ` + groupSum("cached_tokens") + `, ` +
		groupSum("cache_creation_tokens") + `, ` + groupSum("reasoning_tokens") + `, ` + groupSum("total_tokens") + `,
    total(cost_usd)`
}

// scanGroup reads a row of the key and groupColumns.
func scanGroup(row scanner) (store.ConversationGroup, error) {
	var g store.ConversationGroup
	var first, last int64
	err := row.Scan(&g.Key, &first, &last, &g.Traces, &g.Others, &g.Other, &g.Errors,
		&g.Usage.InputTokens, &g.Usage.OutputTokens, &g.Usage.CachedTokens, &g.Usage.CacheCreationTokens,
		&g.Usage.ReasoningTokens, &g.Usage.TotalTokens, &g.CostUSD)
	g.First, g.Last = fromMicros(first), fromMicros(last)
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
	var text textSearch
	if f.Query != "" {
		if text, err = s.planText(ctx, f.Query); err != nil {
			return nil, "", mapError(err)
		}
	}
	w := traceWhere(projectID, f, text)
	w.add(key + " <> ''")
	from, args := text.from()
	args = append(args, w.args...)
	having := ""
	if cursor.ID != "" {
		having = ` HAVING (max(end_time), ` + key + `) < (?, ?)`
		args = append(args, micros(cursor.Time), cursor.ID)
	}
	// GROUP BY +key: grouped in a temporary b-tree, so that the planner
	// picks the index that the filters narrow (traces_user for a user's
	// sessions) rather than the one that walks every group in order.
	q := `SELECT ` + key + `, ` + groupColumns(other) + ` FROM ` + from + ` WHERE ` + w.String() +
		` GROUP BY +` + key + having + ` ORDER BY 3 DESC, 1 DESC LIMIT ?`
	groups, err := queryAll(ctx, s.read, scanGroup, q, append(args, limit+1)...)
	if err != nil {
		return nil, "", mapError(err)
	}
	groups, next := store.GroupPage(groups, limit)
	return groups, next, nil
}

// getGroup sums up the traces whose key column is id.
func (s *Store) getGroup(ctx context.Context, projectID int64, key, other, id string) (store.ConversationGroup, error) {
	g, err := scanGroup(s.read.QueryRowContext(ctx, `SELECT `+key+`, `+groupColumns(other)+` FROM traces
WHERE project_id = ? AND `+key+` = ? GROUP BY `+key, projectID, id))
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
	w := newWhere(projectID)
	w.add("session_id = ?", sessionID)
	if cursor.TraceID != "" {
		w.add("(start_time, trace_id) > (?, ?)", micros(cursor.StartTime), cursor.TraceID)
	}
	var input, output []byte
	traces, err := queryAll(ctx, s.read, func(row scanner) (store.Trace, error) {
		t, err := scanTrace(row, &input, &output)
		t.Input, t.Output = input, output
		input, output = nil, nil
		return t, err
	}, `SELECT `+traceColumns+`, input, output FROM traces WHERE `+w.String()+
		` ORDER BY start_time, trace_id LIMIT ?`, append(w.args, limit+1)...)
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
