package traciumlangchaingo_test

import (
	"context"

	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/prompts"

	traciumlangchaingo "github.com/tracium/tracium/sdk/contrib/langchaingo"
)

// The one handler a program adds, given to each component that takes one.
func Example() {
	h := traciumlangchaingo.NewHandler()
	llm, err := openai.New(openai.WithCallback(h))
	if err != nil {
		return
	}
	chain := chains.NewLLMChain(llm, prompts.NewPromptTemplate("Tell me about {{.topic}}.", []string{"topic"}), chains.WithCallback(h))
	_, _ = chains.Call(context.Background(), chain, map[string]any{"topic": "otters"})
}

// Chains that take no handler (SequentialChain, RetrievalQA) get their
// span from Chain.
func ExampleChain() {
	h := traciumlangchaingo.NewHandler()
	llm, err := openai.New(openai.WithCallback(h))
	if err != nil {
		return
	}
	facts := chains.NewLLMChain(llm, prompts.NewPromptTemplate("Tell me about {{.topic}}.", []string{"topic"}), chains.WithCallback(h))
	seq, err := chains.NewSimpleSequentialChain([]chains.Chain{facts})
	if err != nil {
		return
	}
	_, _ = chains.Run(context.Background(), traciumlangchaingo.Chain(seq), "otters")
}
