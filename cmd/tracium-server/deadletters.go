package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tracium/tracium/server/queue"
)

// deadLetters runs "tracium-server dead-letters list|replay" against the
// queue the server's configuration names: the embedded NATS in the data
// directory (the server must be stopped: one process at a time runs it)
// or TRACIUM_NATS_URL. It returns the exit code.
func deadLetters(ctx context.Context, args []string, getenv func(string) string, out, errOut io.Writer) int {
	usage := "usage: tracium-server dead-letters list [--json] | replay (--id N | --all) [server flags]"
	if len(args) == 0 {
		fmt.Fprintln(errOut, usage)
		return 2
	}
	fs := flag.NewFlagSet("dead-letters "+args[0], flag.ContinueOnError)
	fs.SetOutput(errOut)
	asJSON := fs.Bool("json", false, "list: one JSON object a line")
	id := fs.Uint64("id", 0, "replay: the dead letter with this id")
	all := fs.Bool("all", false, "replay: every dead letter")
	cfg, err := parseConfigWith(fs, args[1:], getenv, errOut)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(errOut, "tracium-server:", err)
		return 2
	}
	cmd := args[0]
	if cmd != "list" && cmd != "replay" || cmd == "replay" && (*id == 0) == !*all {
		fmt.Fprintln(errOut, usage)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	q, err := queue.Open(ctx, cfg.QueueConfig())
	if err != nil {
		fmt.Fprintln(errOut, "tracium-server:", err)
		return 1
	}
	defer q.Close()
	if cmd == "list" {
		err = listDeadLetters(ctx, q, *asJSON, out)
	} else {
		err = replayDeadLetters(ctx, q, *id, out)
	}
	if err != nil {
		fmt.Fprintln(errOut, "tracium-server:", err)
		return 1
	}
	return 0
}

func listDeadLetters(ctx context.Context, q *queue.Queue, asJSON bool, out io.Writer) error {
	dead, err := q.DeadLetters(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		for _, d := range dead {
			if err := enc.Encode(d); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROJECT\tTIME\tSPANS\tSCORES\tREASON")
	for _, d := range dead {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\n", d.ID, d.Project, d.Time.Format(time.RFC3339), d.Spans, d.Scores, d.Reason)
	}
	return tw.Flush()
}

// replayDeadLetters replays one dead letter, or every one when id is 0.
func replayDeadLetters(ctx context.Context, q *queue.Queue, id uint64, out io.Writer) error {
	ids := []uint64{id}
	if id == 0 {
		dead, err := q.DeadLetters(ctx)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, d := range dead {
			ids = append(ids, d.ID)
		}
	}
	for _, id := range ids {
		d, err := q.Replay(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "replayed %d (project %s, %d spans, %d scores)\n", d.ID, d.Project, d.Spans, d.Scores)
	}
	return nil
}
