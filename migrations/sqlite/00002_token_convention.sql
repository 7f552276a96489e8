-- +goose Up
-- Token counts move from each provider's own convention to Tracium's one
-- (store.Usage, OpenTelemetry GenAI's): input counts every prompt token,
-- cache reads and writes included (Anthropic's excluded them); output
-- counts every generated token, reasoning included (Gemini's excluded its
-- thoughts); total is input plus output. Every sum is clamped to the
-- largest integer instead of overflowing.
UPDATE spans SET input_tokens = CASE WHEN CASE WHEN input_tokens > 9223372036854775807 - cached_tokens THEN 9223372036854775807 ELSE input_tokens + cached_tokens END > 9223372036854775807 - cache_creation_tokens THEN 9223372036854775807 ELSE CASE WHEN input_tokens > 9223372036854775807 - cached_tokens THEN 9223372036854775807 ELSE input_tokens + cached_tokens END + cache_creation_tokens END
WHERE has_usage AND provider = 'anthropic' AND (cached_tokens > 0 OR cache_creation_tokens > 0);

UPDATE spans SET output_tokens = CASE WHEN output_tokens > 9223372036854775807 - reasoning_tokens THEN 9223372036854775807 ELSE output_tokens + reasoning_tokens END
WHERE has_usage AND provider = 'google' AND reasoning_tokens > 0;

UPDATE spans SET total_tokens = CASE WHEN input_tokens > 9223372036854775807 - output_tokens THEN 9223372036854775807 ELSE input_tokens + output_tokens END
WHERE has_usage AND (input_tokens > 0 OR output_tokens > 0);

UPDATE traces SET (input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens) = (
    SELECT CAST(min(total(input_tokens), 9223372036854775807) AS INTEGER), CAST(min(total(output_tokens), 9223372036854775807) AS INTEGER),
        CAST(min(total(cached_tokens), 9223372036854775807) AS INTEGER), CAST(min(total(cache_creation_tokens), 9223372036854775807) AS INTEGER),
        CAST(min(total(reasoning_tokens), 9223372036854775807) AS INTEGER), CAST(min(total(total_tokens), 9223372036854775807) AS INTEGER)
    FROM spans s WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id AND s.has_usage)
WHERE EXISTS (SELECT 1 FROM spans s WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id AND s.has_usage);

-- +goose Down
-- Back to each provider's convention. Totals stay: the SDK recorded them as
-- every token of the call, which is what they are now.
UPDATE spans SET input_tokens = max(input_tokens - cached_tokens - cache_creation_tokens, 0)
WHERE has_usage AND provider = 'anthropic' AND (cached_tokens > 0 OR cache_creation_tokens > 0);

UPDATE spans SET output_tokens = max(output_tokens - reasoning_tokens, 0)
WHERE has_usage AND provider = 'google' AND reasoning_tokens > 0;

UPDATE traces SET (input_tokens, output_tokens) = (
    SELECT CAST(min(total(input_tokens), 9223372036854775807) AS INTEGER), CAST(min(total(output_tokens), 9223372036854775807) AS INTEGER)
    FROM spans s WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id AND s.has_usage)
WHERE EXISTS (SELECT 1 FROM spans s WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id AND s.has_usage);
