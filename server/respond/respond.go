// Package respond writes every JSON response of the collector's HTTP
// APIs, errors included, so that they all have one shape:
//
//	{"error": {"code": "bad_request", "message": "..."}}
package respond

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// ErrorBody is the JSON shape of every error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a machine-readable code and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error writes an error response.
func Error(w http.ResponseWriter, status int, code, message string) {
	JSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

// Internal logs err and tells the client only that something failed:
// internal details never reach a user.
func Internal(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	Error(w, http.StatusInternalServerError, "internal", "internal error")
}
