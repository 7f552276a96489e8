-- +goose Up
-- Token counts move from each provider's own convention to Tracium's one
-- (store.Usage, OpenTelemetry GenAI's): input counts every prompt token,
-- cache reads and writes included (Anthropic's excluded them); output
-- counts every generated token, reasoning included (Gemini's excluded its
-- thoughts); total is input plus output. Sums are taken in numeric and
-- clamped to bigint, so no row overflows.
UPDATE spans SET input_tokens = least(input_tokens::numeric + cached_tokens + cache_creation_tokens, 9223372036854775807)::bigint
WHERE has_usage AND provider = 'anthropic' AND (cached_tokens > 0 OR cache_creation_tokens > 0);

UPDATE spans SET output_tokens = least(output_tokens::numeric + reasoning_tokens, 9223372036854775807)::bigint
WHERE has_usage AND provider = 'google' AND reasoning_tokens > 0;

UPDATE spans SET total_tokens = least(input_tokens::numeric + output_tokens, 9223372036854775807)::bigint
WHERE has_usage AND input_tokens::numeric + output_tokens > 0
  AND total_tokens <> least(input_tokens::numeric + output_tokens, 9223372036854775807);

UPDATE traces t SET
    input_tokens = s.input_tokens, output_tokens = s.output_tokens, cached_tokens = s.cached_tokens,
    cache_creation_tokens = s.cache_creation_tokens, reasoning_tokens = s.reasoning_tokens, total_tokens = s.total_tokens
FROM (
    SELECT project_id, trace_id,
        least(sum(input_tokens), 9223372036854775807)::bigint AS input_tokens,
        least(sum(output_tokens), 9223372036854775807)::bigint AS output_tokens,
        least(sum(cached_tokens), 9223372036854775807)::bigint AS cached_tokens,
        least(sum(cache_creation_tokens), 9223372036854775807)::bigint AS cache_creation_tokens,
        least(sum(reasoning_tokens), 9223372036854775807)::bigint AS reasoning_tokens,
        least(sum(total_tokens), 9223372036854775807)::bigint AS total_tokens
    FROM spans WHERE has_usage GROUP BY project_id, trace_id
) s
WHERE t.project_id = s.project_id AND t.trace_id = s.trace_id;

-- +goose Down
-- Back to each provider's convention. Totals stay: the SDK recorded them as
-- every token of the call, which is what they are now.
UPDATE spans SET input_tokens = greatest(input_tokens - cached_tokens - cache_creation_tokens, 0)
WHERE has_usage AND provider = 'anthropic' AND (cached_tokens > 0 OR cache_creation_tokens > 0);

UPDATE spans SET output_tokens = greatest(output_tokens - reasoning_tokens, 0)
WHERE has_usage AND provider = 'google' AND reasoning_tokens > 0;

UPDATE traces t SET input_tokens = s.input_tokens, output_tokens = s.output_tokens
FROM (
    SELECT project_id, trace_id,
        least(sum(input_tokens), 9223372036854775807)::bigint AS input_tokens,
        least(sum(output_tokens), 9223372036854775807)::bigint AS output_tokens
    FROM spans WHERE has_usage GROUP BY project_id, trace_id
) s
WHERE t.project_id = s.project_id AND t.trace_id = s.trace_id;
