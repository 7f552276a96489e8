// Package e2e builds a program with no Tracium code (testdata/app: gin,
// anthropic-sdk-go, openai-go in a package-level variable, an Eino chain
// and a River job) with Orchestrion and with plain go build, runs both
// against the real collector and the fake providers, and checks that the
// first records every request, job, graph node and LLM call nested as the
// integrations set up by hand do, and that the second records nothing.
// testdata/app/frameworks, the other integrations in one program with no
// Tracium code, is built with Orchestrion in the same build and checked
// the same way. It is its own module (test only); testdata/app is the
// programs' own.
package e2e
