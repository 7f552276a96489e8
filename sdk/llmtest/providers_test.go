package llmtest

import (
	"errors"
	"io"
	"strings"
	"testing"

	anthropic "github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	goopenai "github.com/sashabaranov/go-openai"
	"google.golang.org/genai"

	tracium "github.com/tracium/tracium/sdk"
)

const prompt = "What is the capital of France?"

func openAIParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:       openAIModel,
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage(prompt)},
		Temperature: openai.Float(0.2),
		MaxTokens:   openai.Int(64),
	}
}

func TestOpenAIGoChat(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL)
	res, err := oc.Chat.Completions.New(b.ctx, openAIParams())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got := res.Choices[0].Message.Content; got != b.fake.Reply() {
		t.Fatalf("client got %q, want %q", got, b.fake.Reply())
	}
	s := onlySpan(t, b.finish(t), "llm")
	checkLLM(t, s, wantLLM{
		name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
		usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: b.run.SpanID(),
	})
	if v := s.Attributes["temperature"]; v != 0.2 {
		t.Errorf("attributes.temperature = %v, want 0.2", v)
	}
}

func TestOpenAIGoChatStream(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL)
	p := openAIParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := oc.Chat.Completions.NewStreaming(b.ctx, p)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	stream.Close()
	if got := acc.Choices[0].Message.Content; got != b.fake.Reply() {
		t.Fatalf("client assembled %q, want %q", got, b.fake.Reply())
	}
	checkLLM(t, onlySpan(t, b.finish(t), "llm"), wantLLM{
		name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
		usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), stream: true, parent: b.run.SpanID(),
	})
}

func TestOpenAIGoStreamWithoutUsage(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL)
	stream := oc.Chat.Completions.NewStreaming(b.ctx, openAIParams())
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	stream.Close()
	s := onlySpan(t, b.finish(t), "llm")
	if s.Usage != nil {
		t.Errorf("usage = %+v, want absent (unknown)", *s.Usage)
	}
	if v := s.Attributes["usage_missing"]; v != true {
		t.Errorf("attributes.usage_missing = %v, want true", v)
	}
}

func TestGoOpenAIChat(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	c := newGoOpenAI(b.fake.URL, nil)
	res, err := c.CreateChatCompletion(b.ctx, goopenai.ChatCompletionRequest{
		Model:    openAIModel,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
	})
	if err != nil {
		t.Fatalf("CreateChatCompletion: %v", err)
	}
	if got := res.Choices[0].Message.Content; got != b.fake.Reply() {
		t.Fatalf("client got %q", got)
	}
	checkLLM(t, onlySpan(t, b.finish(t), "llm"), wantLLM{
		name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
		usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: b.run.SpanID(),
	})
}

func TestGoOpenAIChatStream(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	c := newGoOpenAI(b.fake.URL, nil)
	stream, err := c.CreateChatCompletionStream(b.ctx, goopenai.ChatCompletionRequest{
		Model:         openAIModel,
		Messages:      []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: prompt}},
		Stream:        true,
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
	})
	if err != nil {
		t.Fatalf("CreateChatCompletionStream: %v", err)
	}
	var text string
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if len(chunk.Choices) > 0 {
			text += chunk.Choices[0].Delta.Content
		}
	}
	stream.Close()
	if text != b.fake.Reply() {
		t.Fatalf("client assembled %q", text)
	}
	checkLLM(t, onlySpan(t, b.finish(t), "llm"), wantLLM{
		name: "chat " + openAIModel, provider: "openai", requestModel: openAIModel, model: openAIAnswerModel,
		usage: openAIUsageWant(), prompt: prompt, output: b.fake.Reply(), stream: true, parent: b.run.SpanID(),
	})
}

func anthropicParams() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:       anthropicModel,
		MaxTokens:   256,
		System:      []anthropic.TextBlockParam{{Text: "Be brief."}},
		Messages:    []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
		Temperature: anthropic.Float(0.5),
	}
}

func TestAnthropicMessage(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	ac := newAnthropic(b.fake.URL)
	msg, err := ac.Messages.New(b.ctx, anthropicParams())
	if err != nil {
		t.Fatalf("Messages.New: %v", err)
	}
	if got := msg.Content[0].Text; got != b.fake.Reply() {
		t.Fatalf("client got %q", got)
	}
	s := onlySpan(t, b.finish(t), "llm")
	checkLLM(t, s, wantLLM{
		name: "chat " + anthropicModel, provider: "anthropic", requestModel: anthropicModel, model: anthropicAnswerModel,
		usage: anthropicUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: b.run.SpanID(),
	})
	if v := s.Attributes["max_tokens"]; v != float64(256) {
		t.Errorf("attributes.max_tokens = %v, want 256", v)
	}
}

func TestAnthropicMessageStream(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	ac := newAnthropic(b.fake.URL)
	stream := ac.Messages.NewStreaming(b.ctx, anthropicParams())
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatalf("Accumulate: %v", err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	stream.Close()
	if len(msg.Content) != 2 || msg.Content[0].Text != b.fake.Reply() || msg.Content[1].Name != "get_weather" {
		t.Fatalf("client assembled %+v", msg.Content)
	}
	s := onlySpan(t, b.finish(t), "llm")
	checkLLM(t, s, wantLLM{
		name: "chat " + anthropicModel, provider: "anthropic", requestModel: anthropicModel, model: anthropicAnswerModel,
		usage: anthropicUsageWant(), prompt: prompt, output: b.fake.Reply(), stream: true, parent: b.run.SpanID(),
	})
	// The tool call streamed as input_json_delta is part of the output.
	for _, want := range []string{"get_weather", "Paris"} {
		if !containsJSON(s.Output, want) {
			t.Errorf("output %s does not contain %q", s.Output, want)
		}
	}
}

func TestGenAIGenerateContent(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	gc := newGenAI(t, b.fake.URL)
	res, err := gc.Models.GenerateContent(b.ctx, geminiModel, genai.Text(prompt), &genai.GenerateContentConfig{Temperature: genai.Ptr[float32](0.25)})
	if err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	if got := res.Text(); got != b.fake.Reply() {
		t.Fatalf("client got %q", got)
	}
	checkLLM(t, onlySpan(t, b.finish(t), "llm"), wantLLM{
		name: "chat " + geminiModel, provider: "google", requestModel: geminiModel, model: geminiAnswerModel,
		usage: geminiUsageWant(), prompt: prompt, output: b.fake.Reply(), parent: b.run.SpanID(),
	})
}

func TestGenAIGenerateContentStream(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	gc := newGenAI(t, b.fake.URL)
	var text string
	for res, err := range gc.Models.GenerateContentStream(b.ctx, geminiModel, genai.Text(prompt), nil) {
		if err != nil {
			t.Fatalf("GenerateContentStream: %v", err)
		}
		text += res.Text()
	}
	if text != b.fake.Reply() {
		t.Fatalf("client assembled %q", text)
	}
	checkLLM(t, onlySpan(t, b.finish(t), "llm"), wantLLM{
		name: "chat " + geminiModel, provider: "google", requestModel: geminiModel, model: geminiAnswerModel,
		usage: geminiUsageWant(), prompt: prompt, output: b.fake.Reply(), stream: true, parent: b.run.SpanID(),
	})
}

func TestOpenAIGoEmbedding(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL)
	res, err := oc.Embeddings.New(b.ctx, openai.EmbeddingNewParams{
		Model: embeddingModel,
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(prompt)},
	})
	if err != nil {
		t.Fatalf("Embeddings.New: %v", err)
	}
	if len(res.Data) != 1 || len(res.Data[0].Embedding) != 3 {
		t.Fatalf("client got %+v", res.Data)
	}
	spans := b.finish(t)
	if n := len(ofType(spans, "llm")); n != 0 {
		t.Errorf("got %d llm spans for an embeddings call, want 0", n)
	}
	checkLLM(t, onlySpan(t, spans, "embedding"), wantLLM{
		typ: "embedding", name: "embedding " + embeddingModel, provider: "openai", requestModel: embeddingModel, model: embeddingModel,
		usage: tracium.Usage{InputTokens: embeddingTokens, TotalTokens: embeddingTokens}, prompt: prompt, parent: b.run.SpanID(),
	})
}

func TestOpenAIGoResponses(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOptions{})
	oc := newOpenAI(b.fake.URL)
	res, err := oc.Responses.New(b.ctx, responsesParams())
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	if got := res.OutputText(); got != b.fake.Reply() {
		t.Fatalf("client got %q", got)
	}
	s := onlySpan(t, b.finish(t), "llm")
	if s.Provider != "openai" || s.Model != openAIAnswerModel || s.RequestModel != openAIModel {
		t.Errorf("provider/model/request_model = %q/%q/%q", s.Provider, s.Model, s.RequestModel)
	}
	if !containsJSON(s.Output, b.fake.Reply()) {
		t.Errorf("output %s does not contain the reply", s.Output)
	}
}

func responsesParams() responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model: openAIModel,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
	}
}

// containsJSON reports whether the JSON text raw contains want; the
// strings the fakes send need no escaping.
func containsJSON(raw []byte, want string) bool { return strings.Contains(string(raw), want) }
