// Command frameworks is a program with no Tracium code that uses the
// integrations the app beside it does not: an echo v4, an echo v5, a fiber v2
// and a fiber v3 server, each route calling another LLM client
// (go-openai, anthropic-sdk-go v2, genai, a LangChainGo chain), and a
// net/http route that calls a gRPC server and runs an asynq task.
//
// Settings (environment): LLM_BASE_URL (the fake providers). It prints
// "listening NAME ADDR" for each server, then runs until SIGTERM.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	fiberv2 "github.com/gofiber/fiber/v2"
	fiberv3 "github.com/gofiber/fiber/v3"
	"github.com/hibiken/asynq"
	echov4 "github.com/labstack/echo/v4"
	echov5 "github.com/labstack/echo/v5"
	goopenai "github.com/sashabaranov/go-openai"
	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	lcanthropic "github.com/tmc/langchaingo/llms/anthropic"
	"github.com/tmc/langchaingo/llms/ollama"
	lcopenai "github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/prompts"
	"google.golang.org/genai"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func listen(name string) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening %s %s\n", name, ln.Addr())
	return ln
}

func run() error {
	ctx := context.Background()
	base := os.Getenv("LLM_BASE_URL")

	// go-openai behind echo v4.
	cfg := goopenai.DefaultConfig("sk-test")
	cfg.BaseURL = base + "/v1"
	gpt := goopenai.NewClientWithConfig(cfg)
	e4 := echov4.New()
	e4.GET("/v4/:id", func(c echov4.Context) error {
		resp, err := gpt.CreateChatCompletion(c.Request().Context(), goopenai.ChatCompletionRequest{
			Model:    "gpt-4o",
			Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "hi " + c.Param("id")}},
		})
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, resp.Choices[0].Message.Content)
	})
	e4.Listener = listen("echov4")
	go func() { log.Println(e4.Start("")) }()

	// anthropic-sdk-go v2 behind echo v5.
	claude := anthropic.NewClient(anthropicoption.WithBaseURL(base), anthropicoption.WithAPIKey("sk-ant-test"), anthropicoption.WithMaxRetries(0))
	e5 := echov5.New()
	e5.GET("/v5/:id", func(c *echov5.Context) error {
		msg, err := claude.Messages.New(c.Request().Context(), anthropic.MessageNewParams{
			Model:     "claude-sonnet-4-5",
			MaxTokens: 64,
			Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi " + c.Param("id")))},
		})
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, msg.Content[0].Text)
	})
	srv5 := &http.Server{Handler: e5}
	go func() { log.Println(srv5.Serve(listen("echov5"))) }()

	// genai behind fiber v2.
	gem, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "gm-test", Backend: genai.BackendGeminiAPI, HTTPOptions: genai.HTTPOptions{BaseURL: base + "/"}})
	if err != nil {
		return err
	}
	f2 := fiberv2.New(fiberv2.Config{DisableStartupMessage: true})
	f2.Get("/f2/:id", func(c *fiberv2.Ctx) error {
		resp, err := gem.Models.GenerateContent(c.UserContext(), "gemini-2.5-flash", genai.Text("hi "+c.Params("id")), nil)
		if err != nil {
			return err
		}
		return c.SendString(resp.Text())
	})
	go func() { log.Println(f2.Listener(listen("fiberv2"))) }()

	// A LangChainGo chain behind fiber v3.
	llm, err := lcopenai.New(lcopenai.WithBaseURL(base+"/v1"), lcopenai.WithToken("sk-test"), lcopenai.WithModel("gpt-4o"))
	if err != nil {
		return err
	}
	chain := chains.NewLLMChain(llm, prompts.NewPromptTemplate("Say hi to {{.name}}", []string{"name"}))
	f3 := fiberv3.New()
	f3.Get("/f3/:id", func(c fiberv3.Ctx) error {
		out, err := chains.Run(c, chain, c.Params("id"))
		if err != nil {
			return err
		}
		return c.SendString(out)
	})
	go func() { log.Println(f3.Listener(listen("fiberv3"), fiberv3.ListenConfig{DisableStartupMessage: true})) }()

	// A gRPC server, and a net/http route that calls it and runs an
	// asynq task.
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, health.NewServer())
	gln := listen("grpc")
	go func() {
		if err := gs.Serve(gln); err != nil {
			log.Println(err)
		}
	}()
	conn, err := grpc.NewClient(gln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	tasks := asynq.NewServeMux()
	tasks.HandleFunc("email:welcome", func(context.Context, *asynq.Task) error { return nil })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rpc", func(w http.ResponseWriter, r *http.Request) {
		if _, err := healthpb.NewHealthClient(conn).Check(r.Context(), &healthpb.HealthCheckRequest{}); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if err := welcome(r.Context(), tasks); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	})
	go func() { log.Println(http.Serve(listen("http"), mux)) }()

	sig, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	<-sig.Done()
	gs.Stop()
	return nil
}

// welcome builds the task and runs it through the worker's mux, as an
// asynq server would once it is dequeued.
func welcome(ctx context.Context, tasks *asynq.ServeMux) error {
	t := asynq.NewTask("email:welcome", []byte(`{"user":42}`))
	return tasks.ProcessTask(ctx, t)
}

// compileOnly is never called: it holds the other constructors Tracium's
// aspects rewrite, so that the build checks the code they inject there.
func compileOnly(ctx context.Context, llm *lcopenai.LLM) {
	_ = goopenai.NewClient("sk-test")
	_ = goopenai.NewOrgClient("sk-test", "org")
	_, _ = genai.NewClient(ctx, nil)
	_, _ = grpc.Dial("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	_, _ = grpc.DialContext(ctx, "127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	agent := agents.NewOneShotAgent(llm, nil)
	_ = agents.NewExecutor(agent)
	_ = agents.NewConversationalAgent(llm, nil)
	_ = agents.NewOpenAIFunctionsAgent(llm, nil)
	_, _ = lcanthropic.New(lcanthropic.WithToken("sk-ant-test"))
	_, _ = ollama.New()
	_ = asynq.NewTask("no:context", nil)
	_ = fiberv2.New()
	_ = echov4.New()
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	signal.Stop(c)
}
