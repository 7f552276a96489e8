// Command tracium-migrate applies, reverts and reports Tracium's schema
// migrations. It reads TRACIUM_DATABASE_URL (empty: the SQLite file in
// TRACIUM_DATA_DIR, default ./tracium-data).
//
//	tracium-migrate up|down|status|version
package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tracium/tracium/migrations"
	"github.com/tracium/tracium/store/backend"
)

const usage = `usage: tracium-migrate up|down|status|version

  up       apply every pending migration
  down     revert the latest migration
  status   list migrations and whether each is applied
  version  print the current schema version

Environment:
  TRACIUM_DATABASE_URL  postgres://... (empty: SQLite in TRACIUM_DATA_DIR)
  TRACIUM_DATA_DIR      directory of the SQLite file (default ./tracium-data)
`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "tracium-migrate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd string) error {
	db, dialect, err := backend.OpenSQL(backend.Config{
		DatabaseURL: os.Getenv("TRACIUM_DATABASE_URL"),
		DataDir:     cmp.Or(os.Getenv("TRACIUM_DATA_DIR"), "./tracium-data"),
	})
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := migrations.NewProvider(dialect, db)
	if err != nil {
		return err
	}
	switch cmd {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Println(r)
		}
		return err
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Println(r)
		}
		return err
	case "status":
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			fmt.Printf("%-8s %s\n", s.State, s.Source.Path)
		}
		return nil
	case "version":
		v, err := p.GetDBVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Println(v)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
