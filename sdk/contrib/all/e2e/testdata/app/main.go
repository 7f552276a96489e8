// Command app is a program with no Tracium code: a gin server whose route
// asks Anthropic, runs an Eino chain and enqueues a River job that asks
// OpenAI with a client built in a package-level variable. Built with
// orchestrion go build, Tracium's aspects trace all of it; built with go
// build, it is the same program and records nothing.
//
// Settings (environment): APP_ADDR (listen address), DATABASE_URL (River's
// PostgreSQL), OPENAI_BASE_URL and ANTHROPIC_BASE_URL (the providers),
// APP_GRACEFUL=0 to leave SIGTERM unhandled. It prints "listening on
// ADDR" once it serves.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	einoopenai "github.com/cloudwego/eino-ext/components/model/openai"
	"github.com/cloudwego/eino/components/prompt"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"
	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// oai is built before main runs: the client a program set up by hand
// could not trace without passing Tracium's middleware itself.
var oai = openai.NewClient(
	option.WithBaseURL(os.Getenv("OPENAI_BASE_URL")+"/v1"),
	option.WithAPIKey("sk-test"),
	option.WithMaxRetries(0),
)

// summariseArgs is the River job the route enqueues.
type summariseArgs struct {
	Topic string `json:"topic"`
}

func (summariseArgs) Kind() string { return "summarise" }

// done holds the answers of finished jobs by job id.
var done sync.Map

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(summarise))
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	if err := jobs.Start(ctx); err != nil {
		return err
	}

	claude := anthropic.NewClient(
		anthropicoption.WithBaseURL(os.Getenv("ANTHROPIC_BASE_URL")),
		anthropicoption.WithAPIKey("sk-ant-test"),
		anthropicoption.WithMaxRetries(0),
	)
	answer, err := answerChain(ctx)
	if err != nil {
		return err
	}

	r := gin.Default()
	r.GET("/healthz", func(c *gin.Context) {
		_, plain := http.DefaultTransport.(*http.Transport)
		c.JSON(http.StatusOK, gin.H{"default_transport_is_http_transport": plain})
	})
	r.POST("/ask/:topic", func(c *gin.Context) {
		ctx := c.Request.Context()
		topic := c.Param("topic")
		msg, err := claude.Messages.New(ctx, anthropic.MessageNewParams{
			Model:     "claude-sonnet-4-5",
			MaxTokens: 256,
			Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Tell me about " + topic))},
		})
		if err != nil {
			c.String(http.StatusBadGateway, "anthropic: %v", err)
			return
		}
		out, err := answer.Invoke(ctx, map[string]any{"topic": topic})
		if err != nil {
			c.String(http.StatusBadGateway, "eino: %v", err)
			return
		}
		res, err := jobs.Insert(ctx, summariseArgs{Topic: topic}, nil)
		if err != nil {
			c.String(http.StatusInternalServerError, "insert: %v", err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"anthropic": msg.Content[0].Text, "eino": out.Content, "job": res.Job.ID})
	})
	r.GET("/jobs/:id", func(c *gin.Context) {
		if v, ok := done.Load(c.Param("id")); ok {
			c.JSON(http.StatusOK, gin.H{"answer": v})
			return
		}
		c.Status(http.StatusNotFound)
	})

	ln, err := net.Listen("tcp", os.Getenv("APP_ADDR"))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	fmt.Printf("listening on %s\n", ln.Addr())

	if os.Getenv("APP_GRACEFUL") == "0" {
		select {} // SIGTERM ends the program as Go's default does
	}
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	<-sigCtx.Done()
	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return jobs.Stop(shutdownCtx)
}

// summarise is the River worker: it asks OpenAI with the package-level
// client.
func summarise(ctx context.Context, job *river.Job[summariseArgs]) error {
	resp, err := oai.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Summarise " + job.Args.Topic)},
	})
	if err != nil {
		return err
	}
	done.Store(fmt.Sprint(job.ID), resp.Choices[0].Message.Content)
	return nil
}

// answerChain is an Eino chain: a prompt template, then eino-ext's OpenAI
// chat model.
func answerChain(ctx context.Context) (compose.Runnable[map[string]any, *schema.Message], error) {
	model, err := einoopenai.NewChatModel(ctx, &einoopenai.ChatModelConfig{
		BaseURL: os.Getenv("OPENAI_BASE_URL") + "/v1",
		APIKey:  "sk-test",
		Model:   "gpt-4o-mini",
	})
	if err != nil {
		return nil, err
	}
	chain := compose.NewChain[map[string]any, *schema.Message]()
	chain.AppendChatTemplate(prompt.FromMessages(schema.FString, schema.UserMessage("Answer briefly: what is {topic}?")))
	chain.AppendChatModel(model)
	return chain.Compile(ctx, compose.WithGraphName("answer"))
}
