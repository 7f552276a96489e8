// Package api holds Tracium's HTTP API description, an OpenAPI 3.1
// document that the server serves at /api/v1/openapi.json.
package api

import _ "embed"

// OpenAPI is the OpenAPI document, as JSON.
//
//go:embed openapi.json
var OpenAPI []byte
