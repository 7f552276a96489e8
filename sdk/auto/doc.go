// Package auto is what an Orchestrion build of a program calls: the code
// that the aspects of this package's orchestrion.yml, and of the
// integrations under sdk/contrib, inject where a program starts, serves
// HTTP and builds its LLM clients. A program does not import it; it is
// enabled by importing github.com/tracium/tracium/sdk/contrib/all (or
// this package and the integrations it wants) in the program's
// orchestrion.tool.go, and building with orchestrion go build.
//
// What the aspects here inject:
//
//   - in package main: Start in an init function, so tracium.Trace runs
//     (configured from the environment) before main, and a deferred
//     Shutdown at the top of main, which flushes with a bound
//     (ShutdownTimeout) when main returns. Start also flushes on SIGTERM
//     and SIGINT; a program that handles neither is then ended by the
//     signal as it would have been, one that handles one of them goes on
//     with its own shutdown. To know which, the calls a program makes to
//     signal.Notify, signal.NotifyContext and signal.Stop go through
//     Notify, NotifyContext and StopNotify.
//   - in net/http: every Server's handler is wrapped with Handler when it
//     starts serving (http.ListenAndServe, Server.ListenAndServe, Serve
//     and the TLS variants, and the servers frameworks start), so each
//     request is an http span; a framework traced by its own integration
//     behind it takes that span over (tracium.WithYieldToInner).
//   - the LLM clients get Middleware or Transport where they are
//     constructed: openai-go v3 and anthropic-sdk-go v1 and v2 at NewClient
//     (option.WithMiddleware), go-openai at NewClient, NewOrgClient and
//     NewClientWithConfig (its HTTP client), google.golang.org/genai at
//     NewClient (the client's transport). http.DefaultTransport is left
//     as it is: Start turns tracium.WithDefaultTransport off.
//
// The run-time settings still apply: TRACIUM_DISABLED turns everything
// off, and the WithAutoInstrument* switches (from the environment, or the
// options of a tracium.Init the program calls itself) are read on every
// request and call.
package auto
