// Package e2e runs the job queue integrations end to end through the real
// Tracium collector: an HTTP request traced by tracium.HTTPMiddleware
// enqueues a job, a worker runs it and makes an LLM call through the SDK's
// transport against a fake provider, and the stored trace must hold all of
// it with the right parents. asynqe2e does it on Redis (redistest),
// rivere2e on PostgreSQL (pgtest). This package holds what both share; the
// module has no code a program would import.
package e2e
