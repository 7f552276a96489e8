// Package respond writes every JSON response of the collector's HTTP
// APIs, errors included, so that they all have one shape:
//
//	{"error": {"code": "bad_request", "message": "..."}}
//
// and so that one table (kinds, in errors.go) decides which status each
// kind of error gets.
package respond

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// JSON writes v with status. v is encoded before anything is written: a
// value that cannot be encoded (a +Inf, a cycle) becomes a 500 with a JSON
// error, never a 200 with an empty or cut body.
func JSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "status", status, "err", err)
		status = http.StatusInternalServerError
		body, _ = json.Marshal(ErrorBody{Error: ErrorDetail{Code: codeInternal, Message: messageInternal}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(append(body, '\n')); err != nil {
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

// Error writes an error response with a status and code chosen by the
// caller. Prefer Fail, which takes both from the error's kind.
func Error(w http.ResponseWriter, status int, code, message string) {
	JSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}
