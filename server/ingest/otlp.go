package ingest

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/otlp"
	"github.com/tracium/tracium/server/respond"
)

// otlpEncoding is how an OTLP/HTTP request's body, and so its answer, is
// encoded.
type otlpEncoding int

const (
	otlpUnknown otlpEncoding = iota
	otlpProto
	otlpJSON
)

// The content types of OTLP/HTTP, which its answers carry as they are.
const (
	contentTypeProto = "application/x-protobuf"
	contentTypeJSON  = "application/json"
)

func encodingOf(contentType string) otlpEncoding {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
		return otlpUnknown
	case mt == contentTypeProto:
		return otlpProto
	case mt == contentTypeJSON:
		return otlpJSON
	}
	return otlpUnknown
}

// otlpHTTP serves POST /v1/traces, OTLP/HTTP, with the guarantees of
// /v1/ingest: credentials, rate and declared size are checked before the
// body is read, the body is read within the memory budget, and 200 is
// answered only once the accepted spans are queued.
func (h *Handler) otlpHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() { h.requests.Inc(endpointOTLPHTTP, strconv.Itoa(sw.status)) }()
	w = sw
	enc := encodingOf(r.Header.Get("Content-Type"))

	key, err := h.authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		if errors.Is(err, auth.ErrUnauthorized) {
			hangUp(w)
		}
		h.otlpFail(w, r, enc, err)
		return
	}
	if enc == otlpUnknown {
		hangUp(w)
		h.otlpFail(w, r, enc, respond.NewProblem(respond.ErrUnsupportedMediaType, "",
			fmt.Sprintf("Content-Type %q is not OTLP/HTTP: send %s or %s", r.Header.Get("Content-Type"), contentTypeProto, contentTypeJSON)))
		return
	}
	if !h.limiter.allow(key.ID, time.Now()) {
		h.otlpFail(w, r, enc, respond.NewProblem(respond.ErrRateLimited, "", "too many requests for this API key; retry after the Retry-After delay"))
		return
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		hangUp(w)
		h.otlpFail(w, r, enc, h.tooLarge())
		return
	}
	c, err := h.budget.enter(r.Context())
	if err != nil {
		h.otlpFail(w, r, enc, err)
		return
	}
	defer c.release()
	hold := func(n int64) error { return c.hold(r.Context(), n) }
	body, err := readBody(r.Body, r.Header.Get("Content-Encoding"), h.cfg.MaxBodyBytes, hold)
	if err == nil {
		err = hold(int64(cap(body)) + decodeFactor*int64(len(body)))
	}
	if err != nil {
		if errors.Is(err, errSlowBody) || errors.Is(err, errTooLarge) {
			hangUp(w)
		}
		h.otlpFail(w, r, enc, err)
		return
	}
	req := ptraceotlp.NewExportRequest()
	if enc == otlpProto {
		err = req.UnmarshalProto(body)
	} else {
		err = req.UnmarshalJSON(body)
	}
	if err != nil {
		h.otlpFail(w, r, enc, respond.NewProblem(respond.ErrBadRequest, "malformed_otlp", "the body is not an OTLP ExportTraceServiceRequest: "+err.Error()))
		return
	}
	id := "otlp-" + idempotencyKey(r, key.ProjectID, body)
	resp, err := h.exportTraces(r.Context(), endpointOTLPHTTP, key.ProjectID, id, req.Traces())
	if err != nil {
		h.otlpFail(w, r, enc, err)
		return
	}
	var out []byte
	if enc == otlpProto {
		out, err = resp.MarshalProto()
	} else {
		out, err = resp.MarshalJSON()
	}
	if err != nil {
		h.otlpFail(w, r, enc, fmt.Errorf("encode the export response: %w", err))
		return
	}
	w.Header().Set("Content-Type", contentTypeOf(enc))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// exportTraces maps one export, validates each span as /v1/ingest does,
// publishes the accepted ones through the same path and answers with the
// refused ones counted in partial_success. It returns an error, and has
// accepted nothing, when the spans cannot be queued.
func (h *Handler) exportTraces(ctx context.Context, endpoint string, projectID int64, id string, td ptrace.Traces) (ptraceotlp.ExportResponse, error) {
	resp := ptraceotlp.NewExportResponse()
	if n := td.SpanCount(); n > h.cfg.MaxSpans {
		return resp, errTooManySpans
	} else if n == 0 {
		return resp, nil
	}
	mapped, refused := otlp.Map(td)
	now := time.Now()
	spans := mapped[:0]
	for i := range mapped {
		s := &mapped[i]
		if err := check(s, now, h.cfg.Window); err != nil {
			refused = append(refused, otlp.Rejection{TraceID: s.TraceID, SpanID: s.SpanID, Reason: err.Error()})
			continue
		}
		spans = append(spans, *s)
	}
	h.rejected.Add(float64(len(refused)), endpoint)
	if len(spans) > 0 {
		if err := h.publish(ctx, projectID, id, nil, spans, nil); err != nil {
			return resp, fmt.Errorf("project %d: %w: %w", projectID,
				respond.NewProblem(respond.ErrUnavailable, "", "the span queue is unavailable; nothing was stored, retry later"), err)
		}
		h.accepted.Add(float64(len(spans)), endpoint)
	}
	if len(refused) > 0 {
		ps := resp.PartialSuccess()
		ps.SetRejectedSpans(int64(len(refused)))
		ps.SetErrorMessage(describeRejections(refused))
	}
	return resp, nil
}

// maxReasons is how many refused spans partial_success names one by one.
const maxReasons = 20

// describeRejections is partial_success's error_message: how many spans
// were refused, then each one's ids and reason, up to maxReasons.
func describeRejections(rs []otlp.Rejection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d span(s) rejected", len(rs))
	for i, r := range rs {
		if i == maxReasons {
			fmt.Fprintf(&b, "; and %d more", len(rs)-maxReasons)
			break
		}
		fmt.Fprintf(&b, "; trace %s span %s: %s", orUnknown(r.TraceID), orUnknown(r.SpanID), r.Reason)
	}
	return b.String()
}

func orUnknown(id string) string {
	if id == "" {
		return "(unreadable)"
	}
	return id
}

func contentTypeOf(enc otlpEncoding) string {
	if enc == otlpProto {
		return contentTypeProto
	}
	return contentTypeJSON
}

// otlpFail answers err as OTLP/HTTP says: the status (and Retry-After,
// WWW-Authenticate) from the one error map, the body a google.rpc.Status
// in the request's encoding (JSON when the request had none OTLP knows).
func (h *Handler) otlpFail(w http.ResponseWriter, r *http.Request, enc otlpEncoding, err error) {
	d := respond.FailHeaders(w, r, h.cfg.Logger, h.explain(w, r, endpointOTLPHTTP, err))
	st := status.New(grpcCode(d), d.Message).Proto()
	var body []byte
	if enc == otlpProto {
		body, err = proto.Marshal(st)
	} else {
		body, err = protojson.Marshal(st)
	}
	if err != nil {
		h.cfg.Logger.Error("encode an OTLP error", "err", err)
	}
	w.Header().Set("Content-Type", contentTypeOf(enc))
	w.WriteHeader(d.Status)
	_, _ = w.Write(body)
}

// grpcCode is the gRPC status code of an answer of the one error map, as
// the OTLP specification pairs them: the codes its exporters retry
// (Unavailable, and ResourceExhausted with RetryInfo) for what may
// succeed later, the others for what will not.
func grpcCode(d respond.Detail) codes.Code {
	switch d.Status {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusRequestTimeout:
		return codes.DeadlineExceeded
	case http.StatusUnsupportedMediaType:
		return codes.InvalidArgument
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Internal
}
