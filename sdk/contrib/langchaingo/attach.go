package traciumlangchaingo

import "github.com/tmc/langchaingo/callbacks"

// Attach sets *field, a component's CallbacksHandler, to NewHandler when
// it is nil, and leaves a handler the program chose alone. It is what an
// Orchestrion build calls on the LLMs, chains, agents and executors that
// LangChainGo's constructors return; a program written by hand passes
// NewHandler to the constructors instead.
func Attach(field *callbacks.Handler) {
	if field != nil && *field == nil {
		*field = NewHandler()
	}
}
