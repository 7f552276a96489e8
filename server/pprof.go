package server

import (
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
)

// servePprof serves Go's profiles (/debug/pprof/) on their own listener,
// apart from the API: an operator reaches them on the address they chose
// (a loopback one, as a rule), never through the public port. It returns
// once the listener is closed.
func (s *Server) servePprof(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: headerTimeout}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Warn("pprof listener stopped", "err", err)
	}
}
