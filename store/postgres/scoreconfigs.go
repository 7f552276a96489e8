package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

const scoreConfigColumns = `name, data_type, min_value, max_value, labels, description, created_at`

func scanScoreConfig(row pgx.CollectableRow) (store.ScoreConfig, error) {
	var c store.ScoreConfig
	if err := row.Scan(&c.Name, &c.Type, &c.Min, &c.Max, &c.Labels, &c.Description, &c.CreatedAt); err != nil {
		return c, err
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

// PutScoreConfig creates or replaces a configuration, refusing a new name
// past store.MaxScoreConfigs. The project's row is locked first, so that
// two writers cannot both add the last name allowed.
func (s *Store) PutScoreConfig(ctx context.Context, c store.ScoreConfig) (store.ScoreConfig, error) {
	if err := c.Validate(); err != nil {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w", err)
	}
	labels := c.Labels
	if labels == nil {
		labels = []string{}
	}
	var out store.ScoreConfig
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var others int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM score_configs WHERE project_id = p.id AND name <> $2)
FROM projects p WHERE p.id = $1 FOR UPDATE`, c.ProjectID, c.Name).Scan(&others); err != nil {
			return err
		}
		if others >= store.MaxScoreConfigs {
			return fmt.Errorf("%w: a project configures at most %d score names", store.ErrInvalid, store.MaxScoreConfigs)
		}
		rows, err := tx.Query(ctx, `INSERT INTO score_configs (project_id, name, data_type, min_value, max_value, labels, description)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (project_id, name) DO UPDATE SET data_type = excluded.data_type, min_value = excluded.min_value,
    max_value = excluded.max_value, labels = excluded.labels, description = excluded.description
RETURNING `+scoreConfigColumns, c.ProjectID, c.Name, string(c.Type), c.Min, c.Max, labels, c.Description)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanScoreConfig)
		return err
	})
	if err != nil {
		return store.ScoreConfig{}, fmt.Errorf("put score config: %w", mapError(err))
	}
	out.ProjectID = c.ProjectID
	return out, nil
}

// ListScoreConfigs returns the project's configurations by name.
func (s *Store) ListScoreConfigs(ctx context.Context, projectID int64) ([]store.ScoreConfig, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+scoreConfigColumns+` FROM score_configs WHERE project_id = $1 ORDER BY name COLLATE "C"`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list score configs: %w", mapError(err))
	}
	cs, err := pgx.CollectRows(rows, scanScoreConfig)
	if err != nil {
		return nil, fmt.Errorf("list score configs: %w", mapError(err))
	}
	for i := range cs {
		cs[i].ProjectID = projectID
	}
	return cs, nil
}

// DeleteScoreConfig removes a configuration.
func (s *Store) DeleteScoreConfig(ctx context.Context, projectID int64, name string) error {
	return s.execOne(ctx, "delete score config", `DELETE FROM score_configs WHERE project_id = $1 AND name = $2`, projectID, name)
}
