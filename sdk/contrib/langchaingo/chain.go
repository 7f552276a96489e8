package traciumlangchaingo

import (
	"reflect"

	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/chains"
)

// Chain returns c with a chain span of its own. LangChainGo fires chain
// callbacks only for chains that carry a handler, and of its own chains
// only LLMChain and the agent executor do: a SequentialChain, RetrievalQA,
// StuffDocuments, MapReduceDocuments or TransformChain runs unseen, the
// spans of what it calls hanging from its caller's span. Run the result
// with chains.Call, Run or Predict as c would be; it has c's keys and
// memory. The span is named after c's type ("SequentialChain"). A chain
// that carries a handler already is returned as it is.
func Chain(c chains.Chain) chains.Chain {
	if hh, ok := c.(callbacks.HandlerHaver); ok && hh.GetCallbackHandler() != nil {
		return c
	}
	return tracedChain{Chain: c, handler: handler{chainName: typeName(c)}}
}

// tracedChain is a chain whose calls through chains.Call fire the
// handler's chain callbacks.
type tracedChain struct {
	chains.Chain
	handler handler
}

var _ callbacks.HandlerHaver = tracedChain{}

// GetCallbackHandler returns the handler chains.Call reports the chain to.
func (t tracedChain) GetCallbackHandler() callbacks.Handler { return t.handler }

// typeName names v by its type, without package or pointer.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Name() == "" {
		return "chain"
	}
	return t.Name()
}
